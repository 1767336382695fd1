import { parseArgs } from "node:util";

export interface Options {
  help: boolean;
  quick: boolean;
  out: string;
  url: string | null;
  baseline: string | null;
  scenarios: string[] | null;
  duration: number | null;
  connections: number | null;
  rate: number | null;
  subscribers: number | null;
  businesses: number;
  targets: string;
}

export const USAGE = `npm run bench -- [options]

Measures the CoreFlow360 server under load and writes DIR/report.json, DIR/report.md and SVG charts.

  --quick              short smoke run (≤ 3 minutes; what CI runs). Performance targets are
                       reported but do not fail a quick run; correctness targets still do.
  --out DIR            where to write the report (default bench-out/<timestamp>)
  --url URL            measure a running instance at this loopback URL instead of starting one
                       (seeding then goes through its API; start it with RATE_LIMIT_PER_SECOND=0)
  --baseline FILE      compare with a previous report.json (changes flagged only beyond noise)
  --scenarios a,b      run only these scenarios (default: all)
  --duration S         measured seconds per scenario (default 20; 5 with --quick; at most 300)
  --connections N      connections for every load scenario (default: each scenario's own)
  --rate R             open-loop requests/s for mixed and crm, and the peak of peak-burst
  --subscribers K      SSE subscribers in realtime-events (default 100; 20 with --quick)
  --businesses N       businesses to seed for the founder (default 25)
  --targets FILE       targets file (default bench/targets.json)
  --help               this text

Exit status: 0 every measured target that counts was met (targets that could not be measured are
listed, never counted as met); 1 a target was missed; 2 the harness failed.`;

function positive(name: string, raw: string | undefined, integer = true): number | null {
  if (raw === undefined) return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) throw new Error(`--${name} must be a positive ${integer ? "integer" : "number"}, got "${raw}"`);
  return value;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", short: "h" },
      quick: { type: "boolean" },
      out: { type: "string" },
      url: { type: "string" },
      baseline: { type: "string" },
      scenarios: { type: "string" },
      duration: { type: "string" },
      connections: { type: "string" },
      rate: { type: "string" },
      subscribers: { type: "string" },
      businesses: { type: "string" },
      targets: { type: "string" },
    },
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").replace(/Z$/, "");
  const duration = positive("duration", values.duration, false);
  // business-read measures 2 × duration on one access token, which lives 15 minutes by default
  if (duration !== null && duration > 300) throw new Error("--duration is at most 300 seconds per scenario");
  const connections = positive("connections", values.connections);
  if (connections !== null && connections > 10_000) throw new Error("--connections is at most 10000");
  const rate = positive("rate", values.rate, false);
  if (rate !== null && rate > 200_000) throw new Error("--rate is at most 200000");
  const subscribers = positive("subscribers", values.subscribers);
  if (subscribers !== null && subscribers > 5_000) throw new Error("--subscribers is at most 5000");
  const businesses = positive("businesses", values.businesses) ?? 25;
  if (businesses > 1_000) throw new Error("--businesses is at most 1000");
  return {
    help: values.help ?? false,
    quick: values.quick ?? false,
    out: values.out ?? `bench-out/${stamp}`,
    url: values.url ?? null,
    baseline: values.baseline ?? null,
    scenarios: values.scenarios
      ? values.scenarios
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : null,
    duration,
    connections,
    rate,
    subscribers,
    businesses,
    targets: values.targets ?? "bench/targets.json",
  };
}
