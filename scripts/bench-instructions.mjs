// CPU instructions per request of the built server, counted by valgrind (callgrind), not timed:
//   node scripts/build.mjs && node scripts/bench-instructions.mjs [--scenario payment|journal|keyed|refused|read|health|hello|bare|work|journal-work] [--warm 8000] [--requests 4000] [--connections 32] [--batch 32]
// On shared machines timings drift by 2x between runs; instruction counts far less, so a few runs show
// what a change to the request path saves. Server scenarios: one server under callgrind on a fresh data
// directory answers `warm` requests, then its counters are zeroed (callgrind_control), it answers
// `requests` more and they are dumped: the count is of those requests alone. (Subtracting the totals of
// two servers, as this script first did, subtracted two large numbers that each vary with GC timing:
// 0.79M and 1.11M for the same build.) Counts user-space instructions of every thread (GC helpers; the
// checkpoint thread's work is off: WAL_CHECKPOINT_MB=0); system calls are not counted. Concurrency makes
// batch sizes and GC timing vary between runs: one build's payments counted 718k in a run made alone,
// then 665k and 985k in runs made two at a time (another build: 821k alone, 802k two at a time), so
// compare runs made one after another on an otherwise idle machine — or load the server over one
// connection (`--connections 1`): each write then commits alone, and counts of one sitting on a quiet
// machine stay within ~1.5 % (a payment: 912,561, 911,777, 911,696 and 924,905 in four runs; 908,155 and
// 906,183 hours later) — but on a busy one the same build counted 1,310,129 and 1,324,215: under
// valgrind a request lasts milliseconds, and what the process does by the clock is counted into it. `work` is the steadiest (32 payments a
// commit, or `--batch`, no HTTP; the same payment path counted 297,158 and 304,584 hours apart): the
// measure for a change to a payment's own work (`journal-work`: a two-line journal entry's). `keyed`:
// payments with a new Idempotency-Key each; `journal`: journal entries of two lines (rent against
// payables); `read`: an authenticated GET of a business (no statement: admission and business rows are
// cached). The warm-up is long because V8 keeps optimising for thousands of payments (--trace-opt on
// the server: 408 functions optimised in the first 2,000 payments, 140 in the next 6,000, ~15 per 6,000
// after that); in the 6,000 payments after a warm-up of
// 2,000, 95k of the 832k instructions a payment counted were still TurboFan compiling (callgrind, per
// function). `hello`: a bare node:http server answering "hello", counted the same way — the floor
// under any request of ours. `bare`: the payment's work behind a bare node:http server with no framework
// (serveBarePayments, as bench-payments runs it) — `payment` less `bare` is what our HTTP path adds. `work`: a payment's own work in process, without HTTP, 32 to a commit
// (scripts/bench-payments-work.ts): two runs, `warm` and `warm + requests` payments, the difference.
// Takes 2–5 minutes.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accountsByCode, apiCaller, bundlePaymentWork, numberArg, payableInvoice, rentEntryBody, runAutocannon, startBarePayments, startBuiltServer, startHello } from "./built-server.mjs";

const args = process.argv.slice(2);
const scenario = args.includes("--scenario") ? args[args.indexOf("--scenario") + 1] : "payment";
if (!["payment", "journal", "keyed", "refused", "read", "health", "hello", "bare", "work", "journal-work"].includes(scenario)) {
  throw new Error("--scenario is payment, journal, keyed, refused, read, health, hello, bare, work or journal-work");
}
const warm = numberArg("warm", 8000);
const requests = numberArg("requests", 4000);
/** Connections of the load on a server scenario: with one, each write commits alone and counts spread least. */
const connections = numberArg("connections", 32);
/** What the in-process scenarios post (their own work, no HTTP); undefined for the server's. */
const workKind = { work: "payment", "journal-work": "journal" }[scenario];
/** Writes to a commit in the in-process scenarios (work, journal-work). */
const batch = numberArg("batch", 32);

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
  const source = `const { benchPaymentWork } = await import(${JSON.stringify(bundle)}); await benchPaymentWork(${count}, ${batch}, ${warm}, "${workKind}");`;
  return callgrind(["--input-type=module", "-e", source]);
}

