import { Client } from "undici";
import type { RequestSpec } from "./closed-loop.js";
import { newHistogram, recordMs, summarize } from "./histogram.js";
import { dbMsOf } from "./http.js";
import { cpuPercent, Recorder, StepRecorder } from "./recorder.js";
import type { LoadResult, StepSummary } from "./types.js";

export interface OpenRequest extends RequestSpec {
  /** Anything the scenario wants back in onComplete (e.g. which business a write went to). */
  tag?: unknown;
  /** Groups requests in the result's `kinds` table (e.g. "GET /businesses/{id}"). */
  kind?: string;
}

export interface Phase {
  name: string;
  /** Requests per second scheduled during this phase. */
  rate: number;
  seconds: number;
}

export interface OpenLoopOptions {
  origin: string;
  connections: number;
  phases: Phase[];
  /** The request to send as the `index`-th arrival. */
  next: (index: number) => OpenRequest;
  signal: AbortSignal;
  /** Per request, from when it is sent. */
  timeoutMs?: number;
  /** After the last scheduled arrival, how long outstanding requests may still finish. */
  drainMs?: number;
  /** Requests waiting for one busy connection beyond this are counted as unsent errors. */
  maxBacklogPerConnection?: number;
  /** Read response bodies (for onComplete); otherwise they are discarded. */
  readBody?: boolean;
  /** `dbMs`: the response's Server-Timing `db;dur=` (null without a response, or when it touched no database). */
  onComplete?: (request: OpenRequest, status: number | null, body: string | null, doneAt: number, dbMs: number | null) => void;
  onTick?: (live: ReturnType<Recorder["live"]> & { backlog: number }) => void;
}

export interface OpenLoopResult extends LoadResult {
  /** Per phase, by scheduled time. */
  phases: Record<string, StepSummary>;
  /** Per request kind (only for requests that name one). */
  kinds: Record<string, StepSummary>;
}

interface Pending {
  request: OpenRequest;
  scheduled: number;
  phase: string;
}

interface Connection {
  client: Client;
  busy: boolean;
  queue: Pending[];
  served: boolean;
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Constant arrival rate, the way wrk2 does it: the `i`-th request is due at a fixed time
 * (start + i / rate) on connection i mod N, whatever happened to earlier ones. Latency counts from
 * that scheduled time, so when the server stalls, the requests queued behind the stall carry the
 * wait (no coordinated omission). Connections are opened (one GET /health each) before the clock
 * starts. Everything is bounded: the schedule by the phases, each connection's backlog, and the drain.
 */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const drainMs = options.drainMs ?? 10_000;
  const maxBacklog = options.maxBacklogPerConnection ?? 1_000;
  const connections: Connection[] = Array.from({ length: options.connections }, () => ({
    client: new Client(options.origin, {
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 60_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: { timeout: 10_000 },
    }),
    busy: false,
    queue: [],
    served: false,
  }));

  try {
    // open every connection before the clock starts, a few hundred at a time
    for (let i = 0; i < connections.length && !options.signal.aborted; i += 200) {
      await Promise.all(
        connections.slice(i, i + 200).map(async (c) => {
          const res = await c.client.request({ method: "GET", path: "/health" });
          await res.body.dump();
        }),
      );
    }
    return await schedule(options, connections, drainMs, maxBacklog);
  } finally {
    await Promise.all(connections.map((c) => c.client.destroy().catch(() => undefined)));
  }
}

