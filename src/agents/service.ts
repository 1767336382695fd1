import { z } from "@hono/zod-openapi";
import { can, type Permission, type Role } from "../businesses/roles.js";
import type { ChangeRecorder } from "../http/business-write.js";
import type { BusinessScope } from "../http/context.js";
import { lastEventSeq } from "../platform/event-log.js";
import { newId } from "../platform/ids.js";
import { badRequest, conflict, type FieldError, forbidden, notFound, unprocessable } from "../platform/problem.js";
import type { Db } from "../platform/sql.js";
import { isoNow } from "../platform/time.js";
import type { AgentConfig } from "./config.js";
import type { AgentDefinition, AgentRegistry } from "./registry.js";
import type * as schema from "./schema.js";
import * as store from "./store.js";
import { nextRunMs } from "./timing.js";

type AgentView = z.infer<typeof schema.agent>;
type TaskView = z.infer<typeof schema.task>;
type ApprovalView = z.infer<typeof schema.approval>;

const jsonSchemas = new WeakMap<z.ZodType, Record<string, unknown>>();
function jsonSchemaOf(s: z.ZodType): Record<string, unknown> {
  let out = jsonSchemas.get(s);
  if (!out) {
    out = z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    jsonSchemas.set(s, out);
  }
  return out;
}

export function agentView(def: AgentDefinition, row: store.SettingsRow | undefined): AgentView {
  return {
    id: def.id,
    name: def.name,
    description: def.description,
    enabled: row ? row.enabled === 1 : true,
    schedule: row?.schedule ?? null,
    nextRunAt: row?.next_run_ms != null ? isoNow(row.next_run_ms) : null,
    triggers: row ? (JSON.parse(row.triggers) as string[]) : [],
    triggerEvents: def.triggers?.events ?? [],
    settings: row ? (JSON.parse(row.settings) as Record<string, unknown>) : {},
    requiredPermissions: def.requires,
    policy: def.policy,
    inputSchema: jsonSchemaOf(def.input),
    outputSchema: jsonSchemaOf(def.output),
  };
}

export function taskView(row: store.TaskRow, nowMs = Date.now()): TaskView {
  return {
    id: row.id,
    agent: row.agent,
    status: row.status,
    priority: row.priority,
    input: JSON.parse(row.input),
    result: row.result === null ? null : JSON.parse(row.result),
    error: row.error,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.status === "queued" && row.run_after_ms > nowMs ? isoNow(row.run_after_ms) : null,
    trigger: row.trigger,
    requestedBy: row.requested_by,
    cost: { currency: "USD", amountMicros: row.cost_micros, modelCalls: row.model_calls, inputTokens: row.input_tokens, outputTokens: row.output_tokens },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export function approvalView(row: store.ProposalRow, nowIso = isoNow()): ApprovalView {
  return {
    id: row.id,
    taskId: row.task_id,
    agent: row.agent,
    kind: row.kind,
    targetType: row.target_type,
    targetId: row.target_id,
    summary: row.summary,
    payload: JSON.parse(row.payload),
    status: row.status === "pending" && row.expires_at <= nowIso ? "expired" : row.status,
    autoApplied: row.auto === 1,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
  };
}

function assertPermissions(role: Role, permissions: Permission[], what: string): void {
  const missing = permissions.filter((p) => !can(role, p));
  if (missing.length > 0) throw forbidden(`Your role (${role}) does not allow ${missing.join(", ")}, which ${what} needs.`);
}

const zodErrors = (error: z.ZodError, prefix: string): FieldError[] =>
  error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join("."), message: i.message }));

export function findAgent(registry: AgentRegistry, agentId: string): AgentDefinition {
  const def = registry.get(agentId);
  if (!def) throw notFound("No such agent.");
  return def;
}

export function currentAgent(registry: AgentRegistry, db: Db, agentId: string): AgentView {
  return agentView(findAgent(registry, agentId), store.findSettings(db, agentId));
}