/**
 * Instructions of the server under callgrind for `requests` requests of the scenario, after `warm` of
 * them: the counters are zeroed after the warm-up and dumped after the measured requests
 * (callgrind_control), so start-up, sign-up and warm-up are not in the count.
 */
async function countServerWindow() {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-bench-instructions-"));
  const out = join(dir, "callgrind.out");
  // callgrind_control reaches the server through vgdb's files, kept under this prefix
  const vgdb = `--vgdb-prefix=${join(dir, "vgdb")}`;
  const wrapper = ["valgrind", "-q", "--tool=callgrind", vgdb, `--callgrind-out-file=${out}`];
  let server;
  try {
    let target;
    let headers = {};
    if (scenario === "hello") {
      server = await startHello(wrapper);
      target = { url: server.url, status: 200 };
    } else if (scenario === "bare") {
      server = await startBarePayments(await bundlePaymentWork(), wrapper);
      target = { url: server.url, method: "POST", body: JSON.stringify({ invoiceId: server.info.invoiceId, amount: 1, date: "2026-01-02" }), status: 201 };
      headers = { "content-type": "application/json", authorization: "Bearer bench" };
    } else {
      server = await startBuiltServer(join(dir, "data"), { WAL_CHECKPOINT_MB: "0" }, { wrapper, startLimitMs: 180_000 });
      const call = apiCaller(server.url);
      const { token, base, invoice } = await payableInvoice(call, "Instructions bench");
      const account = await accountsByCode(call, base, token);
      const payments = `${server.url}/api/v1${base}/payments`;
      target = {
        payment: { url: payments, method: "POST", body: JSON.stringify({ invoiceId: invoice.id, amount: 1, date: "2026-01-02" }), status: 201 },
        refused: { url: payments, method: "POST", body: JSON.stringify({ invoiceId: 5 }), status: 400 },
        journal: {
          url: `${server.url}/api/v1${base}/journal-entries`,
          method: "POST",
          body: rentEntryBody(account),
          status: 201,
        },
        keyed: { url: payments, method: "POST", body: JSON.stringify({ invoiceId: invoice.id, amount: 1, date: "2026-01-02" }), status: 201, requests: [{ setupRequest: (r) => ({ ...r, headers: { ...r.headers, "idempotency-key": crypto.randomUUID() } }) }] },
        read: { url: `${server.url}/api/v1${base}`, status: 200 },
        health: { url: `${server.url}/health`, status: 200 },
      }[scenario];
      headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    }
    const { status, ...options } = target;
    const load = async (count) => {
      const result = await runAutocannon({ ...options, headers, connections, amount: count, timeout: 120 });
      const expected = result.statusCodeStats?.[status]?.count ?? 0;
      if (expected !== count || result.errors > 0) throw new Error(`${count - expected} answers other than ${status}, ${result.errors} errors`);
    };
    await load(warm);
    await control(["--zero", vgdb], server.pid);
    await load(requests);
    await control(["--dump", vgdb], server.pid);
    return instructionsIn(`${out}.1`);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs callgrind_control (`--zero` the counters, `--dump` them) on the process under callgrind. */
async function control(options, pid) {
  // vgdb names its files after USER and HOST: the server's HOST (its listening address) must be ours too
  const child = spawn("callgrind_control", [...options, String(pid)], { stdio: "ignore", env: { ...process.env, HOST: "127.0.0.1" } });
  const code = await new Promise((done) => child.once("exit", done));
  if (code !== 0) throw new Error(`callgrind_control ${options.join(" ")} exited with ${code}`);
}

let perRequest;
if (workKind) {
  const bundle = await bundlePaymentWork();
  const [small, large] = await Promise.all([countWorkInstructions(bundle, 0), countWorkInstructions(bundle, requests)]);
  perRequest = (large - small) / requests;
} else {
  perRequest = (await countServerWindow()) / requests;
}
const perCommit = workKind ? `, ${batch} a commit` : "";
console.log(`${scenario}: ${Math.round(perRequest).toLocaleString("en-US")} instructions per request (${requests} after a warm-up of ${warm}${perCommit})`);
