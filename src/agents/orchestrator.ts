import type { BusinessDatabases, Logger } from "../http/context.js";
import type { ChangeRecorder } from "../http/business-write.js";
import type { Actor } from "../platform/audit.js";
import { changeRecorder } from "../platform/changes.js";
import { appendEvent, type BusinessEvent, EventBus, eventsAfter } from "../platform/event-log.js";
import { newId } from "../platform/ids.js";
import { Db, DbMeter, type SqlConnection } from "../platform/sql.js";
import { isoNow } from "../platform/time.js";
import type { AgentConfig } from "./config.js";
import type { MailTransport } from "./mail.js";
import { ModelSession } from "./model-session.js";
import { ModelError } from "./providers/model.js";
import type { AgentContext, AgentOutcome, AgentRegistry } from "./registry.js";
import { expireProposals } from "./service.js";
import * as store from "./store.js";
import { nextRunMs, retryDelayMs } from "./timing.js";

export const agentActor = (agent: string): Actor => ({ type: "system", id: `agent:${agent}` });

/** A background write: the work, its audit entries and events in one transaction; events published after commit. */
export function systemWrite<T>(db: Db, bus: EventBus, businessId: string, actor: Actor, work: (rec: ChangeRecorder) => T): T {
  const events: BusinessEvent[] = [];
  const out = db.transaction(() => work(changeRecorder(db, actor, null, isoNow(), events)));
  bus.publish(businessId, events);
  return out;
}

/** A failure the orchestrator may retry: the model or the network, not the agent's own logic. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super(message);
  }
}

/** The event bus, telling the orchestrator about committed events so agents can be started by them. */
export class TriggeringEventBus extends EventBus {
  onPublish: ((businessId: string, events: readonly BusinessEvent[]) => void) | undefined;

  override publish(businessId: string, events: readonly BusinessEvent[]): void {
    super.publish(businessId, events);
    if (events.length > 0) this.onPublish?.(businessId, events);
  }
}

const TRIGGER_BATCH = 1000;
const OUTBOX_ATTEMPTS = 5;

interface Completion {
  task: store.TaskRow;
  outcome: AgentOutcome;
  spend: store.Spend | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

interface Execution {
  businessId: string;
  controller: AbortController;
  done: Promise<void>;
}

export interface OrchestratorDeps {
  core: SqlConnection;
  businesses: BusinessDatabases;
  bus: EventBus;
  logger: Logger;
}

/**
 * Runs agent tasks inside the server process. The queue is the agent_tasks table of each business's
 * database; this object only keeps which businesses have work (ready), when a delayed retry or a
 * schedule comes due (one timer for the earliest), and what runs now. The runtime starts it after it
 * listens and stops it before it closes the databases.
 */
export class Orchestrator {
  private readonly ready = new Set<string>();
  private readonly recovered = new Set<string>();
  private readonly wakeAt = new Map<string, number>();
  private readonly perBusiness = new Map<string, number>();
  private readonly executions = new Map<string, Execution>();
  private readonly completions = new Map<string, Completion[]>();
  /** Businesses where some agent is started by events, and those with events not yet looked at. */
  private readonly watching = new Set<string>();
  private readonly eventsPending = new Set<string>();
  /** Outbox delivery: businesses being delivered now, and retry timers. */
  private readonly delivering = new Set<string>();
  private readonly outboxTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private pumpQueued = false;
  private started = false;
  private stopping = false;

  constructor(
    private readonly deps: OrchestratorDeps,
    readonly config: AgentConfig,
    readonly registry: AgentRegistry,
    private readonly mail?: MailTransport,
  ) {
    if (deps.bus instanceof TriggeringEventBus) deps.bus.onPublish = (businessId, events) => this.published(businessId, events);
  }