function schedule(options: OpenLoopOptions, connections: Connection[], drainMs: number, maxBacklog: number): Promise<OpenLoopResult> {
  const recorder = new Recorder();
  const phaseSteps = new StepRecorder();
  const kindSteps = new StepRecorder();
  const sendLag = newHistogram();
  const bounds: Array<{ phase: string; start: number; count: number; interval: number; first: number }> = [];
  let total = 0;
  let offset = 0;
  for (const phase of options.phases) {
    const count = Math.max(0, Math.round(phase.rate * phase.seconds));
    bounds.push({ phase: phase.name, start: offset, count, interval: 1000 / Math.max(phase.rate, 1e-9), first: total });
    total += count;
    offset += phase.seconds * 1000;
  }
  const scheduleMs = offset;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  recorder.start(t0);
  let nextIndex = 0;
  let boundIndex = 0;
  let backlog = 0;
  let maxSeenBacklog = 0;
  let inFlight = 0;
  let draining = false;
  let finished = false;
  let resolveDone: (r: OpenLoopResult) => void;
  const done = new Promise<OpenLoopResult>((r) => {
    resolveDone = r;
  });

  const scheduledAt = (index: number): { at: number; phase: string } => {
    while (boundIndex < bounds.length - 1 && index >= bounds[boundIndex]!.first + bounds[boundIndex]!.count) boundIndex += 1;
    const b = bounds[boundIndex]!;
    return { at: t0 + b.start + (index - b.first) * b.interval, phase: b.phase };
  };

  const send = (conn: Connection, p: Pending, immediate: boolean) => {
    conn.busy = true;
    inFlight += 1;
    const sentAt = performance.now();
    if (immediate) recordMs(sendLag, Math.max(0, sentAt - p.scheduled));
    const r = p.request;
    conn.client
      .request({ method: r.method as "GET", path: r.path, headers: r.headers, body: r.body })
      .then(async (res) => {
        let text: string | null = null;
        if (options.readBody) text = await res.body.text();
        else await res.body.dump();
        complete(conn, p, res.statusCode, dbMsOf(res.headers["server-timing"]), text);
      })
      .catch((error: { code?: string }) => {
        const now = performance.now();
        inFlight -= 1;
        conn.busy = false;
        if (finished) return;
        recorder.failure(draining || TIMEOUT_CODES.has(error?.code ?? "") ? "timeouts" : "connection", now, now - p.scheduled);
        phaseSteps.record(p.phase, false, now - p.scheduled);
        if (p.request.kind) kindSteps.record(p.request.kind, false, now - p.scheduled);
        options.onComplete?.(p.request, null, null, now, null);
        pump(conn);
      });
  };

  const complete = (conn: Connection, p: Pending, status: number, dbMs: number | null, text: string | null) => {
    const now = performance.now();
    inFlight -= 1;
    conn.busy = false;
    if (finished) return;
    recorder.response(status, now - p.scheduled, now, dbMs);
    phaseSteps.record(p.phase, status < 400, now - p.scheduled);
    if (p.request.kind) kindSteps.record(p.request.kind, status < 400, now - p.scheduled);
    if (status < 400) conn.served = true;
    options.onComplete?.(p.request, status, text, now, dbMs);
    pump(conn);
  };

  const pump = (conn: Connection) => {
    // once the drain limit has passed, nothing more is sent: what waits is counted as unsent by finish()
    if (draining) return;
    const p = conn.queue.shift();
    if (p) {
      backlog -= 1;
      send(conn, p, false);
    } else if (nextIndex >= total && inFlight === 0 && backlog === 0) {
      finish();
    }
  };

  const finish = () => {
    if (finished) return;
    finished = true;
    options.signal.removeEventListener("abort", onAbort);
    clearInterval(ticker);
    clearTimeout(drainTimer);
    const now = performance.now();
    // whatever is still waiting was offered and never served
    for (const conn of connections) {
      for (const p of conn.queue) {
        recorder.failure("unsent", now);
        phaseSteps.record(p.phase, false, null);
        if (p.request.kind) kindSteps.record(p.request.kind, false, null);
      }
      conn.queue = [];
    }
    recorder.finish(now);
    const used = process.cpuUsage(cpu);
    const wall = (now - t0) / 1000;
    const lag = summarize(sendLag);
    const phaseSeconds = Object.fromEntries(options.phases.map((ph) => [ph.name, ph.seconds]));
    const steps = phaseSteps.summaries(1);
    for (const [name, s] of Object.entries(steps)) s.perSecond = Math.round((s.ok / (phaseSeconds[name] ?? 1)) * 100) / 100;
    const offered = total / (scheduleMs / 1000);
    resolveDone({
      mode: "open-loop",
      connections: connections.length,
      offeredRate: Math.round(offered * 100) / 100,
      ...recorder.measured(),
      attempted: total,
      serverTimingDb: recorder.serverTimingDb(),
      generator: {
        cpuPercent: cpuPercent(used.user + used.system, wall),
        sendLagMs: lag ? { p50: lag.p50, p99: lag.p99, max: lag.max } : null,
      },
      connectionsServed: connections.filter((c) => c.served).length,
      maxBacklog: maxSeenBacklog,
      phases: steps,
      kinds: kindSteps.summaries(wall),
    });
  };

  let drainTimer: NodeJS.Timeout | undefined;
  const startDrain = (limitMs = drainMs) => {
    if (drainTimer) return;
    drainTimer = setTimeout(() => {
      draining = true;
      // destroying the clients fails their in-flight requests, which count as timeouts
      for (const conn of connections) void conn.client.destroy().catch(() => undefined);
      setTimeout(finish, 200);
    }, limitMs);
    if (inFlight === 0 && backlog === 0) finish();
  };

  // interrupted: stop scheduling and give what is in flight one second
  const onAbort = () => {
    if (finished || draining) return;
    total = Math.min(total, nextIndex);
    clearTimeout(drainTimer);
    drainTimer = undefined;
    startDrain(1_000);
  };
  options.signal.addEventListener("abort", onAbort, { once: true });

  const tick = () => {
    if (finished) return;
    if (options.signal.aborted) {
      onAbort();
      return;
    }
    const now = performance.now();
    while (nextIndex < total) {
      const { at, phase } = scheduledAt(nextIndex);
      if (at > now) break;
      const conn = connections[nextIndex % connections.length]!;
      const p: Pending = { request: options.next(nextIndex), scheduled: at, phase };
      nextIndex += 1;
      if (!conn.busy) send(conn, p, true);
      else if (conn.queue.length >= maxBacklog) {
        recorder.failure("unsent", now);
        phaseSteps.record(p.phase, false, null);
        if (p.request.kind) kindSteps.record(p.request.kind, false, null);
      } else {
        conn.queue.push(p);
        backlog += 1;
        if (backlog > maxSeenBacklog) maxSeenBacklog = backlog;
      }
    }
    if (nextIndex >= total) startDrain();
    else setTimeout(tick, 1);
  };
  const ticker = setInterval(() => options.onTick?.({ ...recorder.live(performance.now()), backlog }), 1000);
  setTimeout(tick, 0);
  return done;
}