export function updateAgent(
  registry: AgentRegistry,
  scope: BusinessScope,
  rec: ChangeRecorder,
  agentId: string,
  body: z.infer<typeof schema.updateAgentBody>,
): AgentView {
  const def = findAgent(registry, agentId);
  const kindPermissions = def.policy.files.map((k) => registry.kind(k)!.approvePermission);
  assertPermissions(scope.role, [...def.requires, ...kindPermissions], `configuring ${def.id}`);
  const db = rec.db;
  const before = store.findSettings(db, agentId);
  const beforeView = agentView(def, before);
  let settings = beforeView.settings;
  if (body.settings !== undefined) {
    const parsed = def.settings.safeParse(body.settings);
    if (!parsed.success) throw badRequest("The settings do not fit this agent.", zodErrors(parsed.error, "settings"));
    settings = parsed.data as Record<string, unknown>;
  }
  let triggers = beforeView.triggers;
  if (body.triggers !== undefined) {
    const allowed = def.triggers?.events ?? [];
    const errors = body.triggers.flatMap((t, i) => (allowed.includes(t) ? [] : [{ path: `triggers.${i}`, message: `not an event ${def.id} can be started by (${allowed.join(", ") || "none"})` }]));
    if (errors.length > 0) throw badRequest("Unknown trigger event.", errors);
    triggers = [...new Set(body.triggers)];
    // triggers read the event log from now on, not its history
    const othersWatch = store.triggeredAgents(db).some((r) => r.agent_id !== agentId);
    if (triggers.length > 0 && (!othersWatch || store.triggerCursor(db) === undefined)) store.setTriggerCursor(db, lastEventSeq(db));
  }
  const enabled = body.enabled ?? beforeView.enabled;
  const sched = body.schedule === undefined ? beforeView.schedule : body.schedule;
  const nowMs = Date.now();
  const nextRun = enabled && sched ? (sched === before?.schedule && before?.next_run_ms != null ? before.next_run_ms : nextRunMs(sched, nowMs)) : null;
  const row: store.SettingsRow = {
    agent_id: agentId,
    enabled: enabled ? 1 : 0,
    schedule: sched,
    triggers: JSON.stringify(triggers),
    settings: JSON.stringify(settings),
    next_run_ms: nextRun,
    updated_at: rec.at,
  };
  store.saveSettings(db, row);
  const after = agentView(def, row);
  const changes: Record<string, unknown> = {};
  for (const k of ["enabled", "schedule", "triggers", "settings"] as const) {
    if (JSON.stringify(beforeView[k]) !== JSON.stringify(after[k])) changes[k] = { from: beforeView[k], to: after[k] };
  }
  if (Object.keys(changes).length > 0) rec.record({ action: "agent.updated", targetType: "agent", targetId: agentId, changes });
  return after;
}

/** Validates and queues a task; the caller then wakes the orchestrator. */
export function enqueue(
  registry: AgentRegistry,
  config: AgentConfig,
  scope: BusinessScope,
  rec: ChangeRecorder,
  body: z.infer<typeof schema.createTaskBody>,
): { id: string; status: store.TaskStatus } {
  const def = registry.get(body.agent);
  if (!def) {
    throw badRequest("No such agent.", [{ path: "agent", message: `unknown agent; one of ${registry.all().map((a) => a.id).join(", ")}` }]);
  }
  const input = def.input.safeParse(body.input ?? {});
  if (!input.success) throw badRequest(`The input does not fit ${def.id}.`, zodErrors(input.error, "input"));
  assertPermissions(scope.role, def.requires, `running ${def.id}`);
  const settings = store.findSettings(rec.db, def.id);
  if (settings && settings.enabled === 0) throw unprocessable(`The agent ${def.id} is turned off in this business.`);
  const task = store.insertTask(rec.db, {
    id: newId("atk"),
    agent: def.id,
    priority: body.priority ?? 0,
    input: body.input ?? {},
    maxAttempts: config.maxAttempts,
    runAfterMs: 0,
    trigger: "api",
    requestedBy: `${scope.actor.type}:${scope.actor.id}`,
    at: rec.at,
  });
  rec.record({
    action: "agent_task.queued",
    targetType: "agent_task",
    targetId: task.id,
    changes: { agent: task.agent, priority: task.priority, input: body.input ?? {}, status: "queued" },
  });
  return { id: task.id, status: task.status };
}

