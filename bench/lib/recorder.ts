import { type Histogram, newHistogram, recordMs, spreadOf, summarize } from "./histogram.js";
import type { ErrorCounts, LatencySummary, LoadResult, SecondWindow, StepSummary } from "./types.js";

/**
 * Collects every outcome of a load run: one HdrHistogram of all latencies, per-status counts, errors,
 * and one-second windows (throughput and percentiles per second) used for the spread that baseline
 * comparisons need. Times are performance.now() milliseconds.
 */
/** CPU time used over a wall-clock interval, as percent of one core (one decimal). */
export function cpuPercent(cpuMicros: number, wallSeconds: number): number {
  return Math.round((cpuMicros / 1e6 / wallSeconds) * 1000) / 10;
}

export class Recorder {
  readonly latency: Histogram = newHistogram();
  readonly db: Histogram = newHistogram();
  private readonly windowLatency: Histogram = newHistogram();
  readonly perSecond: SecondWindow[] = [];
  readonly statusCounts: Record<string, number> = {};
  readonly errors: ErrorCounts = { total: 0, byStatus: {}, connection: 0, timeouts: 0, unsent: 0 };
  attempted = 0;
  ok = 0;
  responses = 0;
  withDb = 0;
  dbTotalMs = 0;
  private windowOk = 0;
  private windowResponses = 0;
  private windowStart = 0;
  startedAt = 0;
  finishedAt = 0;
  private activeMs = 0;
  private resumedAt = 0;
  private paused = false;

  start(now: number): void {
    this.startedAt = now;
    this.windowStart = now;
    this.resumedAt = now;
  }

  /**
   * Stops the clock between slices of an interleaved measurement: the partial second is kept as a
   * window when it is at least half a second long, and time paused counts toward nothing.
   */
  pause(now: number): void {
    if (this.paused) return;
    this.roll(now);
    const rest = (now - this.windowStart) / 1000;
    if (rest >= 0.5) this.flushWindow(rest);
    this.windowLatency.reset();
    this.windowOk = 0;
    this.windowResponses = 0;
    this.activeMs += now - this.resumedAt;
    this.paused = true;
  }

  resume(now: number): void {
    if (!this.paused) return;
    this.windowLatency.reset();
    this.windowOk = 0;
    this.windowResponses = 0;
    this.windowStart = now;
    this.resumedAt = now;
    this.paused = false;
  }

  /** A response arrived; `latencyMs` as the mode defines it (from send, or from the scheduled time). */
  response(status: number, latencyMs: number, now: number, dbMs?: number | null): void {
    this.roll(now);
    this.responses += 1;
    this.windowResponses += 1;
    this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
    recordMs(this.latency, latencyMs);
    recordMs(this.windowLatency, latencyMs);
    if (status < 400) {
      this.ok += 1;
      this.windowOk += 1;
    } else {
      this.errors.total += 1;
      this.errors.byStatus[status] = (this.errors.byStatus[status] ?? 0) + 1;
    }
    if (dbMs !== undefined && dbMs !== null) {
      this.withDb += 1;
      this.dbTotalMs += dbMs;
      recordMs(this.db, dbMs);
    }
  }

  /** A request failed without a response. Timeouts record how long they had waited, so stalls show in the max. */
  failure(kind: "connection" | "timeouts" | "unsent", now: number, waitedMs?: number): void {
    this.roll(now);
    this.errors.total += 1;
    this.errors[kind] += 1;
    if (waitedMs !== undefined) recordMs(this.latency, waitedMs);
  }

  private roll(now: number): void {
    if (this.paused) return;
    while (now - this.windowStart >= 1000) {
      this.flushWindow(1);
      this.windowStart += 1000;
    }
  }

  private flushWindow(seconds: number): void {
    const t = Math.round((this.activeMs + this.windowStart + seconds * 1000 - this.resumedAt) / 10) / 100;
    const has = this.windowLatency.totalCount > 0;
    this.perSecond.push({
      t,
      throughput: Math.round((this.windowOk / seconds) * 10) / 10,
      responses: this.windowResponses,
      p50: has ? this.windowLatency.getValueAtPercentile(50) / 1000 : null,
      p99: has ? this.windowLatency.getValueAtPercentile(99) / 1000 : null,
    });
    this.windowLatency.reset();
    this.windowOk = 0;
    this.windowResponses = 0;
  }

  finish(now: number): void {
    this.pause(now);
    this.finishedAt = now;
  }

  /** Measured time: from start to finish, less any pauses. */
  get durationSeconds(): number {
    return Math.max(0.001, this.activeMs / 1000);
  }

  summary(): LatencySummary | null {
    return summarize(this.latency);
  }

  errorRate(): number | null {
    const total = this.responses + this.errors.connection + this.errors.timeouts + this.errors.unsent;
    return total === 0 ? null : this.errors.total / total;
  }

  throughputSpread() {
    return spreadOf(this.perSecond.map((w) => w.throughput));
  }

  serverTimingDb() {
    if (this.responses === 0) return null;
    const s = summarize(this.db);
    return {
      responses: this.responses,
      withDb: this.withDb,
      meanMs: this.withDb ? Math.round((this.dbTotalMs / this.withDb) * 1000) / 1000 : null,
      p50: s?.p50 ?? null,
      p99: s?.p99 ?? null,
    };
  }

  /** The parts of a LoadResult every load generator reads off its recorder the same way. */
  measured(): Pick<
    LoadResult,
    "durationSeconds" | "attempted" | "ok" | "throughput" | "latency" | "errorRate" | "errors" | "statusCounts" | "perSecond" | "throughputSpread"
  > {
    return {
      durationSeconds: this.durationSeconds,
      attempted: this.responses + this.errors.connection + this.errors.timeouts,
      ok: this.ok,
      throughput: this.ok / this.durationSeconds,
      latency: this.summary(),
      errorRate: this.errorRate(),
      errors: this.errors,
      statusCounts: this.statusCounts,
      perSecond: this.perSecond,
      throughputSpread: this.throughputSpread(),
    };
  }

  live(now: number): { seconds: number; ok: number; errors: number; rate: number; p99: number | null } {
    const seconds = (this.activeMs + (this.paused ? 0 : now - this.resumedAt)) / 1000;
    return {
      seconds,
      ok: this.ok,
      errors: this.errors.total,
      rate: seconds > 0 ? this.ok / seconds : 0,
      p99: this.latency.totalCount ? this.latency.getValueAtPercentile(99) / 1000 : null,
    };
  }
}

/** Per-step bookkeeping for flows (login → me → businesses): a histogram and counts per step. */
export class StepRecorder {
  private readonly steps = new Map<string, { h: Histogram; count: number; ok: number }>();

  /** `latencyMs` null: the request got no response (it still counts, as a failure). */
  record(step: string, ok: boolean, latencyMs: number | null): void {
    let s = this.steps.get(step);
    if (!s) {
      s = { h: newHistogram(), count: 0, ok: 0 };
      this.steps.set(step, s);
    }
    s.count += 1;
    if (ok) s.ok += 1;
    if (latencyMs !== null) recordMs(s.h, latencyMs);
  }

  summaries(seconds: number): Record<string, StepSummary> {
    const out: Record<string, StepSummary> = {};
    for (const [name, s] of this.steps) {
      out[name] = {
        count: s.count,
        ok: s.ok,
        errorRate: s.count ? (s.count - s.ok) / s.count : null,
        perSecond: Math.round((s.ok / seconds) * 100) / 100,
        latency: summarize(s.h),
      };
    }
    return out;
  }
}
