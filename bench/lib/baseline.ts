import { readFileSync } from "node:fs";
import type { ScenarioResult, TargetResult } from "./types.js";

/** A change counts only when it is larger than this AND outside the baseline's own per-second spread. */
export const NOISE_THRESHOLD = 0.1;

export interface BaselineReport {
  generatedAt?: string;
  environment?: { commit?: string | null; cpu?: string; cores?: number; node?: string };
  scenarios: ScenarioResult[];
  targets?: TargetResult[];
}

export interface Delta {
  scenario: string;
  metric: "throughput" | "latency.p50" | "latency.p99";
  baseline: number;
  current: number;
  /** (current − baseline) / baseline */
  change: number;
  /** The baseline's per-second range for this figure, when it recorded one. */
  baselineSpread: { min: number; max: number } | null;
  verdict: "better" | "worse" | "within noise";
}

export interface BaselineComparison {
  file: string;
  commit: string | null;
  generatedAt: string | null;
  rule: string;
  sameMachine: boolean;
  deltas: Delta[];
  targetChanges: Array<{ id: string; name: string; baseline: boolean | null; current: boolean | null }>;
  scenariosOnlyInBaseline: string[];
  scenariosOnlyInCurrent: string[];
}

export function loadBaseline(file: string): BaselineReport {
  const parsed = JSON.parse(readFileSync(file, "utf8")) as BaselineReport;
  if (!parsed || !Array.isArray(parsed.scenarios)) throw new Error(`${file} is not a bench report.json (no scenarios array)`);
  return parsed;
}

function range(values: Array<number | null>): { min: number; max: number } | null {
  const v = values.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
  return v.length === 0 ? null : { min: Math.min(...v), max: Math.max(...v) };
}

/**
 * Deltas for throughput, p50 and p99 per scenario present in both runs. A change is flagged (better
 * or worse) only when it exceeds NOISE_THRESHOLD and the current value also lies outside the range
 * the baseline itself showed second by second; everything else is "within noise".
 */
export function compareWithBaseline(
  file: string,
  baseline: BaselineReport,
  current: { scenarios: ScenarioResult[]; targets: TargetResult[]; environment: { cpu: string; cores: number } },
): BaselineComparison {
  const deltas: Delta[] = [];
  const base = new Map(baseline.scenarios.map((s) => [s.name, s]));
  for (const now of current.scenarios) {
    const then = base.get(now.name);
    if (!then) continue;
    const figures: Array<{ metric: Delta["metric"]; b: number | null | undefined; c: number | null | undefined; spread: { min: number; max: number } | null; higherIsBetter: boolean }> = [
      {
        metric: "throughput",
        b: then.throughput,
        c: now.throughput,
        spread: then.throughputSpread ? { min: then.throughputSpread.min, max: then.throughputSpread.max } : null,
        higherIsBetter: true,
      },
      { metric: "latency.p50", b: then.latency?.p50, c: now.latency?.p50, spread: range((then.perSecond ?? []).map((w) => w.p50)), higherIsBetter: false },
      { metric: "latency.p99", b: then.latency?.p99, c: now.latency?.p99, spread: range((then.perSecond ?? []).map((w) => w.p99)), higherIsBetter: false },
    ];
    for (const f of figures) {
      if (typeof f.b !== "number" || typeof f.c !== "number" || f.b === 0) continue;
      const change = (f.c - f.b) / f.b;
      const outside = f.spread !== null && (f.c < f.spread.min || f.c > f.spread.max);
      const significant = Math.abs(change) > NOISE_THRESHOLD && outside;
      const improved = f.higherIsBetter ? change > 0 : change < 0;
      deltas.push({
        scenario: now.name,
        metric: f.metric,
        baseline: f.b,
        current: f.c,
        change,
        baselineSpread: f.spread,
        verdict: significant ? (improved ? "better" : "worse") : "within noise",
      });
    }
  }
  const baseTargets = new Map((baseline.targets ?? []).map((t) => [t.id, t]));
  const targetChanges = current.targets
    .filter((t) => baseTargets.has(t.id) && baseTargets.get(t.id)!.met !== t.met)
    .map((t) => ({ id: t.id, name: t.name, baseline: baseTargets.get(t.id)!.met, current: t.met }));
  const currentNames = new Set(current.scenarios.map((s) => s.name));
  return {
    file,
    commit: baseline.environment?.commit ?? null,
    generatedAt: baseline.generatedAt ?? null,
    rule: `flagged only when the change exceeds ${NOISE_THRESHOLD * 100} % and the new value lies outside the baseline's own per-second range (min–max)`,
    sameMachine: baseline.environment?.cpu === current.environment.cpu && baseline.environment?.cores === current.environment.cores,
    deltas,
    targetChanges,
    scenariosOnlyInBaseline: baseline.scenarios.map((s) => s.name).filter((n) => !currentNames.has(n)),
    scenariosOnlyInCurrent: current.scenarios.map((s) => s.name).filter((n) => !base.has(n)),
  };
}
