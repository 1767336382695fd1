import { newHistogram, recordMs, summarize } from "../lib/histogram.js";
import { expectStatus, type Http } from "../lib/http.js";
import { type AuditState, auditChecks, auditSnapshot, WriteLedger } from "../lib/integrity.js";
import type { OpenRequest } from "../lib/open-loop.js";
import { Recorder } from "../lib/recorder.js";
import { prng, type Scenario, weighted } from "../lib/scenario.js";
import { type SseEvent, SseSubscriber } from "../lib/sse.js";
import type { Check, LoadResult, StepSummary } from "../lib/types.js";

/** The no-op task: audit-check with nothing to check (the orchestration alone). */
const NOOP = { agent: "audit-check", input: { checks: [] as string[] } };
/** A real built-in agent that needs no model: scores every open lead of the business's seeded CRM book. */
const LEAD_SCORING = { agent: "lead-scoring", input: {} };
const LEAD_SCORING_SHARE = 0.05;
/** Audit entries of a task that ran once: agent_task.queued, .started and .succeeded (or .failed). */
const ENTRIES_PER_TASK = 3;
/** Per auto-applied lead.score proposal: agent_proposal.filed, lead.updated, agent_proposal.applied. */
const ENTRIES_PER_APPLIED_PROPOSAL = 3;
const FINAL = new Set(["succeeded", "failed", "cancelled", "awaiting_approval"]);

interface AgentBusiness {
  id: string;
  name: string;
  /** lead-scoring's settings before the scenario turned autoApply on (restored afterwards), or null if it was on already. */
  restoreSettings: Record<string, unknown> | null;
}

interface Prepared {
  businesses: AgentBusiness[];
  audit: Map<string, AuditState>;
  warmup: { tasks: number; seconds: number; proposalsApplied: number };
}

/** What one task did, as the event stream told it (performance.now() times; server timestamps as sent). */
interface TaskTrack {
  id: string;
  businessId: string | null;
  agent: string | null;
  /** Its place in the enqueue schedule: due at start + index / rate. */
  index: number | null;
  /** The enqueue's response (202) arrived. */
  ackedAt: number | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  final: string | null;
  finalReceivedAt: number | null;
  proposalsApplied: number;
  attempts: number;
}

