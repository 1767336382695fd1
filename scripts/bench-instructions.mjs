// CPU instructions per request of the built server, counted by valgrind (callgrind), not timed:
//   node scripts/build.mjs && node scripts/bench-instructions.mjs [--scenario payment|refused|health|work] [--warm 8000] [--requests 4000]
// On shared machines timings drift by 2x between runs; instruction counts far less (measured: ~3 % between
// runs in process, ~8 % for the whole server), so a few runs show what a change to the request path saves. Two servers run under callgrind side by side, each
// on a fresh data directory: one answers `warm` requests, the other `warm + requests`; the difference of
// their totals divided by `requests` is the steady-state cost of one request (start-up, sign-up and JIT
// warm-up cancel out). Counts user-space instructions of every thread (GC helpers, the checkpoint
// thread's work is off: WAL_CHECKPOINT_MB=0); system calls are not counted. Concurrency makes batch
// sizes and GC timing vary between runs. The warm-up is long because V8 keeps optimising for thousands
// of payments (--trace-opt on the server: 408 functions optimised in the first 2,000 payments, 140 in
// the next 6,000, ~15 per 6,000 after that); in the 6,000 payments after a warm-up of 2,000, 95k of the
// 832k instructions a payment counted were still TurboFan compiling (callgrind, per function). `work`: a payment's own work in
// process, without HTTP, 32 to a commit (scripts/bench-payments-work.ts), counted the same way.
// Takes 3–8 minutes.
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiCaller, bundlePaymentWork, numberArg, payableInvoice, startBuiltServer } from "./built-server.mjs";

const args = process.argv.slice(2);
const scenario = args.includes("--scenario") ? args[args.indexOf("--scenario") + 1] : "payment";
if (!["payment", "refused", "health", "work"].includes(scenario)) throw new Error("--scenario is payment, refused, health or work");
const warm = numberArg("warm", 8000);
const requests = numberArg("requests", 4000);

/** The instructions callgrind counted, over all threads. */
const instructionsIn = (file) => [...readFileSync(file, "utf8").matchAll(/^totals: (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);

/** Total instructions of `node args…` under callgrind. */
async function callgrind(args) {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-bench-instructions-"));
  const out = join(dir, "callgrind.out");
  const child = spawn("valgrind", ["-q", "--tool=callgrind", `--callgrind-out-file=${out}`, process.execPath, ...args], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    const code = await new Promise((done) => child.once("exit", done));
    if (code !== 0) throw new Error(`node under valgrind exited with ${code}`);
    return instructionsIn(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Instructions of `count` payments' own work after `warm` of them, in process. */
async function countWorkInstructions(bundle, count) {
  const source = `const { benchPaymentWork } = await import(${JSON.stringify(bundle)}); await benchPaymentWork(${count}, 32, ${warm});`;
  return callgrind(["--input-type=module", "-e", source]);
}

/** Total instructions of a server under callgrind that answered `count` requests of the scenario. */
async function countInstructions(count) {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-bench-instructions-"));
  const out = join(dir, "callgrind.out");
  const wrapper = ["valgrind", "-q", "--tool=callgrind", `--callgrind-out-file=${out}`];
  let server;
  try {
    server = await startBuiltServer(join(dir, "data"), { WAL_CHECKPOINT_MB: "0" }, { wrapper, startLimitMs: 180_000 });
    const { token, base, invoice } = await payableInvoice(apiCaller(server.url), "Instructions bench");
    const payments = `${server.url}/api/v1${base}/payments`;
    const target = {
      payment: { url: payments, method: "POST", body: JSON.stringify({ invoiceId: invoice.id, amount: 1, date: "2026-01-02" }), status: 201 },
      refused: { url: payments, method: "POST", body: JSON.stringify({ invoiceId: 5 }), status: 400 },
      health: { url: `${server.url}/health`, status: 200 },
    }[scenario];
    const { status, ...options } = target;
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const result = await new Promise((done, fail) =>
      autocannon({ ...options, headers, connections: 32, amount: count, timeout: 120 }, (error, r) => (error ? fail(error) : done(r))),
    );
    const expected = result.statusCodeStats?.[status]?.count ?? 0;
    if (expected !== count || result.errors > 0) throw new Error(`${count - expected} answers other than ${status}, ${result.errors} errors`);
    await server.stop();
    return instructionsIn(out);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

let small;
let large;
if (scenario === "work") {
  const bundle = await bundlePaymentWork();
  [small, large] = await Promise.all([countWorkInstructions(bundle, 0), countWorkInstructions(bundle, requests)]);
} else {
  [small, large] = await Promise.all([countInstructions(warm), countInstructions(warm + requests)]);
}
console.log(
  `${scenario}: ${Math.round((large - small) / requests).toLocaleString("en-US")} instructions per request ` +
    `(${warm} + ${requests}: ${large.toLocaleString("en-US")} in all; ${warm}: ${small.toLocaleString("en-US")})`,
);
