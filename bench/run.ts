/**
 * npm run bench — the performance validation suite. See bench/README.md.
 * Exit status: 0 every measured target that counts was met; 1 a target was missed; 2 the harness failed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseOptions, USAGE } from "./lib/args.js";
import { type BaselineReport, compareWithBaseline, loadBaseline } from "./lib/baseline.js";
import { latencyChart, throughputChart, timelineChart } from "./lib/charts.js";
import { closedLoop, closedLoopInterleaved } from "./lib/closed-loop.js";
import { type Dataset, refreshFounder, seedDataset } from "./lib/dataset.js";
import { clockTicks, machine } from "./lib/environment.js";
import { assertLoopback, Http } from "./lib/http.js";
import { MetricsClient, ScenarioMetrics } from "./lib/metrics.js";
import { openLoop } from "./lib/open-loop.js";
import { fmt, Progress } from "./lib/progress.js";
import { type Environment, type Report, renderMarkdown, summarizeTargets } from "./lib/report.js";
import { FLOOR_SCENARIO, healthThroughput, type RunSettings, type Scenario, type ScenarioContext, type ScenarioOutcome } from "./lib/scenario.js";
import { type StartedServer, startServer } from "./lib/server.js";
import { evaluateTargets, loadTargets } from "./lib/targets.js";
import type { Check, ScenarioResult, TargetDefinition } from "./lib/types.js";
import { PLANNED, SCENARIOS } from "./scenarios/index.js";

const progress = new Progress();
const abort = new AbortController();
let server: StartedServer | null = null;

function onSignal(signal: NodeJS.Signals): void {
  if (abort.signal.aborted) {
    progress.log(`${signal} again: killing the server and exiting`);
    server?.killNow();
    process.exit(2);
  }
  progress.log(`${signal}: stopping the load, then the server (press again to force)`);
  abort.abort();
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
// last resort: never leave the started server behind
process.on("exit", () => server?.killNow());

function selectScenarios(names: string[] | null): Scenario<any>[] {
  if (!names) return [...SCENARIOS];
  const known = new Map(SCENARIOS.map((s) => [s.name, s]));
  for (const name of names) {
    if (PLANNED[name]) throw new Error(`scenario "${name}" is not in the suite yet: ${PLANNED[name]}`);
    if (!known.has(name)) throw new Error(`no scenario "${name}"; available: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  }
  // always in registry order (health first, so ratios to it are measured side by side)
  return SCENARIOS.filter((s) => names.includes(s.name));
}

function buildResult(scenario: Scenario<any>, outcome: ScenarioOutcome, metrics: ScenarioMetrics, previous: ReadonlyMap<string, ScenarioResult>): ScenarioResult {
  const load = outcome.load;
  // the floor's load went to a bare server of its own: the idle CoreFlow360 process's figures say nothing
  const server = scenario.name === FLOOR_SCENARIO ? null : metrics.result();
  const health = healthThroughput(previous);
  const mode = outcome.mode ?? load.mode;
  // a ratio to /health only means something for another maximum-throughput (closed-loop) measurement
  const ratio = outcome.ratioToHealth !== undefined ? outcome.ratioToHealth : mode === "closed-loop" && health !== null ? load.throughput / health : null;
  const checks: Check[] = [...(outcome.checks ?? [])];
  if (scenario.writes && checks.length === 0) {
    checks.push({ name: "persisted-state checks present", ok: false, detail: "this scenario writes but reported no persisted-state checks" });
  }
  const notMeasured: Record<string, string> = { ...(outcome.notMeasured ?? {}) };
  if (server?.cacheHitRate == null) notMeasured.cacheHitRate = metrics.cacheNote ?? "not measured";
  if (scenario.name === FLOOR_SCENARIO) notMeasured.server = "not CoreFlow360: the load went to a bare server of its own (its CPU is extra.cpuMicrosPerRequest)";
  else if (!server) notMeasured.server = `not measured: /metrics could not be read (${metrics.failure ?? "unknown reason"})`;
  const l = load.latency;
  const round = (n: number) => Math.round(n * 100) / 100;
  // the server's CPU per request as a multiple of the machine's floor, measured in the same run
  const floor = previous.get(FLOOR_SCENARIO)?.extra.cpuMicrosPerRequest;
  const extra = { ...outcome.extra };
  if (typeof floor === "number" && floor > 0 && server?.cpuMicrosPerRequest != null) extra.cpuTimesFloor = round(server.cpuMicrosPerRequest / floor);
  return {
    name: scenario.name,
    title: scenario.title,
    mode,
    throughputMeaning: outcome.throughputMeaning ?? "successful requests/s",
    latencyMeaning: outcome.latencyMeaning ?? (load.mode === "open-loop" ? "scheduled time → response" : "send → response"),
    durationSeconds: round(load.durationSeconds),
    connections: load.connections,
    offeredRate: load.offeredRate,
    requests: load.attempted,
    throughput: round(load.throughput),
    latency: l ? { p50: l.p50, p95: l.p95, p99: l.p99, max: l.max, mean: l.mean, p90: l.p90, p999: l.p999 } : null,
    errorRate: load.errorRate,
    errors: load.errors,
    statusCounts: load.statusCounts,
    throughputSpread: load.throughputSpread,
    perSecond: load.perSecond,
    ratioToHealth: ratio === null ? null : Math.round(ratio * 10000) / 10000,
    server,
    generator: load.generator,
    machine: { cpuBusyPercentOfAllCores: metrics.machineBusyPercent(), loadAverage1m: Math.round(loadavg()[0]! * 100) / 100 },
    serverTimingDb: load.serverTimingDb,
    connectionsServed: load.connectionsServed,
    responses5xx: Object.entries(load.statusCounts).reduce((n, [status, count]) => (Number(status) >= 500 ? n + count : n), 0),
    steps: outcome.steps ?? {},
    extra,
    checks,
    checksFailed: checks.length === 0 ? null : checks.filter((c) => !c.ok).length,
    notMeasured,
    notes: outcome.notes ?? [],
  };
}

/** Server CPU per request where a scenario's figure is that (the ledger writes), with its multiple of the floor. */
function cpuNote(r: ScenarioResult): string {
  if (r.name === FLOOR_SCENARIO) return typeof r.extra.cpuMicrosPerRequest === "number" ? `  CPU ${r.extra.cpuMicrosPerRequest} µs/request` : "";
  if (typeof r.extra.cpuTimesFloor !== "number" || !r.server?.cpuMicrosPerRequest) return "";
  return `  CPU ${r.server.cpuMicrosPerRequest} µs/request = ${r.extra.cpuTimesFloor}× floor`;
}

