// TOOLCHAIN.md's reference table measured on this machine, the way it was measured there, with our
// authenticated read, payment and journal entry in the same rounds:
//   node scripts/build.mjs && node scripts/bench-reference.mjs [--runs 4] [--seconds 10] [--connections 100]
// autocannon at 100 connections for 10 s a run, the median of four runs, server CPU per answer from
// /proc/<pid>/stat. The lines' runs alternate (every line's first run, then every line's second, …) so
// that a slow spell of the shared machine weighs on each, and every server is warmed up first. The
// table's figures for a machine of this kind are printed beside them: how much slower this machine is
// than that one, line by line, says which of our figures are this machine's and which are ours. Our
// lines are given as multiples of the hello of their round, and — an estimate, printed as one — what
// that multiple comes to where a hello costs the reference's 10.6 µs.
// Afterwards every acknowledged payment and entry must be in the ledger — a run stops on its clock, so
// up to one request a connection was still unanswered when it stopped and may have been written too —
// and the trial balance must balance (exit 1 otherwise).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { accountsByCode, apiCaller, cpuSeconds, median, numberArg, payableInvoice, rentEntryBody, runAutocannon, startBare, startBuiltServer, startHello } from "./built-server.mjs";

const runs = numberArg("runs", 4);
const seconds = numberArg("seconds", 10);
const connections = numberArg("connections", 100);

/** TOOLCHAIN.md, "Reference figures on this kind of machine": requests/s and server CPU per request. */
const REFERENCE = {
  "bare node:http hello": { rate: 88_000, micros: 10.6 },
  "Hono on @hono/node-server hello": { rate: 82_000, micros: 11.8 },
  "Hono + better-sqlite3 primary-key SELECT": { rate: 51_000, micros: 18.8 },
};

const referenceServer = (kind) => startBare(`process.argv[2] = ${JSON.stringify(kind)}; await import(${JSON.stringify(pathToFileURL(resolve("scripts/reference-server.mjs")).href)});`);

const dataDir = mkdtempSync(join(tmpdir(), "coreflow-bench-reference-"));
const started = [];
const failures = [];
try {
  const hello = await startHello();
  started.push(hello);
  const hono = await referenceServer("hono");
  started.push(hono);
  const sqlite = await referenceServer("hono-sqlite");
  started.push(sqlite);
  const ours = await startBuiltServer(dataDir);
  started.push(ours);
  const call = apiCaller(ours.url);
  const { token, base, invoice } = await payableInvoice(call, "Reference bench");
  const account = await accountsByCode(call, base, token);
  const authorised = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const lines = [
    { name: "bare node:http hello", pid: hello.pid, options: { url: hello.url } },
    { name: "Hono on @hono/node-server hello", pid: hono.pid, options: { url: hono.url } },
    {
      name: "Hono + better-sqlite3 primary-key SELECT",
      pid: sqlite.pid,
      options: { url: sqlite.url, requests: [{ setupRequest: (req) => ({ ...req, path: `/rows/${1 + Math.floor(Math.random() * 100_000)}` }) }] },
    },
    // TOOLCHAIN.md: "a request that authenticates, authorises and runs a few indexed statements can cost well under 50 µs"
    { name: "our authenticated GET /businesses/{id}", pid: ours.pid, options: { url: `${ours.url}/api/v1${base}`, headers: authorised } },
    { name: "our POST /payments", pid: ours.pid, options: { url: `${ours.url}/api/v1${base}/payments`, method: "POST", headers: authorised, body: JSON.stringify({ invoiceId: invoice.id, amount: 1, date: "2026-01-02" }) } },
    { name: "our POST /journal-entries", pid: ours.pid, options: { url: `${ours.url}/api/v1${base}/journal-entries`, method: "POST", headers: authorised, body: rentEntryBody(account) } },
  ];

  /** One run of a line: its answers (by kind) and the server's CPU per answer. */
  async function runOnce(line, duration) {
    const before = cpuSeconds(line.pid);
    const result = await runAutocannon({ connections, duration, ...line.options });
    const answered = result["2xx"] + result.non2xx;
    if (result.non2xx > 0 || result.errors > 0) failures.push(`${line.name}: ${result.non2xx} answers other than 2xx, ${result.errors} errors`);
    return { ok: result["2xx"], rate: answered / duration, micros: ((cpuSeconds(line.pid) - before) / Math.max(1, answered)) * 1e6 };
  }

  const acknowledged = new Map(lines.map((line) => [line.name, 0]));
  for (const line of lines) acknowledged.set(line.name, (await runOnce(line, 3)).ok); // warm-up: JIT, page cache
  const measured = lines.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, line] of lines.entries()) {
      const run = await runOnce(line, seconds);
      measured[j].push(run);
      acknowledged.set(line.name, acknowledged.get(line.name) + run.ok);
    }
  }

  console.log(`${connections} connections, ${seconds} s a run, medians of ${runs} runs (each run's µs in brackets); the reference is TOOLCHAIN.md's`);
  for (const [j, line] of lines.entries()) {
    const rate = median(measured[j].map((m) => m.rate));
    const micros = median(measured[j].map((m) => m.micros));
    const reference = REFERENCE[line.name];
    // our lines against the hello of the same round (measured seconds apart), and what that multiple
    // comes to on a machine whose hello costs the reference's: an estimate, marked as one
    const toHello = median(measured[j].map((m, i) => m.micros / measured[0][i].micros));
    const versus = reference
      ? `  reference ${reference.rate.toLocaleString("en")}/s, ${reference.micros} µs: this machine ${(micros / reference.micros).toFixed(1)}× slower`
      : `  = ${toHello.toFixed(1)}× the hello of its round (estimate at the reference's hello: ${(toHello * REFERENCE["bare node:http hello"].micros).toFixed(0)} µs)`;
    console.log(
      `${line.name.padEnd(42)} ${rate.toFixed(0).padStart(6)}/s  ${micros.toFixed(1).padStart(6)} µs CPU/request${versus}  [${measured[j].map((m) => m.micros.toFixed(1)).join(", ")}]`,
    );
  }

  /** Acknowledged, and at most the requests unanswered when the line's runs (its warm-up too) stopped. */
  const unanswered = connections * (runs + 1);
  const holds = (stored, acknowledgedCount, each) => stored >= acknowledgedCount * each && stored <= (acknowledgedCount + unanswered) * each;
  const paid = acknowledged.get("our POST /payments");
  const after = await call("GET", `${base}/invoices/${invoice.id}`, undefined, token);
  if (!holds(after.amountPaid, paid, 1)) failures.push(`amountPaid ${after.amountPaid}: not acknowledged payments ${paid} (+ up to ${unanswered} unanswered)`);
  const trial = await call("GET", `${base}/reports/trial-balance`, undefined, token);
  if (trial.totals.debit !== trial.totals.credit) failures.push(`trial balance does not balance: ${JSON.stringify(trial.totals)}`);
  const entries = acknowledged.get("our POST /journal-entries");
  const rent = trial.accounts.find((a) => a.code === "6200")?.debit ?? 0;
  if (!holds(rent, entries, 100)) failures.push(`rent account holds ${rent}: not acknowledged entries ${entries} (+ up to ${unanswered} unanswered) × 100`);
  console.log(
    `checks: amountPaid ${after.amountPaid} for ${paid} acknowledged payments; rent ${rent} for ${entries} acknowledged entries × 100 (each + up to ${unanswered} unanswered); trial balance ${trial.totals.debit} = ${trial.totals.credit}`,
  );
} finally {
  for (const server of started) await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`FAILED:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
