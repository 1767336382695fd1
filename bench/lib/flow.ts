import { Http, type HttpResponse, type RequestOptions } from "./http.js";
import { cpuPercent, Recorder, StepRecorder } from "./recorder.js";
import type { LoadResult } from "./types.js";

/** Sends one step of a flow; the response is recorded under `step`. Throws when no response came. */
export type Call = (step: string, method: string, path: string, options?: RequestOptions) => Promise<HttpResponse>;

export interface FlowOptions {
  origin: string;
  /** Virtual users, each running iterations back to back on its own connection (closed-loop). */
  users: number;
  seconds: number;
  signal: AbortSignal;
  /** One iteration; returns false when it failed part-way (it is then not counted as a completed flow). */
  iteration: (user: number, call: Call) => Promise<boolean>;
  /** Name of the whole-iteration step in the step table. */
  flowName: string;
  onTick?: (live: ReturnType<Recorder["live"]>) => void;
}

export interface FlowResult {
  load: LoadResult;
  steps: StepRecorder;
  completedFlows: number;
}

/**
 * Closed-loop virtual users running a multi-step flow (e.g. login → me → businesses). Each request's
 * latency (send → body) goes to the run's histogram and to its step's; a completed iteration's time
 * goes to the flow step. Server-Timing db durations are read from every response.
 */
export async function runFlows(options: FlowOptions): Promise<FlowResult> {
  const http = new Http(options.origin, options.users);
  const recorder = new Recorder();
  const steps = new StepRecorder();
  let completedFlows = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  recorder.start(started);
  const deadline = started + options.seconds * 1000;
  const ticker = options.onTick ? setInterval(() => options.onTick!(recorder.live(performance.now())), 1000) : undefined;

  const call: Call = async (step, method, path, requestOptions) => {
    const sent = performance.now();
    try {
      const res = await http.request(method, path, requestOptions);
      const now = performance.now();
      recorder.response(res.status, now - sent, now, res.dbMs);
      steps.record(step, res.status < 400, now - sent);
      return res;
    } catch (error) {
      const now = performance.now();
      const code = (error as { code?: string }).code ?? "";
      recorder.failure(code.includes("TIMEOUT") ? "timeouts" : "connection", now, now - sent);
      steps.record(step, false, null);
      throw error;
    }
  };

  try {
    await Promise.all(
      Array.from({ length: options.users }, async (_, user) => {
        while (performance.now() < deadline && !options.signal.aborted) {
          const began = performance.now();
          let ok = false;
          try {
            ok = await options.iteration(user, call);
          } catch {
            ok = false;
          }
          const took = performance.now() - began;
          steps.record(options.flowName, ok, ok ? took : null);
          if (ok) completedFlows += 1;
        }
      }),
    );
  } finally {
    clearInterval(ticker);
    await http.close();
  }
  const now = performance.now();
  recorder.finish(now);
  const used = process.cpuUsage(cpu);
  const wall = (now - started) / 1000;
  return {
    completedFlows,
    steps,
    load: {
      mode: "closed-loop",
      connections: options.users,
      offeredRate: null,
      ...recorder.measured(),
      serverTimingDb: recorder.serverTimingDb(),
      generator: { cpuPercent: cpuPercent(used.user + used.system, wall), sendLagMs: null },
      connectionsServed: null,
      maxBacklog: null,
    },
  };
}
