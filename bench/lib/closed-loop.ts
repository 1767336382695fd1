import autocannon from "autocannon";
import { cpuPercent, Recorder } from "./recorder.js";
import type { LoadResult } from "./types.js";

export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface ClosedLoopOptions {
  origin: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** Each connection cycles through these in order. */
  requests: RequestSpec[];
  signal: AbortSignal;
  timeoutSeconds?: number;
  onTick?: (live: ReturnType<Recorder["live"]>) => void;
}

/** One autocannon run; with a recorder, every response and failure goes into it (resumed before, paused after). */
function runOnce(options: ClosedLoopOptions, seconds: number, recorder: Recorder | null): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const instance = autocannon({
      url: options.origin,
      connections: options.connections,
      duration: seconds,
      pipelining: 1,
      timeout: options.timeoutSeconds ?? 10,
      requests: options.requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: r.body })),
    });
    const onAbort = () => instance.stop();
    if (options.signal.aborted) instance.stop();
    options.signal.addEventListener("abort", onAbort, { once: true });
    if (recorder) {
      instance.once("start", () => recorder.resume(performance.now()));
      instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
        recorder.response(status, ms, performance.now());
      });
      instance.on("reqError", (error: Error) => {
        recorder.failure(/timed out/.test(error.message) ? "timeouts" : "connection", performance.now());
      });
    }
    const ticker = recorder && options.onTick ? setInterval(() => options.onTick!(recorder.live(performance.now())), 1000) : undefined;
    const settle = () => {
      clearInterval(ticker);
      options.signal.removeEventListener("abort", onAbort);
      recorder?.pause(performance.now());
    };
    instance.then(
      () => {
        settle();
        resolveRun();
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

function toResult(options: ClosedLoopOptions, recorder: Recorder, cpuUserSystemMicros: number, wallSeconds: number): LoadResult {
  return {
    mode: "closed-loop",
    connections: options.connections,
    offeredRate: null,
    ...recorder.measured(),
    serverTimingDb: null,
    generator: { cpuPercent: cpuPercent(cpuUserSystemMicros, wallSeconds), sendLagMs: null },
    connectionsServed: null,
    maxBacklog: null,
  };
}

function pausedRecorder(): Recorder {
  const recorder = new Recorder();
  const now = performance.now();
  recorder.start(now);
  recorder.pause(now);
  return recorder;
}

/**
 * Maximum throughput: `connections` keep-alive connections, each sending its next request as soon as
 * the previous response arrives (autocannon). A warm-up run first is not recorded. Latency is from
 * send to response; every sample goes into our own HdrHistogram (autocannon's own omits p95).
 */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0 && !options.signal.aborted) await runOnce(options, options.warmupSeconds, null);
  const recorder = pausedRecorder();
  const cpu = process.cpuUsage();
  const wallStart = performance.now();
  await runOnce(options, options.seconds, recorder);
  recorder.finish(performance.now());
  const used = process.cpuUsage(cpu);
  return toResult(options, recorder, used.user + used.system, (performance.now() - wallStart) / 1000);
}

/**
 * Two closed-loop measurements side by side: `rounds` alternating slices of A then B, so that whatever
 * else the machine does drifts over both alike. Each gets `seconds` in total. Generator CPU is for both.
 */
export async function closedLoopInterleaved(a: ClosedLoopOptions, b: ClosedLoopOptions, rounds: number): Promise<[LoadResult, LoadResult]> {
  for (const o of [a, b]) if (o.warmupSeconds > 0 && !o.signal.aborted) await runOnce(o, o.warmupSeconds, null);
  const ra = pausedRecorder();
  const rb = pausedRecorder();
  const cpu = process.cpuUsage();
  const wallStart = performance.now();
  for (let i = 0; i < rounds && !a.signal.aborted; i++) {
    await runOnce(a, Math.max(1, Math.round(a.seconds / rounds)), ra);
    if (b.signal.aborted) break;
    await runOnce(b, Math.max(1, Math.round(b.seconds / rounds)), rb);
  }
  const now = performance.now();
  ra.finish(now);
  rb.finish(now);
  const used = process.cpuUsage(cpu);
  const wall = (now - wallStart) / 1000;
  return [toResult(a, ra, used.user + used.system, wall), toResult(b, rb, used.user + used.system, wall)];
}
