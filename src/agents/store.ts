import type { Db } from "../platform/sql.js";

/** SQL of the agents feature, and nothing else. */

export const TASK_STATUSES = ["queued", "running", "awaiting_approval", "succeeded", "failed", "cancelled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const PROPOSAL_STATUSES = ["pending", "applied", "rejected", "expired", "cancelled"] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export type TaskTrigger = "api" | "schedule" | "event";

export interface TaskRow {
  seq: number;
  id: string;
  agent: string;
  status: TaskStatus;
  priority: number;
  input: string;
  result: string | null;
  error: string | null;
  attempts: number;
  max_attempts: number;
  run_after_ms: number;
  trigger: TaskTrigger;
  requested_by: string;
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ProposalRow {
  seq: number;
  id: string;
  task_id: string;
  agent: string;
  kind: string;
  target_type: string;
  target_id: string;
  summary: string;
  payload: string;
  status: ProposalStatus;
  auto: number;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  decided_by: string | null;
}

export interface SettingsRow {
  agent_id: string;
  enabled: number;
  schedule: string | null;
  triggers: string;
  settings: string;
  next_run_ms: number | null;
  updated_at: string;
}

// ---- tasks

export function insertTask(
  db: Db,
  t: { id: string; agent: string; priority: number; input: unknown; maxAttempts: number; runAfterMs: number; trigger: TaskTrigger; requestedBy: string; at: string },
): TaskRow {
  db.run(
    `INSERT INTO agent_tasks (id, agent, status, priority, input, max_attempts, run_after_ms, trigger, requested_by, created_at, updated_at)
     VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
    t.id,
    t.agent,
    t.priority,
    JSON.stringify(t.input ?? {}),
    t.maxAttempts,
    t.runAfterMs,
    t.trigger,
    t.requestedBy,
    t.at,
    t.at,
  );
  return findTask(db, t.id)!;
}

export const findTask = (db: Db, id: string) => db.get<TaskRow>("SELECT * FROM agent_tasks WHERE id = ?", id);

export function listTasks(db: Db, f: { status?: string | undefined; agent?: string | undefined; before: string; limit: number }): TaskRow[] {
  if (f.status && f.agent) {
    return db.all<TaskRow>(
      "SELECT * FROM agent_tasks WHERE agent = ? AND status = ? AND id < ? ORDER BY id DESC LIMIT ?",
      f.agent,
      f.status,
      f.before,
      f.limit,
    );
  }
  if (f.status) return db.all<TaskRow>("SELECT * FROM agent_tasks WHERE status = ? AND id < ? ORDER BY id DESC LIMIT ?", f.status, f.before, f.limit);
  if (f.agent) return db.all<TaskRow>("SELECT * FROM agent_tasks WHERE agent = ? AND id < ? ORDER BY id DESC LIMIT ?", f.agent, f.before, f.limit);
  return db.all<TaskRow>("SELECT * FROM agent_tasks WHERE id < ? ORDER BY id DESC LIMIT ?", f.before, f.limit);
}

/** The next tasks to run: highest priority, then oldest, among queued tasks whose retry delay has passed. */
export const nextDueTasks = (db: Db, nowMs: number, limit: number) =>
  db.all<TaskRow>("SELECT * FROM agent_tasks WHERE status = 'queued' AND run_after_ms <= ? ORDER BY priority DESC, seq LIMIT ?", nowMs, limit);

export const earliestQueuedMs = (db: Db) =>
  db.get<{ at: number | null }>("SELECT min(run_after_ms) AS at FROM agent_tasks WHERE status = 'queued'")?.at ?? null;

export const hasOpenTask = (db: Db, agent: string) =>
  db.get<{ one: number }>("SELECT 1 AS one FROM agent_tasks WHERE agent = ? AND status IN ('queued', 'running') LIMIT 1", agent) !== undefined;

export function markRunning(db: Db, id: string, at: string): void {
  db.run("UPDATE agent_tasks SET status = 'running', attempts = attempts + 1, started_at = ?, updated_at = ? WHERE id = ?", at, at, id);
}

export interface Spend {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/** Ends an attempt; the attempt's model spend is added to the task's. */
export function endAttempt(
  db: Db,
  id: string,
  e: { status: TaskStatus; result?: unknown; error?: string | null; runAfterMs?: number; at: string; spend: Spend; finished: boolean; attemptsDelta?: number },
): void {
  db.run(
    `UPDATE agent_tasks SET status = ?, result = coalesce(?, result), error = ?, run_after_ms = coalesce(?, run_after_ms),
       attempts = attempts + ?, model_calls = model_calls + ?, input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
       cost_micros = cost_micros + ?, updated_at = ?, finished_at = ?
     WHERE id = ?`,
    e.status,
    e.result === undefined ? null : JSON.stringify(e.result),
    e.error ?? null,
    e.runAfterMs ?? null,
    e.attemptsDelta ?? 0,
    e.spend.calls,
    e.spend.inputTokens,
    e.spend.outputTokens,
    e.spend.costMicros,
    e.at,
    e.finished ? e.at : null,
    id,
  );
}

export function setTaskStatus(db: Db, id: string, status: TaskStatus, at: string, finished: boolean): void {
  db.run("UPDATE agent_tasks SET status = ?, updated_at = ?, finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ?", status, at, finished ? 1 : 0, at, id);
}

export const runningTasks = (db: Db) => db.all<TaskRow>("SELECT * FROM agent_tasks WHERE status = 'running'");

// ---- proposals

export function insertProposal(
  db: Db,
  p: { id: string; taskId: string; agent: string; kind: string; targetType: string; targetId: string; summary: string; payload: unknown; at: string; expiresAt: string },
): void {
  db.run(
    `INSERT INTO agent_proposals (id, task_id, agent, kind, target_type, target_id, summary, payload, status, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    p.id,
    p.taskId,
    p.agent,
    p.kind,
    p.targetType,
    p.targetId,
    p.summary,
    JSON.stringify(p.payload),
    p.at,
    p.expiresAt,
  );
}

export const findProposal = (db: Db, id: string) => db.get<ProposalRow>("SELECT * FROM agent_proposals WHERE id = ?", id);

/** Moves a pending proposal to its decision; false when it was no longer pending (decided by someone else). */
export function decideProposal(db: Db, id: string, status: ProposalStatus, at: string, by: string, auto = false): boolean {
  return (
    db.run(
      "UPDATE agent_proposals SET status = ?, decided_at = ?, decided_by = ?, auto = ? WHERE id = ? AND status = 'pending'",
      status,
      at,
      by,
      auto ? 1 : 0,
      id,
    ).changes === 1
  );
}

/** A pending proposal past its expiry reads as expired (and is stored so by the orchestrator's timer, moments later). */
export function listProposals(
  db: Db,
  f: { status?: ProposalStatus | undefined; taskId?: string | undefined; before: string; limit: number; nowIso: string },
): ProposalRow[] {
  const where: string[] = ["id < ?"];
  const params: (string | number)[] = [f.before];
  if (f.taskId) {
    where.push("task_id = ?");
    params.push(f.taskId);
  }
  if (f.status === "pending") {
    where.push("status = 'pending' AND expires_at > ?");
    params.push(f.nowIso);
  } else if (f.status === "expired") {
    where.push("(status = 'expired' OR (status = 'pending' AND expires_at <= ?))");
    params.push(f.nowIso);
  } else if (f.status) {
    where.push("status = ?");
    params.push(f.status);
  }
  return db.all<ProposalRow>(`SELECT * FROM agent_proposals WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`, ...params, f.limit);
}

export const pendingProposalIds = (db: Db, taskId: string) =>
  db.all<{ id: string }>("SELECT id FROM agent_proposals WHERE task_id = ? AND status = 'pending'", taskId).map((r) => r.id);

export const expiredPending = (db: Db, nowIso: string, limit: number) =>
  db.all<ProposalRow>("SELECT * FROM agent_proposals WHERE status = 'pending' AND expires_at <= ? LIMIT ?", nowIso, limit);

export function earliestPendingExpiryMs(db: Db): number | null {
  const at = db.get<{ at: string | null }>("SELECT min(expires_at) AS at FROM agent_proposals WHERE status = 'pending'")?.at;
  return at ? Date.parse(at) : null;
}

// ---- settings

export const findSettings = (db: Db, agentId: string) => db.get<SettingsRow>("SELECT * FROM agent_settings WHERE agent_id = ?", agentId);
export const allSettings = (db: Db) => db.all<SettingsRow>("SELECT * FROM agent_settings");

export function saveSettings(db: Db, row: SettingsRow): void {
  db.run(
    `INSERT INTO agent_settings (agent_id, enabled, schedule, triggers, settings, next_run_ms, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (agent_id) DO UPDATE SET enabled = excluded.enabled, schedule = excluded.schedule, triggers = excluded.triggers,
       settings = excluded.settings, next_run_ms = excluded.next_run_ms, updated_at = excluded.updated_at`,
    row.agent_id,
    row.enabled,
    row.schedule,
    row.triggers,
    row.settings,
    row.next_run_ms,
    row.updated_at,
  );
}

export const dueSchedules = (db: Db, nowMs: number) =>
  db.all<SettingsRow>("SELECT * FROM agent_settings WHERE next_run_ms IS NOT NULL AND next_run_ms <= ?", nowMs);

export const earliestScheduleMs = (db: Db) =>
  db.get<{ at: number | null }>("SELECT min(next_run_ms) AS at FROM agent_settings WHERE next_run_ms IS NOT NULL")?.at ?? null;

export function setNextRun(db: Db, agentId: string, nextRunMs: number): void {
  db.run("UPDATE agent_settings SET next_run_ms = ? WHERE agent_id = ?", nextRunMs, agentId);
}

// ---- event triggers

export const triggeredAgents = (db: Db) => db.all<SettingsRow>("SELECT * FROM agent_settings WHERE enabled = 1 AND triggers <> '[]'");

export const triggerCursor = (db: Db) => db.get<{ last_seq: number }>("SELECT last_seq FROM agent_trigger_cursor WHERE id = 1")?.last_seq;

export function setTriggerCursor(db: Db, lastSeq: number): void {
  db.run("INSERT INTO agent_trigger_cursor (id, last_seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq", lastSeq);
}

// ---- budget

export function budgetOf(db: Db, period: string): { reserved: number; spent: number } {
  const row = db.get<{ reserved_micros: number; spent_micros: number }>("SELECT reserved_micros, spent_micros FROM agent_budget WHERE period = ?", period);
  return { reserved: row?.reserved_micros ?? 0, spent: row?.spent_micros ?? 0 };
}

export function adjustBudget(db: Db, period: string, reservedDelta: number, spentDelta: number): void {
  db.run("INSERT OR IGNORE INTO agent_budget (period) VALUES (?)", period);
  db.run(
    "UPDATE agent_budget SET reserved_micros = max(0, reserved_micros + ?), spent_micros = spent_micros + ? WHERE period = ?",
    reservedDelta,
    spentDelta,
    period,
  );
}

/** No call is in flight when a process starts: reservations left by a crash are released. */
export function releaseReservations(db: Db): void {
  db.run("UPDATE agent_budget SET reserved_micros = 0 WHERE reserved_micros <> 0");
}

// ---- outbox

export interface OutboxRow {
  seq: number;
  id: string;
  proposal_id: string;
  to_address: string;
  subject: string;
  body: string;
  status: "pending" | "sent" | "failed";
  attempts: number;
  last_error: string | null;
  next_attempt_ms: number;
  created_at: string;
  sent_at: string | null;
}

export function insertOutbox(db: Db, m: { id: string; proposalId: string; to: string; subject: string; body: string; at: string }): void {
  db.run(
    "INSERT INTO agent_outbox (id, proposal_id, to_address, subject, body, status, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
    m.id,
    m.proposalId,
    m.to,
    m.subject,
    m.body,
    m.at,
  );
}

export const dueOutbox = (db: Db, nowMs: number, limit: number) =>
  db.all<OutboxRow>("SELECT * FROM agent_outbox WHERE status = 'pending' AND next_attempt_ms <= ? ORDER BY seq LIMIT ?", nowMs, limit);

export const earliestOutboxMs = (db: Db) =>
  db.get<{ at: number | null }>("SELECT min(next_attempt_ms) AS at FROM agent_outbox WHERE status = 'pending'")?.at ?? null;

export const findOutboxByProposal = (db: Db, proposalId: string) => db.get<OutboxRow>("SELECT * FROM agent_outbox WHERE proposal_id = ?", proposalId);

export function markOutbox(db: Db, id: string, m: { status: "pending" | "sent" | "failed"; error: string | null; nextAttemptMs: number; at: string }): void {
  db.run(
    "UPDATE agent_outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_ms = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
    m.status,
    m.error,
    m.nextAttemptMs,
    m.status,
    m.at,
    id,
  );
}
