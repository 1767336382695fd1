/** Shapes shared by the suite. Every number in them was measured in the run that holds it; what was not measured is null. */

/** Latency percentiles in milliseconds, from every sample (HdrHistogram, 3 significant digits). */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** One second of a load run, bucketed by completion time. */
export interface SecondWindow {
  /** Seconds since the measured phase started (end of the window). */
  t: number;
  /** Successful responses per second in this window. */
  throughput: number;
  /** Responses of any kind in this window. */
  responses: number;
  p50: number | null;
  p99: number | null;
}

export interface Spread {
  samples: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
}

export interface ErrorCounts {
  total: number;
  /** Responses with status ≥ 400, by status. */
  byStatus: Record<string, number>;
  /** Connection failures (refused, reset) before a response. */
  connection: number;
  /** No response within the request timeout, or still outstanding when the run's drain limit ended. */
  timeouts: number;
  /** Open-loop only: requests that were due but could not be sent before the run ended (client backlog). */
  unsent: number;
}

/** What one run of load (closed- or open-loop) measured, from the client's side. */
export interface LoadResult {
  mode: "closed-loop" | "open-loop";
  /** Wall time of the measured phase, seconds. */
  durationSeconds: number;
  connections: number;
  /** Open-loop: the requests per second that were scheduled. */
  offeredRate: number | null;
  attempted: number;
  /** Responses with status < 400. */
  ok: number;
  /** ok / durationSeconds. */
  throughput: number;
  latency: LatencySummary | null;
  errorRate: number | null;
  errors: ErrorCounts;
  statusCounts: Record<string, number>;
  perSecond: SecondWindow[];
  throughputSpread: Spread | null;
  /** Server-Timing `db;dur=` read from responses (open-loop and flow clients; autocannon does not expose headers cheaply). */
  serverTimingDb: { responses: number; withDb: number; meanMs: number | null; p50: number | null; p99: number | null } | null;
  generator: {
    /** CPU the bench process used while generating this load, percent of one core. */
    cpuPercent: number;
    /** Open-loop: how late requests left the generator after their scheduled time, when their connection was free. */
    sendLagMs: { p50: number; p99: number; max: number } | null;
  };
  /** Open-loop: connections that each got at least one successful response. */
  connectionsServed: number | null;
  /** Open-loop: the most requests waiting in the generator at one time (due but their connection busy). */
  maxBacklog: number | null;
}

/** Figures scraped from the server's GET /metrics before, during and after a scenario. */
export interface ServerMeasurements {
  samples: number;
  rssPeakMB: number | null;
  rssSteadyMB: number | null;
  heapPeakMB: number | null;
  heapSteadyMB: number | null;
  /** The server's gauge is cumulative since it started, so this is "since start", read after the scenario. */
  eventLoopLagP99MsSinceStart: number | null;
  eventLoopLagMeanMsSinceStart: number | null;
  /** Requests the server counted in the scenario (GET /metrics excluded). */
  requests: number | null;
  responses5xx: number | null;
  dbStatementsPerRequest: number | null;
  dbMsPerRequest: number | null;
  dbMsPerStatement: number | null;
  /** Mean server-side handling time (coreflow_http_request_duration_seconds sum/count delta). */
  serverMeanMs: number | null;
  businessHandlesOpen: number | null;
  sseSubscribersPeak: number | null;
  /** CPU of the server process during the scenario, percent of one core (only when the suite started the server, on Linux). */
  cpuPercent: number | null;
  /** The server's CPU time (user + system, all threads) per request it counted, in µs: same conditions as cpuPercent. */
  cpuMicrosPerRequest: number | null;
  /** Δhits / (Δhits + Δmisses) of coreflow_cache_hits_total / coreflow_cache_misses_total; null when the server does not export them. */
  cacheHitRate: number | null;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface StepSummary {
  count: number;
  ok: number;
  errorRate: number | null;
  perSecond: number;
  latency: LatencySummary | null;
}

/** One scenario's row in report.json. */
export interface ScenarioResult {
  name: string;
  title: string;
  mode: string;
  /** What `throughput` counts, e.g. "successful requests/s". */
  throughputMeaning: string;
  /** What `latency` measures. */
  latencyMeaning: string;
  durationSeconds: number;
  connections: number | null;
  offeredRate: number | null;
  requests: number;
  throughput: number;
  latency: { p50: number; p95: number; p99: number; max: number; mean: number; p90: number; p999: number } | null;
  errorRate: number | null;
  errors: ErrorCounts | null;
  statusCounts: Record<string, number>;
  throughputSpread: Spread | null;
  perSecond: SecondWindow[];
  /** This scenario's throughput over /health's, measured in the same run (null when health was not measured). */
  ratioToHealth: number | null;
  server: ServerMeasurements | null;
  generator: LoadResult["generator"] | null;
  /** The machine during the scenario: everything runs on it, including other processes. */
  machine: { cpuBusyPercentOfAllCores: number | null; loadAverage1m: number };
  serverTimingDb: LoadResult["serverTimingDb"];
  connectionsServed: number | null;
  /** 5xx responses the client received. */
  responses5xx: number;
  steps: Record<string, StepSummary>;
  extra: Record<string, number | string | boolean | null>;
  checks: Check[];
  /** Failed persisted-state checks; null when the scenario has none (it writes nothing). */
  checksFailed: number | null;
  /** Figures this scenario cannot measure in this build, with the reason. */
  notMeasured: Record<string, string>;
  notes: string[];
}

export interface TargetDefinition {
  id: string;
  set: "seed" | "ours";
  name: string;
  /** A scenario name, a list of them, or "*" for every scenario that ran. */
  scenarios: string | string[];
  /** A dotted path into a ScenarioResult, e.g. "latency.p95", "server.rssPeakMB", "ratioToHealth". */
  metric: string;
  /** How several scenarios combine: the worst value counts. */
  aggregate?: "worst";
  op: "<=" | ">=";
  value: number;
  unit: string;
  /** "performance" targets are reported but do not fail a --quick run; "correctness" ones always count. */
  kind: "performance" | "correctness";
  /** The target only applies to runs at least this large, e.g. { "connections": 1250 }. */
  requires?: { connections?: number; offeredRate?: number };
  note?: string;
}

export interface TargetResult {
  id: string;
  set: string;
  name: string;
  target: string;
  op: string;
  value: number;
  unit: string;
  kind: string;
  measured: number | null;
  /** Where the measured value came from, or why nothing was measured. */
  source: string;
  /** true met, false missed, null not measured (never counts as met). */
  met: boolean | null;
  /** How far inside (positive) or outside (negative) the target, as a fraction of the target. */
  margin: number | null;
  /** In --quick, performance targets are informational. */
  counts: boolean;
}
