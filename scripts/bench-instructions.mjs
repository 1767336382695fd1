// CPU instructions per request of the built server, counted by valgrind (callgrind), not timed:
//   node scripts/build.mjs && node scripts/bench-instructions.mjs [--scenario payment|refused|health|work] [--warm 2000] [--requests 2000]
// On shared machines timings drift by 2x between runs; an instruction count repeats within about 1 %, so
// it shows what a change to the request path saves. Two servers run under callgrind side by side, each
// on a fresh data directory: one answers `warm` requests, the other `warm + requests`; the difference of
// their totals divided by `requests` is the steady-state cost of one request (start-up, sign-up and JIT
// warm-up cancel out). Counts user-space instructions of every thread (GC helpers, the checkpoint
// thread's work is off: WAL_CHECKPOINT_MB=0); system calls are not counted. Concurrency makes batch
// sizes and GC timing vary, so repeated runs differ by a few per cent. `work`: a payment's own work in
// process, without HTTP, 32 to a commit (scripts/bench-payments-work.ts), counted the same way.
// Takes 2–5 minutes.
import autocannon from "autocannon";
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { apiCaller, numberArg } from "./built-server.mjs";

const args = process.argv.slice(2);
const scenario = args.includes("--scenario") ? args[args.indexOf("--scenario") + 1] : "payment";
if (!["payment", "refused", "health", "work"].includes(scenario)) throw new Error("--scenario is payment, refused, health or work");
const warm = numberArg("warm", 2000);
const requests = numberArg("requests", 2000);

/** The instructions callgrind counted, over all threads. */
const instructionsIn = (file) => [...readFileSync(file, "utf8").matchAll(/^totals: (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);

/** Total instructions of `node args…` under callgrind. */
async function callgrind(args, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-bench-instructions-"));
  const out = join(dir, "callgrind.out");
  const child = spawn("valgrind", ["-q", "--tool=callgrind", `--callgrind-out-file=${out}`, process.execPath, ...args], {
    env: { ...process.env, ...env },
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
async function countWorkInstructions(count) {
  const bundle = resolve("dist/bench-payments-work.mjs");
  const source = `const { benchPaymentWork } = await import(${JSON.stringify(bundle)}); await benchPaymentWork(${count}, 32, ${warm});`;
  return callgrind(["--input-type=module", "-e", source]);
}

/** Total instructions of a server under callgrind that answered `count` requests of the scenario. */
async function countInstructions(count) {
  const dataDir = mkdtempSync(join(tmpdir(), "coreflow-bench-instructions-"));
  const out = join(dataDir, "callgrind.out");
  const child = spawn("valgrind", ["-q", "--tool=callgrind", `--callgrind-out-file=${out}`, process.execPath, resolve("dist/server.js")], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: join(dataDir, "data"), LOG_LEVEL: "info", RATE_LIMIT_PER_SECOND: "0", WAL_CHECKPOINT_MB: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const url = await new Promise((resolveUrl, reject) => {
      let buffer = "";
      child.stdout.on("data", (chunk) => {
        buffer += chunk;
        const found = /"url":"([^"]+)"/.exec(buffer);
        if (found) resolveUrl(found[1]);
      });
      child.once("exit", (code) => reject(new Error(`the server under valgrind exited with ${code}`)));
    });
    const call = apiCaller(url);
    const { accessToken: token } = await call("POST", "/auth/register", { email: `bench-${Date.now()}-${count}@example.com`, password: "correct horse battery staple", name: "Bench" });
    const base = `/businesses/${(await call("POST", "/businesses", { name: "Instructions bench", baseCurrency: "USD" }, token)).id}`;
    const customer = (await call("POST", `${base}/companies`, { name: "A customer" }, token)).id;
    const invoice = await call(
      "POST",
      `${base}/invoices`,
      { customerId: customer, currency: "USD", issueDate: "2026-01-01", dueDate: "2026-01-31", lines: [{ description: "Large", quantity: "1000", unitPrice: 10_000_000_000, taxRate: "0" }] },
      token,
    );
    await call("POST", `${base}/invoices/${invoice.id}/issue`, undefined, token);
    const target = {
      payment: { url: `${url}/api/v1${base}/payments`, method: "POST", body: JSON.stringify({ invoiceId: invoice.id, amount: 1, date: "2026-01-02" }), status: 201 },
      refused: { url: `${url}/api/v1${base}/payments`, method: "POST", body: JSON.stringify({ invoiceId: 5 }), status: 400 },
      health: { url: `${url}/health`, status: 200 },
    }[scenario];
    const { status, ...options } = target;
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const result = await new Promise((done, fail) =>
      autocannon({ ...options, headers, connections: 32, amount: count, timeout: 120 }, (error, r) => (error ? fail(error) : done(r))),
    );
    const expected = result.statusCodeStats?.[status]?.count ?? 0;
    if (expected !== count || result.errors > 0) throw new Error(`${count - expected} answers other than ${status}, ${result.errors} errors`);
    child.kill("SIGTERM");
    await new Promise((done) => (child.exitCode === null ? child.once("exit", done) : done()));
    return instructionsIn(out);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

let small;
let large;
if (scenario === "work") {
  await build({ entryPoints: ["scripts/bench-payments-work.ts"], bundle: true, platform: "node", format: "esm", packages: "external", outfile: "dist/bench-payments-work.mjs", logLevel: "warning" });
  [small, large] = await Promise.all([countWorkInstructions(0), countWorkInstructions(requests)]);
} else {
  [small, large] = await Promise.all([countInstructions(warm), countInstructions(warm + requests)]);
}
console.log(
  `${scenario}: ${Math.round((large - small) / requests).toLocaleString("en-US")} instructions per request ` +
    `(${warm} + ${requests}: ${large.toLocaleString("en-US")} in all; ${warm}: ${small.toLocaleString("en-US")})`,
);
