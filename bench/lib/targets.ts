import { readFileSync } from "node:fs";
import type { ScenarioResult, TargetDefinition, TargetResult } from "./types.js";
import { FLOOR_SCENARIO } from "./scenario.js";

export function loadTargets(file: string): TargetDefinition[] {
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { targets?: TargetDefinition[] };
  if (!Array.isArray(parsed.targets)) throw new Error(`${file}: expected { "targets": [...] }`);
  for (const t of parsed.targets) {
    if (!t.id || !t.metric || (t.op !== "<=" && t.op !== ">=") || typeof t.value !== "number" || !t.scenarios) {
      throw new Error(`${file}: target ${JSON.stringify(t.id ?? t)} needs id, scenarios, metric, op (<= or >=) and a numeric value`);
    }
    if (t.kind !== "performance" && t.kind !== "correctness") throw new Error(`${file}: target ${t.id} needs kind "performance" or "correctness"`);
  }
  return parsed.targets;
}

/** Reads a dotted path ("latency.p95", "server.rssPeakMB") from a result; undefined/null when absent. */
export function metricOf(result: ScenarioResult, path: string): number | null {
  let value: unknown = result;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return null;
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

const short = (n: number) => (Math.abs(n) >= 100 ? String(Math.round(n * 10) / 10) : String(Math.round(n * 10000) / 10000));

/**
 * Evaluates every target against this run's results. A target is measured only when at least one of
 * its scenarios ran at the size the target requires and produced the metric; otherwise it is "not
 * measured" with the reason, and met is null. With several scenarios, the worst value counts.
 */
export function evaluateTargets(
  definitions: TargetDefinition[],
  results: ScenarioResult[],
  known: ReadonlySet<string>,
  planned: Readonly<Record<string, string>>,
  quick: boolean,
): TargetResult[] {
  const byName = new Map(results.map((r) => [r.name, r]));
  return definitions.map((def) => {
    // "*": every scenario of CoreFlow360, not the machine's floor
    const names = def.scenarios === "*" ? results.filter((r) => r.name !== FLOOR_SCENARIO).map((r) => r.name) : Array.isArray(def.scenarios) ? def.scenarios : [def.scenarios];
    const measured: Array<{ scenario: string; value: number }> = [];
    const missing: Array<{ name: string; reason: string }> = [];
    for (const name of names) {
      const result = byName.get(name);
      if (!result) {
        missing.push({ name, reason: planned[name] ?? (known.has(name) ? "scenario not run in this run" : "no such scenario in this build") });
        continue;
      }
      const req = def.requires;
      if (req?.connections !== undefined && (result.connections ?? 0) < req.connections) {
        missing.push({ name, reason: `ran at ${result.connections ?? "no"} connections; the target applies at ≥ ${req.connections}` });
        continue;
      }
      if (req?.offeredRate !== undefined && (result.offeredRate ?? 0) < req.offeredRate) {
        missing.push({ name, reason: `offered ${result.offeredRate ?? "no fixed"} req/s; the target applies at ≥ ${req.offeredRate}` });
        continue;
      }
      const value = metricOf(result, def.metric);
      if (value === null) {
        const topKey = def.metric.split(".").pop() ?? def.metric;
        missing.push({ name, reason: result.notMeasured[def.metric] ?? result.notMeasured[topKey] ?? defaultReason(def.metric) });
        continue;
      }
      measured.push({ scenario: name, value });
    }
    if (names.length === 0) missing.push({ name: "", reason: "no scenario ran" });
    const base = {
      id: def.id,
      set: def.set,
      name: def.name,
      target: `${def.op === "<=" ? "≤" : "≥"} ${def.value} ${def.unit}`,
      op: def.op,
      value: def.value,
      unit: def.unit,
      kind: def.kind,
      counts: !(quick && def.kind === "performance"),
    };
    if (measured.length === 0) {
      return { ...base, measured: null, met: null, margin: null, source: `not measured — ${grouped(missing)}` };
    }
    const worst = measured.reduce((a, b) => (def.op === "<=" ? (b.value > a.value ? b : a) : b.value < a.value ? b : a));
    const met = def.op === "<=" ? worst.value <= def.value : worst.value >= def.value;
    const margin = def.value === 0 ? null : def.op === "<=" ? (def.value - worst.value) / def.value : (worst.value - def.value) / def.value;
    let source = measured.length > 1 ? `${worst.scenario} (worst of ${measured.map((m) => `${m.scenario} ${short(m.value)}`).join(", ")})` : worst.scenario;
    // for "*" targets, scenarios without the metric (e.g. no writes, no checks) are simply not part of it
    if (missing.length > 0 && def.scenarios !== "*") source += `; not measured in ${grouped(missing)}`;
    return { ...base, measured: worst.value, met, margin, source };
  });
}

/** "a, b: reason; c: other reason" */
function grouped(missing: Array<{ name: string; reason: string }>): string {
  const byReason = new Map<string, string[]>();
  for (const m of missing) byReason.set(m.reason, [...(byReason.get(m.reason) ?? []), m.name]);
  return [...byReason]
    .map(([reason, names]) => {
      const who = names.filter(Boolean);
      return who.length ? `${who.join(", ")}: ${reason}` : reason;
    })
    .join("; ");
}

function defaultReason(metric: string): string {
  if (metric === "server.cacheHitRate") return "not measured (the server exports no cache hit/miss counters)";
  if (metric.startsWith("server.")) return "the server's /metrics figures were not available";
  if (metric === "checksFailed") return "this scenario writes nothing, so it has no persisted-state checks";
  return `no ${metric} for this scenario`;
}
