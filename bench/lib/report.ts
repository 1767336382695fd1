import type { BaselineComparison } from "./baseline.js";
import type { CrmVolume } from "./crm.js";
import { fmt } from "./progress.js";
import type { ScenarioResult, TargetResult } from "./types.js";

export interface Environment {
  node: string;
  os: string;
  cpu: string;
  cores: number;
  memoryMB: number;
  commit: string | null;
  dataset: {
    seed: number;
    businesses: number;
    users: number;
    memberships: number;
    apiKeys: number;
    /** The CRM books: records per focus business (the crm scenario's) and per other business, and the seeding time. */
    crm: { focusBusinesses: number; focusVolume: CrmVolume; otherVolume: CrmVolume; records: number; seedSeconds: number };
    /** Wall time of the whole seeding through the API, seconds. */
    seedSeconds: number;
  } | null;
  /** Whole run, seconds (server start to report). */
  duration: number | null;
  quick: boolean;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews every figure. */
  loadAverageAtStart: number[];
  server: { started: boolean; url: string; env: Record<string, string> | null };
  loadGenerator: string;
  options: Record<string, unknown>;
}

export interface Report {
  tool: string;
  schemaVersion: 1;
  generatedAt: string;
  verdict: "pass" | "fail" | "harness-failed";
  exitCode: 0 | 1 | 2;
  environment: Environment;
  scenarios: ScenarioResult[];
  targets: TargetResult[];
  summary: {
    met: number;
    missed: number;
    notMeasured: number;
    /** Missed targets that decide the exit status (in --quick, performance targets do not). */
    missedCounting: number;
    missedInformational: number;
  };
  plannedScenarios: Record<string, string>;
  baseline: BaselineComparison | null;
  harnessError: string | null;
  charts: string[];
}

