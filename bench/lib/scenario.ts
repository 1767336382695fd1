import type { ClosedLoopOptions } from "./closed-loop.js";
import type { Dataset } from "./dataset.js";
import type { Http } from "./http.js";
import type { OpenLoopOptions, OpenLoopResult } from "./open-loop.js";
import type { Progress } from "./progress.js";
import type { Check, LoadResult, ScenarioResult, StepSummary } from "./types.js";

export interface RunSettings {
  quick: boolean;
  /** Measured seconds per scenario (--duration, or 20 / 5 in --quick). */
  durationSeconds: number;
  /** Unrecorded warm-up before closed-loop measurements. */
  warmupSeconds: number;
  /** --connections: overrides every scenario's default. */
  connections: number | null;
  /** --rate: overrides the open-loop scenarios' rate. */
  rate: number | null;
  /** --subscribers: SSE subscribers in realtime-events. */
  subscribers: number | null;
  businesses: number;
}

/** The scenario that loads a bare server of its own (the machine's floor): no target is about it. */
export const FLOOR_SCENARIO = "floor";

export interface ScenarioContext {
  /** http://127.0.0.1:<port> */
  origin: string;
  dataset: Dataset;
  settings: RunSettings;
  /** A small shared client for setup and checks (not for load). */
  http: Http;
  progress: Progress;
  signal: AbortSignal;
  /** Results of the scenarios that already ran in this run, by name. */
  previous: ReadonlyMap<string, ScenarioResult>;
  /** Closed-loop maximum throughput (autocannon), with the run's progress display and abort wired in. */
  closedLoop(options: Omit<ClosedLoopOptions, "origin" | "signal" | "onTick" | "warmupSeconds"> & { warmupSeconds?: number; label?: string }): Promise<LoadResult>;
  /** Two closed-loop measurements in alternating slices (side by side), each `seconds` long in total. */
  closedLoopInterleaved(
    a: Omit<ClosedLoopOptions, "origin" | "signal" | "onTick" | "warmupSeconds"> & { label: string },
    b: Omit<ClosedLoopOptions, "origin" | "signal" | "onTick" | "warmupSeconds"> & { label: string },
    rounds: number,
  ): Promise<[LoadResult, LoadResult]>;
  /** Open-loop constant arrival rate, with progress and abort wired in. */
  openLoop(options: Omit<OpenLoopOptions, "origin" | "signal" | "onTick"> & { label?: string }): Promise<OpenLoopResult>;
  /** Picks a default by mode: `pick(normal, quick)`. */
  pick<T>(normal: T, quick: T): T;
}

/** What a scenario hands back; the runner adds the server's /metrics figures and builds the report row. */
export interface ScenarioOutcome {
  /** The headline load: its throughput, latency and errors become the scenario's row. */
  load: LoadResult;
  /** Overrides the mode shown (default: the load's). */
  mode?: string;
  throughputMeaning?: string;
  latencyMeaning?: string;
  ratioToHealth?: number | null;
  steps?: Record<string, StepSummary>;
  extra?: Record<string, number | string | boolean | null>;
  checks?: Check[];
  /**
   * Persisted-state checks to run once the scenario's /metrics window has closed, so that their reads
   * (counting every record, verifying audit chains) do not count in its server figures. Their checks
   * are added to `checks`; if one throws, that is a failed check.
   */
  verify?: () => Promise<Check[]>;
  notMeasured?: Record<string, string>;
  notes?: string[];
}

/**
 * One scenario = one module under bench/scenarios/ exporting one of these, listed in
 * bench/scenarios/index.ts. That is all it takes to add one (targets that use it go in bench/targets.json).
 */
export interface Scenario<Prepared = unknown> {
  name: string;
  title: string;
  description: string;
  /** Writes business state: its outcome must carry the persisted-state checks. */
  writes: boolean;
  /** Optional setup before the clock and the /metrics deltas start (extra data, "before" snapshots). */
  prepare?(ctx: ScenarioContext): Promise<Prepared>;
  run(ctx: ScenarioContext, prepared: Prepared): Promise<ScenarioOutcome>;
}

/** The health scenario's throughput from this run, when it ran. */
export function healthThroughput(previous: ReadonlyMap<string, ScenarioResult>): number | null {
  const health = previous.get("health");
  return health && health.throughput > 0 ? health.throughput : null;
}

/** A deterministic PRNG (mulberry32), so request mixes are the same every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from weighted choices with the given random source. */
export function weighted<T>(choices: ReadonlyArray<{ weight: number; value: T }>, random: () => number): T {
  const sum = choices.reduce((n, c) => n + c.weight, 0);
  let r = random() * sum;
  for (const c of choices) {
    r -= c.weight;
    if (r < 0) return c.value;
  }
  return choices[choices.length - 1]!.value;
}
