import { readFileSync } from "node:fs";
import { median } from "./histogram.js";
import type { ServerMeasurements } from "./types.js";

/** One parsed Prometheus text exposition: series name → [labels, value][]. */
export type Scrape = Map<string, Array<{ labels: Record<string, string>; value: number }>>;

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, "$1");
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    let list = out.get(m[1]!);
    if (!list) {
      list = [];
      out.set(m[1]!, list);
    }
    list.push({ labels, value });
  }
  return out;
}

/** Sum of a series over the label sets the filter accepts; null when the series does not exist. */
export function total(scrape: Scrape, name: string, filter: (labels: Record<string, string>) => boolean = () => true): number | null {
  const list = scrape.get(name);
  if (!list) return null;
  return list.filter((s) => filter(s.labels)).reduce((sum, s) => sum + s.value, 0);
}

const notMetrics = (l: Record<string, string>) => l.route !== "/metrics";

export class MetricsClient {
  constructor(
    private readonly origin: string,
    private readonly token: string | undefined,
  ) {}

  async scrape(): Promise<Scrape> {
    const res = await fetch(`${this.origin}/metrics`, {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    return parsePrometheus(text);
  }
}

interface Sample {
  at: number;
  rss: number | null;
  heap: number | null;
  sse: number | null;
}

/** CPU seconds (user + system) of a process, from /proc (Linux); null elsewhere. */
export function processCpuSeconds(pid: number | undefined, ticksPerSecond: number | null): number | null {
  if (pid === undefined || ticksPerSecond === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11] is utime, fields[12] stime (fields 14 and 15 of the whole line)
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat (Linux); null elsewhere. */
export function machineCpuTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    if (!line.startsWith("cpu ")) return null;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * Scrapes /metrics before a scenario, every `intervalMs` during it (for peak and steady memory), and
 * after it; then turns the deltas into per-request figures.
 */
export class ScenarioMetrics {
  private before: Scrape | null = null;
  private after: Scrape | null = null;
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private cpuBefore: number | null = null;
  private cpuAfter: number | null = null;
  private machineBefore: { busy: number; total: number } | null = null;
  private machineAfter: { busy: number; total: number } | null = null;
  private startedAt = 0;
  private endedAt = 0;
  failure: string | null = null;
  /** Why there is no cache hit rate (set by result()), or null when there is one. */
  cacheNote: string | null = null;

  constructor(
    private readonly client: MetricsClient,
    private readonly serverPid: number | undefined,
    private readonly ticksPerSecond: number | null,
    private readonly intervalMs = 500,
  ) {}

  async start(): Promise<void> {
    try {
      this.before = await this.client.scrape();
      this.sample(this.before);
    } catch (error) {
      this.failure = (error as Error).message;
    }
    this.cpuBefore = processCpuSeconds(this.serverPid, this.ticksPerSecond);
    this.machineBefore = machineCpuTicks();
    this.startedAt = performance.now();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  private async tick(): Promise<void> {
    if (this.inFlight || this.failure) return;
    this.inFlight = true;
    try {
      this.sample(await this.client.scrape());
    } catch {
      // a missed sample under heavy load is fine; before/after decide whether metrics were reachable
    } finally {
      this.inFlight = false;
    }
  }

  private sample(scrape: Scrape): void {
    this.samples.push({
      at: performance.now(),
      rss: total(scrape, "coreflow_process_resident_memory_bytes"),
      heap: total(scrape, "coreflow_process_heap_used_bytes"),
      sse: total(scrape, "coreflow_sse_subscribers"),
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.endedAt = performance.now();
    this.cpuAfter = processCpuSeconds(this.serverPid, this.ticksPerSecond);
    this.machineAfter = machineCpuTicks();
    if (this.failure) return;
    try {
      this.after = await this.client.scrape();
      this.sample(this.after);
    } catch (error) {
      this.failure = (error as Error).message;
    }
  }

  /** How busy the whole machine was during the scenario, percent of all cores (other processes included). */
  machineBusyPercent(): number | null {
    const a = this.machineAfter;
    const b = this.machineBefore;
    if (!a || !b || a.total <= b.total) return null;
    return Math.round(((a.busy - b.busy) / (a.total - b.total)) * 1000) / 10;
  }

  result(): ServerMeasurements | null {
    const before = this.before;
    const after = this.after;
    if (!before || !after) return null;
    const delta = (name: string, filter?: (l: Record<string, string>) => boolean) => {
      const a = total(after, name, filter);
      const b = total(before, name, filter);
      return a === null ? null : a - (b ?? 0);
    };
    const r4 = (n: number) => Math.round(n * 10000) / 10000;
    const requests = delta("coreflow_http_requests_total", notMetrics);
    const statements = delta("coreflow_db_statements_total");
    const dbSeconds = delta("coreflow_db_statement_seconds_total");
    const durationSum = delta("coreflow_http_request_duration_seconds_sum", notMetrics);
    const durationCount = delta("coreflow_http_request_duration_seconds_count", notMetrics);
    const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
    const rss = this.samples.map((s) => s.rss).filter((v): v is number => v !== null);
    const heap = this.samples.map((s) => s.heap).filter((v): v is number => v !== null);
    // steady: the median of the samples taken in the second half of the scenario
    const half = this.startedAt + (this.endedAt - this.startedAt) / 2;
    const late = this.samples.filter((s) => s.at >= half);
    const steady = (pick: (s: Sample) => number | null) => {
      const m = median(late.map(pick).filter((v): v is number => v !== null));
      return m === null ? null : mb(m);
    };
    // a cache hit rate only when the server exports hit and miss counters and there were lookups
    const hits = delta("coreflow_cache_hits_total");
    const misses = delta("coreflow_cache_misses_total");
    const cacheHitRate = hits !== null && misses !== null && hits + misses > 0 ? r4(hits / (hits + misses)) : null;
    this.cacheNote =
      hits === null || misses === null
        ? "not measured (the server exports no cache hit/miss counters: coreflow_cache_hits_total, coreflow_cache_misses_total)"
        : hits + misses === 0
          ? "not measured (no cache lookups during this scenario)"
          : null;
    const lag = total(after, "coreflow_event_loop_lag_p99_seconds");
    const lagMean = total(after, "coreflow_event_loop_lag_mean_seconds");
    const sse = this.samples.map((s) => s.sse).filter((v): v is number => v !== null);
    const wall = (this.endedAt - this.startedAt) / 1000;
    const cpu = this.cpuBefore !== null && this.cpuAfter !== null && wall > 0 ? ((this.cpuAfter - this.cpuBefore) / wall) * 100 : null;
    return {
      samples: this.samples.length,
      rssPeakMB: rss.length ? mb(Math.max(...rss)) : null,
      rssSteadyMB: steady((s) => s.rss),
      heapPeakMB: heap.length ? mb(Math.max(...heap)) : null,
      heapSteadyMB: steady((s) => s.heap),
      eventLoopLagP99MsSinceStart: lag === null ? null : r4(lag * 1000),
      eventLoopLagMeanMsSinceStart: lagMean === null ? null : r4(lagMean * 1000),
      requests,
      responses5xx: delta("coreflow_http_requests_total", (l) => notMetrics(l) && (l.status ?? "").startsWith("5")),
      dbStatementsPerRequest: requests && statements !== null ? r4(statements / requests) : null,
      dbMsPerRequest: requests && dbSeconds !== null ? r4((dbSeconds * 1000) / requests) : null,
      dbMsPerStatement: statements && dbSeconds !== null ? r4((dbSeconds * 1000) / statements) : null,
      serverMeanMs: durationCount && durationSum !== null ? r4((durationSum * 1000) / durationCount) : null,
      businessHandlesOpen: total(after, "coreflow_business_handles_open"),
      sseSubscribersPeak: sse.length ? Math.max(...sse) : null,
      cpuPercent: cpu === null ? null : Math.round(cpu * 10) / 10,
      cpuMicrosPerRequest: this.cpuBefore !== null && this.cpuAfter !== null && requests ? Math.round(((this.cpuAfter - this.cpuBefore) / requests) * 1e7) / 10 : null,
      cacheHitRate,
    };
  }
}
