import { build, type Histogram } from "hdr-histogram-js";
import type { LatencySummary, Spread } from "./types.js";

/** Values are recorded in microseconds, from 1 µs to 10 minutes, at 3 significant digits. */
const MAX_US = 600_000_000;

export type { Histogram };

export function newHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export function recordMs(histogram: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  histogram.recordValue(Math.min(MAX_US, Math.max(1, us)));
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export function summarize(histogram: Histogram): LatencySummary | null {
  if (histogram.totalCount === 0) return null;
  const at = (p: number) => round3(histogram.getValueAtPercentile(p) / 1000);
  return {
    count: histogram.totalCount,
    min: round3(histogram.minNonZeroValue / 1000),
    mean: round3(histogram.mean / 1000),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: round3(histogram.maxValue / 1000),
  };
}

export function spreadOf(values: number[]): Spread | null {
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return {
    samples: values.length,
    min: round3(Math.min(...values)),
    max: round3(Math.max(...values)),
    mean: round3(mean),
    stddev: round3(Math.sqrt(variance)),
  };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