interface EnqueueTag {
  businessId: string;
  agent: string;
  index: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Picks the businesses the scenario works in: after those other scenarios write to (0 realtime, 1–2 crm, 3–4 financial). */
function pickBusinesses<T>(all: readonly T[], count: number): T[] {
  const free = all.slice(5);
  if (free.length >= count) return free.slice(0, count);
  return all.slice(Math.max(0, all.length - count));
}

/** Enqueues one task and polls it (bounded) until it is final. */
async function runOnce(http: Http, token: string, businessId: string, body: unknown, limitMs: number): Promise<{ status: string; result: any }> {
  const res = await http.post(`/businesses/${businessId}/agent-tasks`, body, { token });
  expectStatus(res, 202, `enqueue a warm-up agent task in ${businessId}`);
  const until = performance.now() + limitMs;
  while (performance.now() < until) {
    const t = await http.get(`/businesses/${businessId}/agent-tasks/${res.body.id}`, { token });
    expectStatus(t, 200, "read a warm-up agent task");
    if (FINAL.has(t.body.status)) return { status: t.body.status, result: t.body.result };
    await sleep(25);
  }
  throw new Error(`the warm-up task ${res.body.id} in ${businessId} did not finish within ${limitMs} ms`);
}

function stepOf(h: ReturnType<typeof newHistogram>, count: number, ok: number, seconds: number): StepSummary {
  return { count, ok, errorRate: count ? (count - ok) / count : null, perSecond: Math.round((ok / seconds) * 100) / 100, latency: summarize(h) };
}

/**
 * AI agent execution: an open-loop stream of agent tasks at a fixed rate into a few businesses, mostly
 * the no-op task (audit-check with `checks: []`, the orchestration alone) and a small share of a real
 * built-in agent that needs no model (lead-scoring over the business's seeded leads, auto-applying its
 * scores so its tasks finish). Latency per task: from the enqueue's scheduled send to the moment its
 * `agent_task.succeeded` event arrives on the business's event stream (SSE), so neither polling
 * intervals nor the enqueue's own response time hide anything.
 */
const agents: Scenario<Prepared> = {
  name: "agents",
  title: "AI agent execution (enqueue → done with the built-in methods)",
  description:
    "Open-loop POST /agent-tasks at a fixed rate into two businesses (95 % the no-op audit-check task, 5 % lead-scoring over the seeded leads with auto-apply); latency from each enqueue's scheduled send to its agent_task.succeeded event on the business's SSE stream.",
  writes: true,
  async prepare(ctx) {
    const token = ctx.dataset.founder.accessToken;
    const chosen = pickBusinesses(ctx.dataset.businesses, 2);
    const businesses: AgentBusiness[] = [];
    const started = performance.now();
    let proposalsApplied = 0;
    for (const b of chosen) {
      const agent = await ctx.http.get(`/businesses/${b.id}/agents/lead-scoring`, { token });
      expectStatus(agent, 200, "read the lead-scoring agent");
      const settings = (agent.body.settings ?? {}) as Record<string, unknown>;
      let restoreSettings: Record<string, unknown> | null = null;
      if (settings.autoApply !== true) {
        const patched = await ctx.http.patch(`/businesses/${b.id}/agents/lead-scoring`, { settings: { ...settings, autoApply: true } }, { token });
        expectStatus(patched, 200, "turn on lead-scoring's auto-apply");
        restoreSettings = settings;
      }
      businesses.push({ id: b.id, name: b.name, restoreSettings });
      // off the clock: the first scoring applies the seeded leads' scores; the measured ones re-score them
      const scored = await runOnce(ctx.http, token, b.id, LEAD_SCORING, 30_000);
      if (scored.status !== "succeeded") throw new Error(`the warm-up lead-scoring task in ${b.id} ended ${scored.status}`);
      proposalsApplied += Number(scored.result?.proposals ?? 0);
      const noop = await runOnce(ctx.http, token, b.id, NOOP, 30_000);
      if (noop.status !== "succeeded") throw new Error(`the warm-up no-op task in ${b.id} ended ${noop.status}`);
    }
    return {
      businesses,
      audit: await auditSnapshot(ctx.http, token, businesses.map((b) => b.id)),
      warmup: { tasks: businesses.length * 2, seconds: Math.round((performance.now() - started) / 10) / 100, proposalsApplied },
    };
  },
  async run(ctx, prepared) {
    const token = ctx.dataset.founder.accessToken;
    const connections = ctx.settings.connections ?? ctx.pick(16, 8);
    const rate = ctx.pick(100, 50);
    const graceMs = ctx.pick(10_000, 5_000);
    const ids = prepared.businesses.map((b) => b.id);
    const random = prng(3602);

    const tracks = new Map<string, TaskTrack>();
    const track = (id: string): TaskTrack => {
      let t = tracks.get(id);
      if (!t) {
        t = {
          id,
          businessId: null,
          agent: null,
          index: null,
          ackedAt: null,
          createdAt: null,
          startedAt: null,
          finishedAt: null,
          final: null,
          finalReceivedAt: null,
          proposalsApplied: 0,
          attempts: 0,
        };
        tracks.set(id, t);
      }
      return t;
    };
    let streamEvents = 0;
    let lastEventAt = performance.now();
    const onEvent = (event: SseEvent) => {
      streamEvents += 1;
      lastEventAt = event.receivedAt;
      if (!event.event?.startsWith("agent_task.")) return;
      let e: { at: string; type: string; subjectId: string; data?: { changes?: { agent?: string; proposals?: { applied?: number } } } };
      try {
        e = JSON.parse(event.data);
      } catch {
        return;
      }
      const t = track(e.subjectId);
      switch (e.type) {
        case "agent_task.queued":
          t.createdAt = e.at;
          t.agent ??= e.data?.changes?.agent ?? null;
          break;
        case "agent_task.started":
          t.startedAt ??= e.at;
          t.attempts += 1;
          break;
        case "agent_task.succeeded":
        case "agent_task.failed":
        case "agent_task.cancelled":
        case "agent_task.awaiting_approval":
          if (t.final === null) {
            t.final = e.type.slice("agent_task.".length);
            t.finalReceivedAt = event.receivedAt;
            t.finishedAt = e.at;
            t.proposalsApplied = Number(e.data?.changes?.proposals?.applied ?? 0);
          }
          break;
      }
    };

    const subscribers = ids.map((id) => new SseSubscriber(ctx.origin, `/api/v1/businesses/${id}/events`, token, onEvent));
    try {
      await Promise.all(subscribers.map((s) => Promise.race([s.ready, sleep(10_000).then(() => Promise.reject(new Error("the event stream did not connect within 10 s")))])));
      // the stream first replays the business's log; start once it has been quiet for 300 ms (at most 10 s)
      const settleUntil = performance.now() + 10_000;
      while (performance.now() < settleUntil && performance.now() - lastEventAt < 300) await sleep(50);
      const replayed = streamEvents;
      tracks.clear();

      const mix = [
        { weight: 1 - LEAD_SCORING_SHARE, value: NOOP },
        { weight: LEAD_SCORING_SHARE, value: LEAD_SCORING },
      ];
      // the generator's schedule is start + i / rate; its start is not exposed, so it is recovered as the
      // smallest (call time − i / rate) over every arrival: each is called when due, never before
      const interval = 1000 / rate;
      let t0 = Number.POSITIVE_INFINITY;
      const enqueued = new WriteLedger();
      const refused: string[] = [];
      const enqueue = await ctx.openLoop({
        label: "agents (enqueue)",
        connections,
        phases: [{ name: "enqueue", rate, seconds: ctx.settings.durationSeconds }],
        readBody: true,
        next: (i): OpenRequest => {
          t0 = Math.min(t0, performance.now() - i * interval);
          const businessId = ids[i % ids.length]!;
          const task = weighted(mix, random);
          const tag: EnqueueTag = { businessId, agent: task.agent, index: i };
          return {
            method: "POST",
            path: `/api/v1/businesses/${businessId}/agent-tasks`,
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify(task),
            tag,
            kind: `POST /agent-tasks (${task.agent})`,
          };
        },
        onComplete: (request, status, body, doneAt) => {
          const tag = request.tag as EnqueueTag;
          if (status === null) {
            enqueued.record(tag.businessId, null, ENTRIES_PER_TASK);
            return;
          }
          if (status !== 202) {
            enqueued.record(tag.businessId, status, 0);
            if (refused.length < 3) refused.push(`${status} ${(body ?? "").slice(0, 120)}`);
            return;
          }
          let id: string | undefined;
          try {
            id = JSON.parse(body ?? "{}").id;
          } catch {
            id = undefined;
          }
          if (!id) {
            refused.push(`202 without a task id: ${(body ?? "").slice(0, 120)}`);
            return;
          }
          const t = track(id);
          t.businessId = tag.businessId;
          t.agent = tag.agent;
          t.index = tag.index;
          t.ackedAt = doneAt;
        },
      });
      const enqueueEnd = performance.now();
      const start = Number.isFinite(t0) ? t0 : enqueueEnd;

      // grace: wait (bounded) until every acknowledged task's final event has arrived
      const acked = () => [...tracks.values()].filter((t) => t.ackedAt !== null);
      const graceUntil = performance.now() + graceMs;
      while (performance.now() < graceUntil && !ctx.signal.aborted && acked().some((t) => t.final === null)) await sleep(25);
      const graceWaitedMs = Math.round(Math.max(0, performance.now() - enqueueEnd));

      // the figures
      const mine = acked();
      const byAgent = new Map<string, { h: ReturnType<typeof newHistogram>; count: number; ok: number }>();
      const overhead = newHistogram();
      const queueWait = newHistogram();
      const afterAck = newHistogram();
      const completions: Array<{ at: number; latency: number }> = [];
      let failed = 0;
      let unfinished = 0;
      let otherFinal = 0;
      let beforeAck = 0;
      let proposalsApplied = 0;
      let retried = 0;
      for (const t of mine) {
        const agent = t.agent ?? "unknown";
        let a = byAgent.get(agent);
        if (!a) {
          a = { h: newHistogram(), count: 0, ok: 0 };
          byAgent.set(agent, a);
        }
        a.count += 1;
        if (t.attempts > 1) retried += 1;
        // audit entries this task appended: queued, started, final (+ 3 per auto-applied proposal)
        if (t.final === null) {
          unfinished += 1;
          enqueued.record(t.businessId!, 202, 1);
          enqueued.record(t.businessId!, null, ENTRIES_PER_TASK - 1);
          continue;
        }
        enqueued.record(t.businessId!, 202, ENTRIES_PER_TASK + ENTRIES_PER_APPLIED_PROPOSAL * t.proposalsApplied);
        proposalsApplied += t.proposalsApplied;
        if (t.final === "failed") failed += 1;
        else if (t.final !== "succeeded") otherFinal += 1;
        if (t.final !== "succeeded") continue;
        const latency = t.finalReceivedAt! - (start + t.index! * interval);
        completions.push({ at: t.finalReceivedAt!, latency });
        recordMs(a.h, latency);
        a.ok += 1;
        if (t.finalReceivedAt! < t.ackedAt!) beforeAck += 1;
        recordMs(afterAck, Math.max(0, t.finalReceivedAt! - t.ackedAt!));
        if (t.createdAt && t.finishedAt) recordMs(overhead, Math.max(0, Date.parse(t.finishedAt) - Date.parse(t.createdAt)));
        if (t.createdAt && t.startedAt) recordMs(queueWait, Math.max(0, Date.parse(t.startedAt) - Date.parse(t.createdAt)));
      }

      // completions per second, windowed by the arrival of each task's succeeded event
      completions.sort((x, y) => x.at - y.at);
      const done = new Recorder();
      done.start(start);
      for (const c of completions) done.response(200, c.latency, c.at);
      const lastCompletion = completions.at(-1)?.at ?? enqueueEnd;
      done.finish(Math.max(enqueueEnd, lastCompletion));
      const succeeded = completions.length;
      const notSucceeded = mine.length - succeeded;
      const errors = {
        ...enqueue.errors,
        byStatus: { ...enqueue.errors.byStatus, ...(failed ? { "task failed": failed } : {}), ...(otherFinal ? { "task not succeeded": otherFinal } : {}) },
        timeouts: enqueue.errors.timeouts + unfinished,
        total: enqueue.errors.total + notSucceeded,
      };
      const seconds = done.durationSeconds;
      const load: LoadResult = {
        mode: "open-loop",
        durationSeconds: seconds,
        connections: enqueue.connections,
        offeredRate: enqueue.offeredRate,
        attempted: enqueue.attempted,
        ok: succeeded,
        throughput: succeeded / seconds,
        latency: done.summary(),
        errorRate: enqueue.attempted ? errors.total / enqueue.attempted : null,
        errors,
        statusCounts: enqueue.statusCounts,
        perSecond: done.perSecond,
        throughputSpread: done.throughputSpread(),
        serverTimingDb: enqueue.serverTimingDb,
        generator: enqueue.generator,
        connectionsServed: enqueue.connectionsServed,
        maxBacklog: enqueue.maxBacklog,
      };
      const over = summarize(overhead);
      const wait = summarize(queueWait);
      const steps: Record<string, StepSummary> = {
        "enqueue POST /agent-tasks (scheduled send → 202)": {
          count: enqueue.attempted,
          ok: enqueue.ok,
          errorRate: enqueue.errorRate,
          perSecond: Math.round(enqueue.throughput * 100) / 100,
          latency: enqueue.latency,
        },
        ...Object.fromEntries([...byAgent].map(([agent, a]) => [`${agent}: scheduled send → succeeded event`, stepOf(a.h, a.count, a.ok, seconds)])),
        "202 received → succeeded event (0 when the event came first)": stepOf(afterAck, succeeded, succeeded, seconds),
        "server: createdAt → finishedAt (as stored, ms resolution)": stepOf(overhead, over?.count ?? 0, over?.count ?? 0, seconds),
        "server: createdAt → startedAt (queue wait, ms resolution)": stepOf(queueWait, wait?.count ?? 0, wait?.count ?? 0, seconds),
      };
      const dropped = subscribers.filter((s) => s.failure).map((s) => s.failure);
      const checks: Check[] = [
        {
          name: "every event stream stayed connected",
          ok: dropped.length === 0,
          detail: dropped.length === 0 ? `${subscribers.length} streams (one per business)` : `${dropped.length} failed: ${dropped.slice(0, 3).join(", ")}`,
        },
        {
          name: "every acknowledged task succeeded within the grace period",
          ok: notSucceeded === 0 && mine.length > 0,
          detail: `${succeeded}/${mine.length} acknowledged tasks succeeded (their succeeded event arrived) within ${graceMs / 1000} s after the last enqueue; ${failed} failed, ${otherFinal} ended otherwise, ${unfinished} not finished${refused.length ? `; refused enqueues: ${refused.join("; ")}` : ""}`,
        },
      ];

      const round = (n: number) => Math.round(n * 100) / 100;
      return {
        load,
        mode: "open-loop enqueue + SSE",
        throughputMeaning: "tasks succeeded/s (counted at their succeeded event; enqueues offered at a constant rate)",
        latencyMeaning: "enqueue's scheduled send (start + i / rate, open-loop) → the task's agent_task.succeeded event parsed from the business's SSE stream",
        steps,
        extra: {
          offeredRate: rate,
          businesses: ids.length,
          agentMix: `${Math.round((1 - LEAD_SCORING_SHARE) * 100)} % audit-check {checks: []} (no-op), ${Math.round(LEAD_SCORING_SHARE * 100)} % lead-scoring (auto-apply)`,
          enqueued: enqueue.attempted,
          acknowledged: mine.length,
          succeeded,
          failed,
          unfinished,
          enqueuePerSecond: round(enqueue.throughput),
          completionsPerSecond: round(load.throughput),
          serverOverheadP50Ms: over?.p50 ?? null,
          serverOverheadP95Ms: over?.p95 ?? null,
          serverOverheadP99Ms: over?.p99 ?? null,
          serverOverheadMaxMs: over?.max ?? null,
          queueWaitP95Ms: wait?.p95 ?? null,
          succeededBeforeEnqueueResponse: beforeAck,
          retriedTasks: retried,
          leadScoreProposalsApplied: proposalsApplied,
          graceSeconds: graceMs / 1000,
          graceWaitedMs,
          eventsReplayedBeforeStart: replayed,
          streamEvents: streamEvents - replayed,
          warmupTasks: prepared.warmup.tasks,
          warmupSeconds: prepared.warmup.seconds,
          warmupProposalsApplied: prepared.warmup.proposalsApplied,
          maxBacklog: enqueue.maxBacklog,
        },
        checks,
        notes: [
          `Businesses: ${prepared.businesses.map((b) => b.name).join(", ")}. lead-scoring's auto-apply is turned on in them for the run (and restored after), so its tasks finish as succeeded; a warm-up task per agent and business ran before the clock.`,
          `${beforeAck} of ${succeeded} succeeded events reached the client before the enqueue's own 202 (the no-op task can finish within the same milliseconds); latency counts from the scheduled send either way, and the step "202 received → succeeded event" shows the rest of the wait once the client knew the task's id.`,
          "Server overhead (createdAt → finishedAt) is read from the events' server timestamps, which are the stored createdAt/finishedAt (ms resolution).",
        ],
        verify: async () => {
          const after = await auditSnapshot(ctx.http, token, ids);
          const out: Check[] = [...auditChecks(prepared.audit, after, enqueued)];
          // the stored state of every acknowledged task (paged, newest first, bounded)
          const wanted = new Map(mine.map((t) => [t.id, t.businessId!]));
          const stored = new Map<string, string>();
          for (const id of ids) {
            const expected = mine.filter((t) => t.businessId === id).length;
            let cursor: string | null = null;
            for (let page = 0; page < Math.ceil(expected / 200) + 5; page++) {
              const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
              const res = await ctx.http.get<{ data: Array<{ id: string; status: string }>; nextCursor: string | null }>(`/businesses/${id}/agent-tasks?limit=200${query}`, { token });
              expectStatus(res, 200, "list agent tasks");
              for (const t of res.body.data) if (wanted.has(t.id)) stored.set(t.id, t.status);
              cursor = res.body.nextCursor;
              if (!cursor) break;
            }
          }
          const notStored = [...wanted.keys()].filter((id) => !stored.has(id));
          const notSucceededStored = [...stored].filter(([, s]) => s !== "succeeded");
          out.push({
            name: "every acknowledged task is stored as succeeded",
            ok: notStored.length === 0 && notSucceededStored.length === 0 && wanted.size > 0,
            detail:
              notStored.length === 0 && notSucceededStored.length === 0
                ? `${stored.size} tasks read back, all succeeded`
                : `${notStored.length} not found; ${notSucceededStored.length} not succeeded (${notSucceededStored.slice(0, 5).map(([id, s]) => `${id} ${s}`).join(", ")})`,
          });
          // leave the businesses' agent settings as they were
          for (const b of prepared.businesses) {
            if (b.restoreSettings === null) continue;
            const res = await ctx.http.patch(`/businesses/${b.id}/agents/lead-scoring`, { settings: b.restoreSettings }, { token });
            expectStatus(res, 200, "restore lead-scoring's settings");
          }
          return out;
        },
      };
    } finally {
      for (const s of subscribers) s.close();
    }
  },
};

export default agents;
