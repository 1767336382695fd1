// Two builds of the server side by side: server CPU per request of another build and of ours (dist/), their
// runs alternating and each round in the other order, so that a slow spell of the shared machine weighs on
// both:
//   node scripts/build.mjs && node scripts/bench-builds.mjs <other build's server.js> [--scenario payment|keyed|journal|read|health] [--rounds 8] [--requests 20000] [--connections 32]
// For the build before a change: git worktree add /tmp/before HEAD~1 && ln -s "$PWD/node_modules" /tmp/before/
// && (cd /tmp/before && node scripts/build.mjs), then /tmp/before/dist/server.js. Each server gets a fresh data
// directory, a business with one large issued invoice, and 8,000 requests of the scenario as a warm-up (not
// counted). Prints every run's µs per request, the medians, and in how many rounds ours was the lower.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accountsByCode, apiCaller, cpuSeconds, median, numberArg, payableInvoice, rentEntryBody, runAutocannon, startBuiltServer } from "./built-server.mjs";

const args = process.argv.slice(2);
const other = args[0];
const scenario = args.includes("--scenario") ? args[args.indexOf("--scenario") + 1] : "payment";
if (!other || other.startsWith("--")) throw new Error("usage: bench-builds.mjs <other build's server.js> [--scenario …] [--rounds 8]");
if (!["payment", "keyed", "journal", "read", "health"].includes(scenario)) throw new Error("--scenario is payment, keyed, journal, read or health");
const rounds = numberArg("rounds", 8);
const requests = numberArg("requests", 20_000);
const connections = numberArg("connections", 32);

/** A server of the build at `script`, ready to answer the scenario: its pid, a run of `amount` requests, a stop. */
async function prepare(script) {
  const dataDir = mkdtempSync(join(tmpdir(), "coreflow-bench-builds-"));
  const server = await startBuiltServer(dataDir, {}, { script });
  const call = apiCaller(server.url);
  const { token, base, invoice } = await payableInvoice(call, "Builds bench");
  const account = await accountsByCode(call, base, token);
  const api = `${server.url}/api/v1${base}`;
  const payment = JSON.stringify({ invoiceId: invoice.id, amount: 1, date: "2026-01-15" });
  const options = {
    payment: { url: `${api}/payments`, method: "POST", body: payment },
    keyed: {
      url: `${api}/payments`,
      method: "POST",
      requests: [{ setupRequest: (req) => ({ ...req, body: payment, headers: { ...req.headers, "idempotency-key": crypto.randomUUID() } }) }],
    },
    journal: { url: `${api}/journal-entries`, method: "POST", body: rentEntryBody(account) },
    read: { url: api },
    health: { url: `${server.url}/health` },
  }[scenario];
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const run = async (amount) => {
    const result = await runAutocannon({ ...options, headers, connections, amount });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${script}: ${result.non2xx} answers other than 2xx, ${result.errors} errors`);
    return result["2xx"];
  };
  await run(8_000);
  return {
    script,
    async measure() {
      const before = cpuSeconds(server.pid);
      const answered = await run(requests);
      return ((cpuSeconds(server.pid) - before) / answered) * 1e6;
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const builds = [await prepare(other), await prepare("dist/server.js")];
try {
  const micros = [[], []];
  for (let round = 0; round < rounds; round++) {
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) micros[i].push(await builds[i].measure());
  }
  const lower = micros[1].filter((ours, round) => ours < micros[0][round]).length;
  for (const [i, build] of builds.entries()) {
    console.log(`${build.script.padEnd(40)} ${scenario}: median ${median(micros[i]).toFixed(0)} µs/request  [runs: ${micros[i].map((m) => m.toFixed(0)).join(", ")}]`);
  }
  console.log(`ours lower in ${lower} of ${rounds} rounds`);
} finally {
  for (const build of builds) await build.stop();
}