export function getTask(db: Db, id: string): store.TaskRow {
  const row = store.findTask(db, id);
  if (!row) throw notFound("No such agent task.");
  return row;
}

/** Cancels a task that has not finished; its pending proposals are withdrawn. Returns whether it was running. */
export function cancel(scope: BusinessScope, rec: ChangeRecorder, taskId: string): { view: TaskView; wasRunning: boolean } {
  const row = getTask(rec.db, taskId);
  if (row.status !== "queued" && row.status !== "running" && row.status !== "awaiting_approval") {
    throw conflict(`The task has already finished (${row.status}).`);
  }
  store.setTaskStatus(rec.db, taskId, "cancelled", rec.at, true);
  const withdrawn = store.pendingProposalIds(rec.db, taskId);
  for (const id of withdrawn) store.decideProposal(rec.db, id, "cancelled", rec.at, `${scope.actor.type}:${scope.actor.id}`);
  rec.record({
    action: "agent_task.cancelled",
    targetType: "agent_task",
    targetId: taskId,
    changes: { status: { from: row.status, to: "cancelled" }, withdrawnProposals: withdrawn },
  });
  return { view: taskView(getTask(rec.db, taskId)), wasRunning: row.status === "running" };
}

export function getApproval(db: Db, id: string): store.ProposalRow {
  const row = store.findProposal(db, id);
  if (!row) throw notFound("No such approval.");
  return row;
}

/** A task awaiting approval is done once none of its proposals is pending any more. */
function settleTask(db: Db, rec: ChangeRecorder, taskId: string): void {
  const task = store.findTask(db, taskId);
  if (task?.status !== "awaiting_approval" || store.pendingProposalIds(db, taskId).length > 0) return;
  store.setTaskStatus(db, taskId, "succeeded", rec.at, true);
  rec.record({ action: "agent_task.succeeded", targetType: "agent_task", targetId: taskId, changes: { status: { from: "awaiting_approval", to: "succeeded" } } });
}

/**
 * Approve applies the proposal exactly once: the pending → applied step and the change itself commit in
 * the same transaction of a single-writer database, so of concurrent approvals one wins and the rest
 * get 409.
 */
export function decide(
  registry: AgentRegistry,
  scope: BusinessScope,
  rec: ChangeRecorder,
  approvalId: string,
  decision: "approve" | "reject",
): ApprovalView {
  const db = rec.db;
  const row = getApproval(db, approvalId);
  const kind = registry.kind(row.kind);
  if (decision === "approve" && kind) assertPermissions(scope.role, [kind.approvePermission], `approving ${row.kind}`);
  const view = approvalView(row, rec.at);
  if (view.status !== "pending") throw conflict(`The proposal is already ${view.status}.`);
  const by = `${scope.actor.type}:${scope.actor.id}`;
  const status = decision === "approve" ? "applied" : "rejected";
  if (!store.decideProposal(db, approvalId, status, rec.at, by)) throw conflict("The proposal was decided meanwhile.");
  if (decision === "approve") {
    if (!kind) throw unprocessable(`This version cannot apply proposals of kind ${row.kind}.`);
    kind.apply(db, rec, { id: row.id, targetId: row.target_id, payload: JSON.parse(row.payload) });
  }
  rec.record({
    action: decision === "approve" ? "agent_proposal.applied" : "agent_proposal.rejected",
    targetType: "agent_proposal",
    targetId: approvalId,
    changes: { status: { from: "pending", to: status }, kind: row.kind, targetType: row.target_type, targetId: row.target_id },
  });
  settleTask(db, rec, row.task_id);
  return approvalView(getApproval(db, approvalId), rec.at);
}

/** Stores the expiry of proposals past their time and finishes the tasks that waited only on them. */
export function expireProposals(db: Db, rec: ChangeRecorder): number {
  const expired = store.expiredPending(db, rec.at, 500);
  for (const p of expired) {
    store.decideProposal(db, p.id, "expired", rec.at, "system:agent:orchestrator");
    rec.record({ action: "agent_proposal.expired", targetType: "agent_proposal", targetId: p.id, changes: { status: { from: "pending", to: "expired" } } });
  }
  for (const taskId of new Set(expired.map((p) => p.task_id))) settleTask(db, rec, taskId);
  return expired.length;
}