export function summarizeTargets(targets: TargetResult[]): Report["summary"] {
  return {
    met: targets.filter((t) => t.met === true).length,
    missed: targets.filter((t) => t.met === false).length,
    notMeasured: targets.filter((t) => t.met === null).length,
    missedCounting: targets.filter((t) => t.met === false && t.counts).length,
    missedInformational: targets.filter((t) => t.met === false && !t.counts).length,
  };
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function measuredText(t: TargetResult): string {
  if (t.measured === null) return "not measured";
  if (t.unit === "fraction") return fmt.pct(t.measured, 3);
  if (t.unit === "ratio") return `${(t.measured * 100).toFixed(1)} %`;
  const n = Math.abs(t.measured) >= 100 ? fmt.int(t.measured) : String(Math.round(t.measured * 1000) / 1000);
  return `${n} ${t.unit}`;
}

function verdictText(t: TargetResult): string {
  if (t.met === null) return "⚠ NOT MEASURED";
  if (t.met) return "✅ met";
  return t.counts ? "❌ MISSED" : "❌ missed (informational in --quick)";
}

function marginText(t: TargetResult): string {
  if (t.margin === null) return "—";
  const pct = `${Math.abs(t.margin * 100).toFixed(1)} %`;
  return t.margin >= 0 ? `${pct} inside` : `${pct} outside`;
}

export function renderMarkdown(report: Report): string {
  const e = report.environment;
  const s = report.summary;
  const lines: string[] = [];
  const verdict =
    report.verdict === "harness-failed"
      ? "**HARNESS FAILED** (exit 2)"
      : report.verdict === "pass"
        ? `**PASS** (exit 0): every measured target that counts was met`
        : `**FAIL** (exit 1): ${s.missedCounting} target(s) missed`;
  lines.push("# CoreFlow360 performance report", "");
  lines.push(`${verdict} — ${s.met} met, ${s.missed} missed${s.missedInformational ? ` (${s.missedInformational} informational in --quick)` : ""}, **${s.notMeasured} not measured**.`, "");
  if (report.harnessError) lines.push("```", report.harnessError, "```", "");
  const notMeasured = report.targets.filter((t) => t.met === null);
  if (notMeasured.length > 0) {
    lines.push(`> ⚠ **${notMeasured.length} target(s) were NOT MEASURED in this run and are not counted as met:**`);
    for (const t of notMeasured) lines.push(`> - ${t.name} (${t.target}) — ${t.source.replace(/^not measured — /, "")}`);
    lines.push("");
  }
  if (e.quick) lines.push("_This was a `--quick` run: a smoke check of the harness. Performance targets are reported but do not decide the exit status; correctness targets do._", "");

  lines.push("## Environment", "");
  lines.push("| | |", "|---|---|");
  lines.push(`| CPU | ${cell(e.cpu)} × ${e.cores} cores |`);
  lines.push(`| Memory | ${fmt.int(e.memoryMB)} MB |`);
  lines.push(`| OS | ${cell(e.os)} |`);
  lines.push(`| Node | ${e.node} |`);
  lines.push(`| Commit | ${e.commit ?? "unknown (no .git)"} |`);
  lines.push(
    `| Dataset | ${e.dataset ? `${e.dataset.businesses} businesses, ${e.dataset.users} users, ${e.dataset.memberships} memberships, ${e.dataset.apiKeys} API keys (faker seed ${e.dataset.seed})` : "not seeded"} |`,
  );
  if (e.dataset?.crm) {
    const c = e.dataset.crm;
    const v = (x: CrmVolume) => `${fmt.int(x.companies)} companies, ${fmt.int(x.contacts)} contacts, ${fmt.int(x.leads)} leads, ${fmt.int(x.activities)} activities`;
    lines.push(`| CRM | ${fmt.int(c.records)} records: ${c.focusBusinesses} business(es) (the crm scenario's) with ${v(c.focusVolume)}; the others ${v(c.otherVolume)} each |`);
  }
  if (e.dataset?.seedSeconds !== undefined) lines.push(`| Seeding | ${e.dataset.seedSeconds.toFixed(1)} s through the API${e.dataset.crm ? `, of which the CRM bulk requests ${e.dataset.crm.seedSeconds.toFixed(1)} s` : ""} |`);
  lines.push(`| Server | ${e.server.started ? `started by the suite (dist/server.js) at ${e.server.url}; ${Object.entries(e.server.env ?? {}).filter(([k]) => k !== "DATA_DIR").map(([k, v]) => `${k}=${v}`).join(" ")}` : `existing instance at ${e.server.url}`} |`);
  lines.push(`| Load generator | ${cell(e.loadGenerator)} |`);
  lines.push(`| Load average at start | ${e.loadAverageAtStart.join(", ")} (1, 5, 15 min)${e.loadAverageAtStart[0]! > e.cores * 0.5 ? " — **the machine was already busy: figures are pessimistic**" : ""} |`);
  lines.push(`| Run duration | ${e.duration === null ? "—" : `${e.duration.toFixed(1)} s`} |`);
  lines.push(`| Generated | ${report.generatedAt} |`, "");

  if (report.scenarios.length > 0) {
    lines.push("## Scenarios", "");
    lines.push("| scenario | mode | conns | offered | throughput | p50 | p95 | p99 | max | errors | ×health | RSS peak | DB ms/req |");
    lines.push("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (const r of report.scenarios) {
      lines.push(
        `| ${r.name} | ${r.mode} | ${r.connections ?? "—"} | ${r.offeredRate === null ? "—" : `${fmt.int(r.offeredRate)}/s`} | ${fmt.num(r.throughput)}/s | ${fmt.ms(r.latency?.p50)} | ${fmt.ms(r.latency?.p95)} | ${fmt.ms(r.latency?.p99)} | ${fmt.ms(r.latency?.max)} | ${fmt.pct(r.errorRate)} | ${r.ratioToHealth === null ? "—" : `${(r.ratioToHealth * 100).toFixed(1)} %`} | ${r.server?.rssPeakMB == null ? "—" : `${r.server.rssPeakMB} MB`} | ${r.server?.dbMsPerRequest == null ? "—" : r.server.dbMsPerRequest.toFixed(3)} |`,
      );
    }
    const cacheNotes = [...new Set(report.scenarios.map((r) => r.notMeasured.cacheHitRate).filter(Boolean))];
    const cacheRates = report.scenarios.filter((r) => r.server?.cacheHitRate != null).map((r) => `${r.name} ${fmt.pct(r.server!.cacheHitRate, 1)}`);
    lines.push(
      "",
      `×health: business-read's ratio is measured side by side (interleaved slices of /health and the read); the other closed-loop rows are divided by the health scenario's throughput from earlier in the run, so background load can skew them. Throughput counts successful responses (status < 400) per second; errors are responses ≥ 400, connection failures, timeouts and (open-loop) requests the server never got to, over all attempts. Cache hit rate: ${cacheRates.length ? cacheRates.join(", ") : ""}${cacheRates.length && cacheNotes.length ? "; elsewhere " : ""}${cacheNotes.length ? `**${cacheNotes.join("; ")}**` : ""}.`,
      "",
    );
  }

  lines.push("## Targets", "");
  lines.push("| set | target | goal | measured | verdict | margin | where |", "|---|---|---|--:|---|--:|---|");
  for (const t of report.targets) {
    lines.push(`| ${t.set} | ${cell(t.name)} | ${t.target} | ${measuredText(t)} | ${verdictText(t)} | ${marginText(t)} | ${cell(t.source)} |`);
  }
  lines.push("");

  if (report.baseline) {
    const b = report.baseline;
    lines.push("## Compared with the baseline", "");
    lines.push(`Baseline: \`${b.file}\` (commit ${b.commit ?? "unknown"}, ${b.generatedAt ?? "undated"})${b.sameMachine ? "" : " — **a different machine: deltas say little**"}. A change is ${b.rule}.`, "");
    if (b.deltas.length === 0) lines.push("No scenario ran in both.", "");
    else {
      lines.push("| scenario | figure | baseline | now | change | baseline per-second range | verdict |", "|---|---|--:|--:|--:|---|---|");
      for (const d of b.deltas) {
        const unit = d.metric === "throughput" ? "/s" : " ms";
        lines.push(
          `| ${d.scenario} | ${d.metric} | ${fmt.num(d.baseline, 2)}${unit} | ${fmt.num(d.current, 2)}${unit} | ${d.change >= 0 ? "+" : ""}${(d.change * 100).toFixed(1)} % | ${d.baselineSpread ? `${fmt.num(d.baselineSpread.min, 2)}–${fmt.num(d.baselineSpread.max, 2)}` : "none recorded"} | ${d.verdict === "within noise" ? "within noise" : `**${d.verdict}**`} |`,
        );
      }
      lines.push("");
    }
    for (const c of b.targetChanges) lines.push(`- Target **${c.name}**: ${String(c.baseline)} → ${String(c.current)}`);
    if (b.scenariosOnlyInBaseline.length) lines.push(`- Only in the baseline: ${b.scenariosOnlyInBaseline.join(", ")}`);
    if (b.scenariosOnlyInCurrent.length) lines.push(`- New in this run: ${b.scenariosOnlyInCurrent.join(", ")}`);
    lines.push("");
  }

  if (report.charts.length) {
    lines.push("## Charts", "");
    for (const c of report.charts) lines.push(`![${c}](${c})`, "");
  }

  if (report.scenarios.length > 0) lines.push("## Scenario details", "");
  for (const r of report.scenarios) {
    lines.push(`### ${r.title} (\`${r.name}\`)`, "");
    lines.push(`${r.durationSeconds.toFixed(1)} s measured, ${fmt.int(r.requests)} requests. Throughput: ${r.throughputMeaning}. Latency: ${r.latencyMeaning}.`, "");
    if (r.latency) lines.push(`Latency: p50 ${fmt.ms(r.latency.p50)}, p90 ${fmt.ms(r.latency.p90)}, p95 ${fmt.ms(r.latency.p95)}, p99 ${fmt.ms(r.latency.p99)}, p99.9 ${fmt.ms(r.latency.p999)}, max ${fmt.ms(r.latency.max)} (mean ${fmt.ms(r.latency.mean)}).`, "");
    if (r.throughputSpread) lines.push(`Per-second throughput: ${fmt.num(r.throughputSpread.min)}–${fmt.num(r.throughputSpread.max)} (mean ${fmt.num(r.throughputSpread.mean)}, sd ${fmt.num(r.throughputSpread.stddev)}, ${r.throughputSpread.samples} s).`, "");
    const statuses = Object.entries(r.statusCounts).map(([k, v]) => `${k}: ${fmt.int(v)}`).join(", ");
    if (statuses) lines.push(`Statuses: ${statuses}.${r.errors?.total ? ` Errors: ${r.errors.total} (connection ${r.errors.connection}, timeouts ${r.errors.timeouts}, unsent ${r.errors.unsent}).` : ""}`, "");
    if (r.server) {
      const sv = r.server;
      lines.push(
        `Server (/metrics): RSS peak ${sv.rssPeakMB ?? "—"} MB, steady ${sv.rssSteadyMB ?? "—"} MB; heap peak ${sv.heapPeakMB ?? "—"} MB, steady ${sv.heapSteadyMB ?? "—"} MB; event-loop lag p99 since start ${fmt.ms(sv.eventLoopLagP99MsSinceStart)}; ${sv.requests ?? "—"} requests counted, ${sv.dbStatementsPerRequest ?? "—"} statements and ${sv.dbMsPerRequest ?? "—"} ms of SQL per request (${sv.dbMsPerStatement ?? "—"} ms per statement); server-side mean ${fmt.ms(sv.serverMeanMs)}; server CPU ${sv.cpuPercent === null ? "—" : `${sv.cpuPercent} %`} of one core${sv.cpuMicrosPerRequest === null ? "" : `, ${sv.cpuMicrosPerRequest} µs per request`}; cache hit rate ${sv.cacheHitRate === null ? (r.notMeasured.cacheHitRate ?? "not measured") : fmt.pct(sv.cacheHitRate, 1)}.`,
        "",
      );
    } else lines.push("Server (/metrics): not available for this scenario.", "");
    {
      const m = r.machine;
      const server = r.server?.cpuPercent ?? null;
      const generator = r.generator?.cpuPercent ?? null;
      const others =
        m.cpuBusyPercentOfAllCores !== null && server !== null && generator !== null
          ? Math.max(0, Math.round((m.cpuBusyPercentOfAllCores * e.cores - server - generator) * 10) / 10)
          : null;
      lines.push(
        `Machine: ${m.cpuBusyPercentOfAllCores === null ? "—" : `${m.cpuBusyPercentOfAllCores} %`} of all ${e.cores} cores busy${others === null ? "" : `; other processes ≈ ${others} % of one core`}; load average (1 min) ${m.loadAverage1m} at the end.`,
        "",
      );
    }
    if (r.generator) lines.push(`Load generator: ${r.generator.cpuPercent} % of one core${r.generator.sendLagMs ? `; send lag behind schedule p50 ${fmt.ms(r.generator.sendLagMs.p50)}, p99 ${fmt.ms(r.generator.sendLagMs.p99)}, max ${fmt.ms(r.generator.sendLagMs.max)}` : ""}.`, "");
    if (r.serverTimingDb && r.serverTimingDb.withDb > 0) lines.push(`Server-Timing db: ${r.serverTimingDb.withDb}/${r.serverTimingDb.responses} responses touched a database; mean ${fmt.ms(r.serverTimingDb.meanMs)}, p50 ${fmt.ms(r.serverTimingDb.p50)}, p99 ${fmt.ms(r.serverTimingDb.p99)}.`, "");
    const steps = Object.entries(r.steps);
    if (steps.length) {
      lines.push("| step | count | ok/s | errors | p50 | p95 | p99 | max |", "|---|--:|--:|--:|--:|--:|--:|--:|");
      for (const [name, st] of steps) {
        lines.push(`| ${cell(name)} | ${fmt.int(st.count)} | ${fmt.num(st.perSecond, 2)} | ${fmt.pct(st.errorRate)} | ${fmt.ms(st.latency?.p50)} | ${fmt.ms(st.latency?.p95)} | ${fmt.ms(st.latency?.p99)} | ${fmt.ms(st.latency?.max)} |`);
      }
      lines.push("");
    }
    const extra = Object.entries(r.extra).filter(([, v]) => v !== null && v !== undefined);
    if (extra.length) lines.push(extra.map(([k, v]) => `${k}: ${typeof v === "number" ? (Number.isInteger(v) ? fmt.int(v) : fmt.num(v, 2)) : String(v)}`).join(" · "), "");
    for (const c of r.checks) lines.push(`- ${c.ok ? "✅" : "❌"} ${c.name}: ${c.detail}`);
    if (r.checks.length) lines.push("");
    // the cache line is the same everywhere and already stated under the scenario table
    const notMeasured = Object.entries(r.notMeasured).filter(([k]) => k !== "cacheHitRate");
    for (const [k, v] of notMeasured) lines.push(`- ${k}: ${v}`);
    for (const n of r.notes) lines.push(`- ${n}`);
    if (notMeasured.length || r.notes.length) lines.push("");
  }

  const planned = Object.entries(report.plannedScenarios);
  if (planned.length) {
    lines.push("## Scenarios not in the suite yet", "");
    for (const [name, why] of planned) lines.push(`- \`${name}\`: ${why}.`);
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}