function oneLine(r: ScenarioResult): string {
  const l = r.latency;
  return `  ${r.name.padEnd(16)} ${`${fmt.num(r.throughput)}/s`.padStart(12)}  p50 ${fmt.ms(l?.p50).padStart(9)}  p99 ${fmt.ms(l?.p99).padStart(9)}  errors ${fmt.pct(r.errorRate)}${r.ratioToHealth !== null && r.name !== "health" ? `  ×health ${(r.ratioToHealth * 100).toFixed(1)} %` : ""}${cpuNote(r)}${r.checksFailed ? `  ❌ ${r.checksFailed} check(s) failed` : ""}`;
}

async function main(): Promise<0 | 1 | 2> {
  let options: ReturnType<typeof parseOptions>;
  let selected: Scenario<any>[];
  let definitions: TargetDefinition[];
  let baseline: BaselineReport | null = null;
  try {
    options = parseOptions(process.argv.slice(2));
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    selected = selectScenarios(options.scenarios);
    definitions = loadTargets(options.targets);
    if (options.baseline) baseline = loadBaseline(options.baseline);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }

  const runStarted = performance.now();
  const loadAtStart = loadavg().map((n) => Math.round(n * 100) / 100);
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const settings: RunSettings = {
    quick: options.quick,
    durationSeconds: options.duration ?? (options.quick ? 5 : 20),
    warmupSeconds: options.quick ? 1 : 3,
    connections: options.connections,
    rate: options.rate,
    subscribers: options.subscribers,
    businesses: options.businesses,
  };
  const env = machine();
  const results: ScenarioResult[] = [];
  let dataset: Dataset | null = null;
  let harnessError: string | null = null;
  let origin = options.url ?? "";
  let http: Http | null = null;

  progress.log(`CoreFlow360 bench${options.quick ? " --quick" : ""}: ${selected.map((s) => s.name).join(", ")} (${settings.durationSeconds} s each) → ${out}`);
  try {
    if (options.url) {
      const url = new URL(options.url);
      assertLoopback(url);
      origin = url.origin;
      const res = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(5_000) }).catch((error: Error & { cause?: Error }) => {
        throw new Error(`cannot reach ${origin}/health: ${error.cause?.message ?? error.message}`);
      });
      await res.text();
      if (res.status !== 200) throw new Error(`${origin}/health answered ${res.status}`);
      progress.log(`target: the running instance at ${origin}`);
    } else {
      progress.log("starting dist/server.js on a fresh DATA_DIR (RATE_LIMIT_PER_SECOND=0, LOG_LEVEL=warn)");
      server = await startServer();
      origin = server.origin;
      progress.log(`server ready at ${origin} (pid ${server.pid})`);
    }
    http = new Http(origin, 8);
    progress.log(`seeding ${options.businesses} businesses through the API (faker, fixed seed)`);
    const seeding = performance.now();
    dataset = await seedDataset(http, { businesses: options.businesses, unique: Boolean(options.url), quick: settings.quick, log: (s) => progress.log(s) });
    progress.log(`  seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

    const ticks = clockTicks();
    const metricsClient = new MetricsClient(origin, process.env.METRICS_TOKEN || undefined);
    const previous = new Map<string, ScenarioResult>();
    for (const [index, scenario] of selected.entries()) {
      if (abort.signal.aborted) throw new Error("interrupted");
      await refreshFounder(http, dataset);
      progress.log(`▶ [${index + 1}/${selected.length}] ${scenario.name}: ${scenario.description}`);
      const seconds = settings.durationSeconds;
      const status = (label: string, live: { seconds: number; rate: number; p99: number | null; errors: number }, extra = "") =>
        progress.status(`  ${label}  ${Math.min(live.seconds, 9999).toFixed(0)}/${seconds}s  ${fmt.int(live.rate)} ok/s  p99 ${fmt.ms(live.p99)}  errors ${live.errors}${extra}`);
      const ctx: ScenarioContext = {
        origin,
        dataset,
        settings,
        http,
        progress,
        signal: abort.signal,
        previous,
        pick: (normal, quick) => (settings.quick ? quick : normal),
        closedLoop: (o) =>
          closedLoop({
            ...o,
            origin,
            signal: abort.signal,
            warmupSeconds: o.warmupSeconds ?? settings.warmupSeconds,
            onTick: (live) => status(o.label ?? scenario.name, live, `  (${o.connections} connections)`),
          }),
        closedLoopInterleaved: (a, b, rounds) => {
          const wire = (o: typeof a) => ({
            ...o,
            origin,
            signal: abort.signal,
            warmupSeconds: settings.warmupSeconds,
            onTick: (live: { seconds: number; rate: number; p99: number | null; errors: number }) => status(o.label, live, `  (${o.connections} connections, interleaved)`),
          });
          return closedLoopInterleaved(wire(a), wire(b), rounds);
        },
        openLoop: (o) =>
          openLoop({
            ...o,
            origin,
            signal: abort.signal,
            drainMs: o.drainMs ?? (settings.quick ? 5_000 : 10_000),
            onTick: (live) => status(o.label ?? scenario.name, live, `  backlog ${live.backlog}`),
          }),
      };
      const prepared = scenario.prepare ? await scenario.prepare(ctx) : undefined;
      const metrics = new ScenarioMetrics(metricsClient, server?.pid, ticks);
      await metrics.start();
      let outcome: ScenarioOutcome;
      try {
        outcome = await scenario.run(ctx, prepared);
      } finally {
        await metrics.stop();
      }
      if (outcome.verify) {
        const verified = await outcome.verify().catch((error: Error): Check[] => [
          { name: "persisted-state checks ran", ok: false, detail: `the checks failed to run: ${error.message}` },
        ]);
        outcome.checks = [...(outcome.checks ?? []), ...verified];
      }
      const result = buildResult(scenario, outcome, metrics, previous);
      if (abort.signal.aborted) result.notes.push(`Interrupted: only ${result.durationSeconds} s of the planned ${seconds} s were measured.`);
      results.push(result);
      previous.set(result.name, result);
      progress.log(oneLine(result));
      if (abort.signal.aborted) throw new Error("interrupted");
    }
  } catch (error) {
    harnessError = error instanceof Error ? (error.stack ?? error.message) : String(error);
    progress.log(`bench: the harness failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await http?.close();
    if (server) {
      progress.log("stopping the server");
      const code = await server.stop();
      if (code !== 0 && !harnessError) harnessError = `the server exited with ${code} when stopped`;
    }
  }

  // the report: what was measured, the targets, the charts
  const targets = evaluateTargets(definitions, results, new Set(SCENARIOS.map((s) => s.name)), PLANNED, settings.quick);
  const summary = summarizeTargets(targets);
  const exitCode: 0 | 1 | 2 = harnessError ? 2 : summary.missedCounting > 0 ? 1 : 0;
  const environment: Environment = {
    ...env,
    dataset: dataset
      ? {
          seed: dataset.seed,
          businesses: dataset.businesses.length,
          users: 1 + dataset.teammates.length,
          memberships: dataset.memberships,
          apiKeys: dataset.apiKeys,
          crm: {
            focusBusinesses: dataset.crm.focusIds.length,
            focusVolume: dataset.crm.focusVolume,
            otherVolume: dataset.crm.otherVolume,
            records: dataset.crm.records,
            seedSeconds: dataset.crm.seedSeconds,
          },
          seedSeconds: dataset.seedSeconds,
        }
      : null,
    duration: Math.round((performance.now() - runStarted) / 100) / 10,
    quick: settings.quick,
    loadAverageAtStart: loadAtStart,
    server: { started: !options.url, url: origin, env: server ? server.env : null },
    loadGenerator: `this bench process (Node ${process.version}) on the same machine, over 127.0.0.1, sharing its ${env.cores} cores with the server; its CPU use is reported per scenario`,
    options: {
      scenarios: selected.map((s) => s.name),
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      connections: settings.connections,
      rate: settings.rate,
      subscribers: settings.subscribers,
      businesses: settings.businesses,
      targets: options.targets,
      baseline: options.baseline,
    },
  };
  const charts: Array<[string, string | null]> = [
    ["latency.svg", latencyChart(results)],
    ["throughput.svg", throughputChart(results)],
    ["timeline.svg", timelineChart(results)],
  ];
  const report: Report = {
    tool: "coreflow360 bench",
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    verdict: exitCode === 2 ? "harness-failed" : exitCode === 1 ? "fail" : "pass",
    exitCode,
    environment,
    scenarios: results,
    targets,
    summary,
    plannedScenarios: { ...PLANNED },
    baseline: baseline && options.baseline ? compareWithBaseline(options.baseline, baseline, { scenarios: results, targets, environment: env }) : null,
    harnessError,
    charts: charts.filter(([, svg]) => svg !== null).map(([name]) => name),
  };
  for (const [name, svg] of charts) if (svg) writeFileSync(join(out, name), svg);
  writeFileSync(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, "report.md"), renderMarkdown(report));

  // the summary, on stdout
  const lines: string[] = [];
  lines.push("", `CoreFlow360 bench: ${report.verdict === "pass" ? "PASS" : report.verdict === "fail" ? "FAIL" : "HARNESS FAILED"} (exit ${exitCode})`);
  for (const r of results) lines.push(oneLine(r));
  lines.push(`  targets: ${summary.met} met, ${summary.missed} missed${summary.missedInformational ? ` (${summary.missedInformational} informational in --quick)` : ""}, ${summary.notMeasured} NOT MEASURED`);
  for (const t of targets.filter((x) => x.met === false)) {
    lines.push(`  ❌ ${t.name}: ${t.target}, measured ${Number(t.measured!.toPrecision(4))} ${t.unit} in ${t.source}${t.counts ? "" : " (informational in --quick)"}`);
  }
  for (const t of targets.filter((x) => x.met === null)) lines.push(`  ⚠ NOT MEASURED: ${t.name} (${t.target}) — ${t.source.replace(/^not measured — /, "")}`);
  if (summary.notMeasured > 0) lines.push(`  (exit ${exitCode === 0 ? "0 means every MEASURED target was met; the ones above were not measured and are not counted as met" : exitCode})`);
  const flagged = report.baseline?.deltas.filter((d) => d.verdict !== "within noise") ?? [];
  if (report.baseline) lines.push(`  vs baseline: ${flagged.length ? flagged.map((d) => `${d.scenario} ${d.metric} ${d.change >= 0 ? "+" : ""}${(d.change * 100).toFixed(1)} % (${d.verdict})`).join("; ") : "no change beyond noise"}`);
  lines.push(`  report: ${join(out, "report.md")}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    server?.killNow();
    process.exit(2);
  },
);