  /** Starts the loop and, in the background, finds businesses with unfinished tasks or schedules. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const ids = this.deps.core.statement("SELECT id FROM businesses WHERE deleted_at IS NULL ORDER BY id").all() as { id: string }[];
    let i = 0;
    const scanChunk = () => {
      if (this.stopping) return;
      const end = Math.min(ids.length, i + 50);
      for (; i < end; i++) {
        try {
          this.scanBusiness(ids[i]!.id);
        } catch (error) {
          this.deps.logger.error({ err: error, businessId: ids[i]!.id }, "agents: could not scan a business");
        }
      }
      if (i < ids.length) setTimeout(scanChunk, 0);
      this.schedulePump();
    };
    scanChunk();
  }

  /** Stops claiming, stops running tasks (they are queued again, the attempt not counted) and waits for them. */
  async stop(limitMs = 5_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.outboxTimers.values()) clearTimeout(t);
    const running = [...this.executions.values()];
    for (const e of running) e.controller.abort(new Error("the server is stopping"));
    let limit: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(running.map((e) => e.done)), new Promise<void>((r) => (limit = setTimeout(r, limitMs)))]);
    if (limit) clearTimeout(limit);
  }

  /** A task was queued or a schedule changed in this business. */
  notify(businessId: string): void {
    if (this.stopping) return;
    this.ready.add(businessId);
    this.schedulePump();
  }

  /**
   * Delivers the business's approved messages through the mail transport (none configured: they wait
   * in the outbox). A failed message is retried with backoff, at most 5 times, then marked failed.
   */
  async deliverOutbox(businessId: string): Promise<void> {
    if (!this.mail || this.stopping || this.delivering.has(businessId)) return;
    this.delivering.add(businessId);
    const timer = this.outboxTimers.get(businessId);
    if (timer) clearTimeout(timer);
    this.outboxTimers.delete(businessId);
    try {
      for (let round = 0; round < 100 && !this.stopping; round++) {
        const due = this.withDb(businessId, (db) => store.dueOutbox(db, Date.now(), 20));
        if (due.length === 0) break;
        for (const m of due) {
          let error: string | null = null;
          try {
            await this.mail.send({ to: m.to_address, subject: m.subject, body: m.body });
          } catch (e) {
            error = e instanceof Error ? e.message : String(e);
          }
          this.withDb(businessId, (db) =>
            systemWrite(db, this.deps.bus, businessId, { type: "system", id: "agent:outbox" }, (rec) => {
              const attempts = m.attempts + 1;
              const status = error === null ? "sent" : attempts >= OUTBOX_ATTEMPTS ? "failed" : "pending";
              const next = status === "pending" ? Date.now() + retryDelayMs(attempts, this.config.retryBaseMs, this.config.retryMaxMs, Math.random()) : 0;
              store.markOutbox(db, m.id, { status, error, nextAttemptMs: next, at: rec.at });
              rec.record({
                action: status === "sent" ? "agent_outbox.sent" : status === "failed" ? "agent_outbox.failed" : "agent_outbox.retry_scheduled",
                targetType: "agent_outbox",
                targetId: m.id,
                changes: { to: m.to_address, attempts, error },
              });
            }),
          );
        }
      }
      const next = this.withDb(businessId, (db) => store.earliestOutboxMs(db));
      if (next !== null && !this.stopping) {
        this.outboxTimers.set(
          businessId,
          setTimeout(() => void this.deliverOutbox(businessId), Math.min(Math.max(0, next - Date.now()), 2_147_000_000)),
        );
      }
    } catch (error) {
      this.deps.logger.error({ err: error, businessId }, "agents: outbox delivery failed");
    } finally {
      this.delivering.delete(businessId);
    }
  }

  /** An agent's triggers changed in this business. */
  watch(businessId: string, watching: boolean): void {
    if (watching) this.watching.add(businessId);
    else this.watching.delete(businessId);
  }

  private published(businessId: string, events: readonly BusinessEvent[]): void {
    if (!this.watching.has(businessId) || this.stopping) return;
    // the agents' own bookkeeping never starts agents
    if (events.every((e) => e.type.startsWith("agent_"))) return;
    this.eventsPending.add(businessId);
    this.notify(businessId);
  }

  /** Queues one task per triggered agent for the events since the cursor; the cursor moves in the same transaction. */
  private runTriggers(businessId: string, db: Db): void {
    const agents = store.triggeredAgents(db).filter((r) => this.registry.get(r.agent_id)?.triggers);
    if (agents.length === 0) {
      this.watching.delete(businessId);
      return;
    }
    this.watching.add(businessId);
    const cursor = store.triggerCursor(db) ?? 0;
    const events = eventsAfter(db, cursor, TRIGGER_BATCH);
    if (events.length === 0) return;
    systemWrite(db, this.deps.bus, businessId, { type: "system", id: "agent:triggers" }, (rec) => {
      for (const row of agents) {
        const def = this.registry.get(row.agent_id)!;
        const types = new Set(JSON.parse(row.triggers) as string[]);
        const matching = events.filter((e) => types.has(e.type));
        if (matching.length === 0) continue;
        const input = def.triggers!.input(matching);
        if (!def.input.safeParse(input).success) continue;
        const task = store.insertTask(db, {
          id: newId("atk"),
          agent: def.id,
          priority: 0,
          input,
          maxAttempts: this.config.maxAttempts,
          runAfterMs: 0,
          trigger: "event",
          requestedBy: `events:${matching[0]!.seq}-${matching.at(-1)!.seq}`,
          at: rec.at,
        });
        rec.record({ action: "agent_task.queued", targetType: "agent_task", targetId: task.id, changes: { agent: def.id, trigger: "event", events: matching.length, status: "queued" } });
      }
      store.setTriggerCursor(db, events.at(-1)!.seq);
    });
    if (events.length === TRIGGER_BATCH) this.eventsPending.add(businessId);
  }

  /** Stops a running task at once (its row was already marked cancelled). */
  abortTask(taskId: string): void {
    this.executions.get(taskId)?.controller.abort(new Error("cancelled"));
  }

  runningCount(): number {
    return this.executions.size;
  }

  private withDb<T>(businessId: string, fn: (db: Db) => T): T {
    const handle = this.deps.businesses.acquire(businessId);
    try {
      return fn(new Db(handle.connection, new DbMeter()));
    } finally {
      handle.release();
    }
  }

  /** First touch of a business by this process: tasks left running by a dead process are retried. */
  private recover(businessId: string, db: Db): void {
    if (this.recovered.has(businessId)) return;
    const orphans = store.runningTasks(db);
    systemWrite(db, this.deps.bus, businessId, { type: "system", id: "agent:orchestrator" }, (rec) => {
      store.releaseReservations(db);
      for (const task of orphans) {
        const exhausted = task.attempts >= task.max_attempts;
        const error = "the server stopped while the task was running";
        store.endAttempt(db, task.id, {
          status: exhausted ? "failed" : "queued",
          error,
          at: rec.at,
          finished: exhausted,
          spend: { calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 },
        });
        rec.record({
          action: exhausted ? "agent_task.failed" : "agent_task.requeued",
          targetType: "agent_task",
          targetId: task.id,
          changes: { status: { from: "running", to: exhausted ? "failed" : "queued" }, error, attempts: task.attempts },
        });
      }
    });
    this.recovered.add(businessId);
  }

  private scanBusiness(businessId: string): void {
    this.withDb(businessId, (db) => {
      this.recover(businessId, db);
      this.expireDue(businessId, db, Date.now());
      this.runDueSchedules(businessId, db, Date.now());
      this.runTriggers(businessId, db);
      const queued = store.earliestQueuedMs(db);
      if (queued !== null) this.ready.add(businessId);
      const schedule = store.earliestScheduleMs(db);
      if (schedule !== null) this.wake(businessId, schedule);
      if (this.mail && store.earliestOutboxMs(db) !== null) queueMicrotask(() => void this.deliverOutbox(businessId));
    });
  }

  private wake(businessId: string, atMs: number): void {
    const current = this.wakeAt.get(businessId);
    if (current === undefined || atMs < current) this.wakeAt.set(businessId, atMs);
    this.armTimer();
  }

  private armTimer(): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const at of this.wakeAt.values()) if (at < earliest) earliest = at;
    if (earliest === this.timerAt || this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = earliest;
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        const now = Date.now();
        const due = [...this.wakeAt].filter(([, at]) => at <= now).map(([id]) => id);
        for (const id of due) {
          this.wakeAt.delete(id);
          this.ready.add(id);
        }
        // proposals expire on time even when every slot is taken: closing a task needs no slot
        for (const id of due) this.expireDueIn(id, now);
        this.armTimer();
        this.schedulePump();
      },
      Math.min(Math.max(0, earliest - Date.now()), 2_147_000_000),
    );
  }

  private schedulePump(): void {
    if (this.pumpQueued || !this.started || this.stopping) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Claims work round-robin over ready businesses, within the global and per-business limits. */
  private pump(): void {
    if (this.stopping) return;
    let progress = true;
    while (progress && this.executions.size < this.config.concurrency && this.ready.size > 0) {
      progress = false;
      for (const businessId of [...this.ready]) {
        if (this.executions.size >= this.config.concurrency) break;
        if ((this.perBusiness.get(businessId) ?? 0) >= this.config.businessConcurrency) continue;
        const slots = Math.min(this.config.concurrency - this.executions.size, this.config.businessConcurrency - (this.perBusiness.get(businessId) ?? 0));
        let claimed: store.TaskRow[];
        try {
          claimed = this.claim(businessId, slots);
        } catch (error) {
          this.deps.logger.error({ err: error, businessId }, "agents: could not claim a task");
          this.ready.delete(businessId);
          continue;
        }
        if (claimed.length > 0) {
          progress = true;
          for (const task of claimed) this.execute(businessId, task);
        } else {
          this.ready.delete(businessId);
        }
      }
    }
  }

  /** Claims up to `max` due tasks of one business in one transaction. */
  private claim(businessId: string, max: number): store.TaskRow[] {
    return this.withDb(businessId, (db) => {
      this.recover(businessId, db);
      const now = Date.now();
      this.runDueSchedules(businessId, db, now);
      if (this.eventsPending.delete(businessId)) this.runTriggers(businessId, db);
      const tasks = store.nextDueTasks(db, now, max);
      if (tasks.length === 0) {
        const next = store.earliestQueuedMs(db);
        if (next !== null) this.wake(businessId, next);
        return [];
      }
      const events: BusinessEvent[] = [];
      const at = isoNow();
      db.transaction(() => {
        for (const task of tasks) {
          store.markRunning(db, task.id, at);
          changeRecorder(db, agentActor(task.agent), null, at, events).record({
            action: "agent_task.started",
            targetType: "agent_task",
            targetId: task.id,
            changes: { status: { from: "queued", to: "running" }, attempt: task.attempts + 1 },
          });
        }
      });
      this.deps.bus.publish(businessId, events);
      return tasks.map((task) => ({ ...task, status: "running" as const, attempts: task.attempts + 1 }));
    });
  }

  /**
   * Stores the expiry of proposals past their time, closing the tasks that waited only on them, and
   * wakes the business again when the next pending proposal expires.
   */
  private expireDue(businessId: string, db: Db, now: number): void {
    if (store.expiredPending(db, isoNow(now), 1).length > 0) {
      systemWrite(db, this.deps.bus, businessId, { type: "system", id: "agent:orchestrator" }, (rec) => expireProposals(db, rec));
    }
    const next = store.earliestPendingExpiryMs(db);
    if (next !== null) this.wake(businessId, next);
  }

  private expireDueIn(businessId: string, now: number): void {
    try {
      this.withDb(businessId, (db) => this.expireDue(businessId, db, now));
    } catch (error) {
      this.deps.logger.error({ err: error, businessId }, "agents: could not expire proposals");
    }
  }

  /** Queues a task for every enabled schedule that came due (one open task per agent at most). */
  private runDueSchedules(businessId: string, db: Db, now: number): void {
    const due = store.dueSchedules(db, now);
    if (due.length > 0) {
      systemWrite(db, this.deps.bus, businessId, { type: "system", id: "agent:scheduler" }, (rec) => {
        for (const row of due) {
          const next = row.schedule && row.enabled ? nextRunMs(row.schedule, now) : null;
          if (next === null) {
            db.run("UPDATE agent_settings SET next_run_ms = NULL WHERE agent_id = ?", row.agent_id);
            continue;
          }
          store.setNextRun(db, row.agent_id, next);
          if (!this.registry.get(row.agent_id) || store.hasOpenTask(db, row.agent_id)) continue;
          const task = store.insertTask(db, {
            id: newId("atk"),
            agent: row.agent_id,
            priority: 0,
            input: {},
            maxAttempts: this.config.maxAttempts,
            runAfterMs: now,
            trigger: "schedule",
            requestedBy: "schedule",
            at: rec.at,
          });
          rec.record({ action: "agent_task.queued", targetType: "agent_task", targetId: task.id, changes: { agent: task.agent, trigger: "schedule", status: "queued" } });
        }
      });
    }
    const nextSchedule = store.earliestScheduleMs(db);
    if (nextSchedule !== null) this.wake(businessId, nextSchedule);
  }

  private execute(businessId: string, task: store.TaskRow): void {
    const controller = new AbortController();
    this.perBusiness.set(businessId, (this.perBusiness.get(businessId) ?? 0) + 1);
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    this.executions.set(task.id, { businessId, controller, done });
    void this.runAttempt(businessId, task, controller).finally(() => {
      this.executions.delete(task.id);
      const n = (this.perBusiness.get(businessId) ?? 1) - 1;
      if (n <= 0) this.perBusiness.delete(businessId);
      else this.perBusiness.set(businessId, n);
      resolveDone();
      if (!this.stopping) this.notify(businessId);
    });
  }

  private async runAttempt(businessId: string, task: store.TaskRow, controller: AbortController): Promise<void> {
    const agent = this.registry.get(task.agent);
    const timeout = setTimeout(() => controller.abort(new TransientError(`the task did not finish within ${this.config.taskTimeoutMs} ms`)), this.config.taskTimeoutMs);
    let session: ModelSession | undefined;
    try {
      if (!agent) throw new Error(`no agent named ${task.agent} exists in this version`);
      const settingsRow = this.withDb(businessId, (db) => store.findSettings(db, task.agent));
      const settings = (settingsRow ? JSON.parse(settingsRow.settings) : {}) as Record<string, unknown>;
      if (this.config.model) {
        session = new ModelSession(
          this.config.model,
          this.config.breaker,
          { monthlyMicros: this.config.monthlyBudgetMicros, withDb: (fn) => this.withDb(businessId, fn) },
          this.config.maxToolSteps,
          controller.signal,
        );
      }
      const business = this.deps.core.statement("SELECT name, base_currency FROM businesses WHERE id = ?").get(businessId) as
        | { name: string; base_currency: string }
        | undefined;
      const ctx: AgentContext = {
        businessId,
        businessName: business?.name ?? "",
        baseCurrency: business?.base_currency ?? "USD",
        taskId: task.id,
        attempt: task.attempts,
        input: JSON.parse(task.input),
        settings,
        signal: controller.signal,
        read: (fn) => this.withDb(businessId, fn),
        model: session,
        progress: (message, data) => this.progress(businessId, task, message, data),
      };
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
      });
      const outcome = await Promise.race([agent.run(ctx), aborted]);
      const output = agent.output.safeParse(outcome.output);
      if (!output.success) throw new Error(`the agent's result does not match its output schema: ${output.error.issues[0]?.message ?? "invalid"}`);
      await this.complete(businessId, task, { ...outcome, output: output.data }, session?.spend);
    } catch (error) {
      this.attemptFailed(businessId, task, error, session?.spend);
    } finally {
      clearTimeout(timeout);
    }
  }

  private progress(businessId: string, task: store.TaskRow, message: string, data: Record<string, unknown> = {}): void {
    this.withDb(businessId, (db) => {
      const event = db.transaction(() =>
        appendEvent(db, { at: isoNow(), type: "agent_task.progress", subjectType: "agent_task", subjectId: task.id, data: { agent: task.agent, message, ...data } }),
      );
      this.deps.bus.publish(businessId, [event]);
    });
  }

  /**
   * The attempt's outcome: proposals filed (the harmless ones the policy allows applied), the task
   * finished. Outcomes arriving in the same tick for one business commit in one transaction.
   */
  private complete(businessId: string, task: store.TaskRow, outcome: AgentOutcome, spend: store.Spend | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let batch = this.completions.get(businessId);
      if (!batch) {
        batch = [];
        this.completions.set(businessId, batch);
        queueMicrotask(() => this.flushCompletions(businessId));
      }
      batch.push({ task, outcome, spend, resolve, reject });
    });
  }

  private flushCompletions(businessId: string): void {
    const batch = this.completions.get(businessId) ?? [];
    this.completions.delete(businessId);
    const commit = (items: Completion[]) =>
      this.withDb(businessId, (db) => {
        const events: BusinessEvent[] = [];
        const at = isoNow();
        const expiresMs = Date.now() + this.config.proposalTtlMs;
        const filed = db.transaction(() => items.map((item) => this.completeOne(db, item, at, isoNow(expiresMs), events)).some(Boolean));
        this.deps.bus.publish(businessId, events);
        if (filed) this.wake(businessId, expiresMs);
      });
    try {
      commit(batch);
      for (const item of batch) item.resolve();
    } catch (batchError) {
      if (batch.length === 1) {
        batch[0]!.reject(batchError);
        return;
      }
      // one of them could not be recorded: each on its own, so the others still finish
      for (const item of batch) {
        try {
          commit([item]);
          item.resolve();
        } catch (error) {
          item.reject(error);
        }
      }
    }
  }

  /** Records one outcome; true when it left proposals pending (they expire at `expiresAt`). */
  private completeOne(db: Db, item: Completion, at: string, expiresAt: string, events: BusinessEvent[]): boolean {
    const { task, outcome, spend } = item;
    const agent = this.registry.get(task.agent)!;
    const rec = changeRecorder(db, agentActor(task.agent), null, at, events);
    const current = store.findTask(db, task.id);
    if (current?.status !== "running") return false; // cancelled meanwhile: the result is discarded
    const settingsRow = store.findSettings(db, task.agent);
    const settings = (settingsRow ? JSON.parse(settingsRow.settings) : {}) as { autoApply?: boolean };
    let pending = 0;
    let applied = 0;
    for (const draft of outcome.proposals ?? []) {
      const kind = this.registry.kind(draft.kind);
      if (!kind || !agent.policy.files.includes(draft.kind)) throw new Error(`the agent filed a proposal of a kind it may not file: ${draft.kind}`);
      const id = newId("apr");
      store.insertProposal(db, { id, taskId: task.id, agent: task.agent, ...draft, at, expiresAt });
      rec.record({ action: "agent_proposal.filed", targetType: "agent_proposal", targetId: id, changes: { kind: draft.kind, targetType: draft.targetType, targetId: draft.targetId, summary: draft.summary, payload: draft.payload } });
      if (settings.autoApply === true && agent.policy.autoApply.includes(draft.kind) && !kind.money) {
        kind.apply(db, rec, { id, targetId: draft.targetId, payload: draft.payload });
        store.decideProposal(db, id, "applied", at, actorId(agentActor(task.agent)), true);
        rec.record({ action: "agent_proposal.applied", targetType: "agent_proposal", targetId: id, changes: { status: { from: "pending", to: "applied" }, auto: true } });
        applied += 1;
      } else {
        pending += 1;
      }
    }
    const status = pending > 0 ? "awaiting_approval" : "succeeded";
    store.endAttempt(db, task.id, { status, result: outcome.output, error: null, at, finished: status === "succeeded", spend: spend ?? NO_SPEND });
    rec.record({
      action: status === "succeeded" ? "agent_task.succeeded" : "agent_task.awaiting_approval",
      targetType: "agent_task",
      targetId: task.id,
      changes: { status: { from: "running", to: status }, proposals: { pending, applied }, cost: spend ?? NO_SPEND },
    });
    return pending > 0;
  }

  private attemptFailed(businessId: string, task: store.TaskRow, error: unknown, spend: store.Spend | undefined): void {
    const transient = error instanceof TransientError || (error instanceof ModelError && error.transient);
    const message = error instanceof Error ? error.message : String(error);
    const retryAfterMs = error instanceof ModelError ? (error.retryAfterMs ?? 0) : error instanceof TransientError ? error.retryAfterMs : 0;
    try {
      this.withDb(businessId, (db) => {
        systemWrite(db, this.deps.bus, businessId, agentActor(task.agent), (rec) => {
          const current = store.findTask(db, task.id);
          if (current?.status !== "running") {
            // cancelled while running: keep what it spent
            if (current) store.endAttempt(db, task.id, { status: current.status, error: current.error, at: rec.at, finished: current.finished_at !== null, spend: spend ?? NO_SPEND });
            return;
          }
          if (this.stopping) {
            store.endAttempt(db, task.id, { status: "queued", error: current.error, at: rec.at, finished: false, spend: spend ?? NO_SPEND, attemptsDelta: -1, runAfterMs: 0 });
            rec.record({ action: "agent_task.requeued", targetType: "agent_task", targetId: task.id, changes: { status: { from: "running", to: "queued" }, reason: "the server is stopping" } });
            return;
          }
          if (transient && task.attempts < task.max_attempts) {
            const delay = retryDelayMs(task.attempts, this.config.retryBaseMs, this.config.retryMaxMs, Math.random(), retryAfterMs);
            const runAfterMs = Date.now() + delay;
            store.endAttempt(db, task.id, { status: "queued", error: message, runAfterMs, at: rec.at, finished: false, spend: spend ?? NO_SPEND });
            rec.record({
              action: "agent_task.retry_scheduled",
              targetType: "agent_task",
              targetId: task.id,
              changes: { status: { from: "running", to: "queued" }, error: message, attempt: task.attempts, retryAt: isoNow(runAfterMs) },
            });
            this.wake(businessId, runAfterMs);
            return;
          }
          store.endAttempt(db, task.id, { status: "failed", error: message, at: rec.at, finished: true, spend: spend ?? NO_SPEND });
          rec.record({ action: "agent_task.failed", targetType: "agent_task", targetId: task.id, changes: { status: { from: "running", to: "failed" }, error: message, attempts: task.attempts } });
        });
      });
    } catch (writeError) {
      this.deps.logger.error({ err: writeError, taskId: task.id, businessId }, "agents: could not record a task's failure");
    }
  }
}

const NO_SPEND: store.Spend = { calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 };
const actorId = (a: Actor) => `${a.type}:${a.id}`;
