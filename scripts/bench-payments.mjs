// Payments and journal postings into one business under load, with the server's own CPU per request:
//   node scripts/build.mjs && node scripts/bench-payments.mjs [--requests 20000] [--connections 32] [--runs 3]
// Starts the built server on a fresh temporary data directory, issues one large invoice and pays it in
// 1-cent payments with autocannon (with and without a unique Idempotency-Key per request), then posts
// balanced journal entries. Server CPU is read from /proc/<pid>/stat around each run (Linux only) and
// divided by the requests answered; each line runs `--runs` times and prints the medians, with each run's
// CPU per request. Six lines run side by side, their runs alternating, so that a slow spell of the shared
// machine weighs on each: a bare node:http "hello" server (the baseline: compare ratios to it, not
// absolute figures, across runs), our /health and an authenticated read, our payments, the same payments
// into a second server that writes its WAL as SQLite does (SQLITE_WAL_BATCH=off: two system calls per
// page rather than one per commit, src/runtime/node/wal-batch.c), and the same payment's work behind a
// bare node:http server with no framework (serveBarePayments in scripts/bench-payments-work.ts: what our
// HTTP path adds is the difference). Then, on the same server: payments with a unique Idempotency-Key,
// journal entries, and payments refused by validation (400) and inside the write (422). Each line of the
// server also gives its garbage collection (the server runs with --trace-gc-nvp): the event loop's GC
// pauses and the bytes promoted to the old generation per request — objects that outlive a request's few
// milliseconds only by accident make every scavenge longer (a Map#clear in the group commit once cost a
// payment ~25 % of its CPU). Last, the floor under it: a payment's own work (service, audit, events,
// commit) in process, without HTTP, one and 32 to a commit (scripts/bench-payments-work.ts). Afterwards:
// the invoice's amountPaid must equal the acknowledged payments, every acknowledged entry must be in the
// journal and the trial balance must balance — exit 1 otherwise (exit 0 says nothing about speed; the
// figures are printed).
import autocannon from "autocannon";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accountsByCode, apiCaller, bundlePaymentWork, cpuSeconds, median, numberArg, payableInvoice, rentEntryBody, startBarePayments, startBuiltServer, startHello } from "./built-server.mjs";

const count = numberArg("requests", 20_000);
const connections = numberArg("connections", 32);
/** Each measured line runs this many times; the medians are printed. */
const runs = numberArg("runs", 3);
const dataDir = mkdtempSync(join(tmpdir(), "coreflow-bench-payments-"));
/** GC totals of the server so far, from V8's --trace-gc-nvp lines (one per collection). */
const gc = { pauseMs: 0, promotedBytes: 0 };
const server = await startBuiltServer(dataDir, {}, {
  nodeArgs: ["--trace-gc-nvp"],
  onOutput: (line) => {
    const pause = line.match(/ pause=([\d.]+)/);
    if (!pause) return;
    gc.pauseMs += Number(pause[1]);
    gc.promotedBytes += Number(line.match(/ promoted=(\d+)/)?.[1] ?? 0);
  },
});
const { url } = server;

const call = apiCaller(url);
/** CPU seconds of the process's main thread (the event loop) and of all its threads. */
function threadSeconds(pid) {
  let all = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      all += cpuSeconds(pid, `/proc/${pid}/task/${tid}`);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return { main: cpuSeconds(pid, `/proc/${pid}/task/${pid}`), all };
}

const failures = [];
try {
  const { token, base, invoice } = await payableInvoice(call, "Payments bench");
  const account = await accountsByCode(call, base, token);
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };

  const perRequest = new Map();
  /** One autocannon run of `options` against the process `pid`: its figures per request. */
  async function runOnce(options, pid) {
    const cpuBefore = cpuSeconds(pid);
    const gcBefore = { ...gc };
    const threadsBefore = threadSeconds(pid);
    const started = performance.now();
    let last = started;
    // autocannon stops on its one-second tick: the run ends at the last answer, not at the tick
    const result = await new Promise((resolve, reject) => {
      const run = autocannon({ connections, amount: count, headers, ...options }, (error, r) => (error ? reject(error) : resolve(r)));
      run.on("response", () => {
        last = performance.now();
      });
    });
    const cpu = cpuSeconds(pid) - cpuBefore;
    const threadsAfter = threadSeconds(pid);
    const answered = result["2xx"] + result.non2xx;
    return {
      result,
      answered,
      rate: answered / ((last - started) / 1000),
      micros: (cpu / answered) * 1e6,
      // the event loop's share; the rest is V8's GC and compiler threads and the WAL checkpoint thread
      mainShare: (threadsAfter.main - threadsBefore.main) / Math.max(1e-9, threadsAfter.all - threadsBefore.all),
      gcPauseMicros: ((gc.pauseMs - gcBefore.pauseMs) / answered) * 1000,
      promotedKB: (gc.promotedBytes - gcBefore.promotedBytes) / answered / 1024,
    };
  }


  /**
   * Prints one line: the medians of `measured` (runs of one request kind against `pid`), with each run's
   * CPU per request. `status`: what every answer must be (2xx unless a refusal is being measured).
   * Returns the 2xx answers of all runs.
   */
  function report(name, measured, pid, status = "2xx") {
    const micros = median(measured.map((m) => m.micros));
    perRequest.set(name, micros);
    const hello = perRequest.get("baseline: bare node:http hello");
    const ratio = hello && name !== "baseline: bare node:http hello" ? `  = ${(micros / hello).toFixed(1)}× hello` : "";
    const statuses = [...new Set(measured.flatMap((m) => Object.keys(m.result.statusCodeStats ?? {})))].join(",");
    const errors = measured.reduce((sum, m) => sum + m.result.errors, 0);
    const gcUse =
      pid === server.pid
        ? `  GC pauses ${median(measured.map((m) => m.gcPauseMicros)).toFixed(0)} µs, promoted ${median(measured.map((m) => m.promotedKB)).toFixed(1)} KB /request`
        : "";
    const each = measured.length > 1 ? `  [runs: ${measured.map((m) => m.micros.toFixed(0)).join(", ")} µs]` : "";
    const p50 = median(measured.map((m) => m.result.latency.p50));
    const p99 = median(measured.map((m) => m.result.latency.p99));
    console.log(
      `${name.padEnd(40)} ${median(measured.map((m) => m.rate)).toFixed(0).padStart(6)} answers/s  p50 ${String(p50).padStart(3)} ms  p99 ${String(p99).padStart(3)} ms  server CPU ${micros.toFixed(0)} µs/request${ratio} (${(100 * median(measured.map((m) => m.mainShare))).toFixed(0)} % event loop)${gcUse}${each}  (status ${statuses}, ${errors} errors)`,
    );
    for (const { result, answered } of measured) {
      const wrong = status === "2xx" ? result.non2xx : answered - (result.statusCodeStats?.[status]?.count ?? 0);
      if (wrong > 0 || result.errors > 0) failures.push(`${name}: ${wrong} answers other than ${status}, ${result.errors} errors`);
    }
    return measured.reduce((sum, m) => sum + m.result["2xx"], 0);
  }

  /** Runs `options` `runs` times (a warm-up, with its own `amount`, once) and reports them (see report). */
  async function measure(name, options, pid = server.pid, status = "2xx") {
    const measured = [];
    for (let i = 0; i < (options.amount === undefined ? runs : 1); i++) measured.push(await runOnce(options, pid));
    return report(name, measured, pid, status);
  }

  /**
   * Lines measured side by side: their runs alternate (A, B, C, …, A, B, C, …) so that a slow spell of the
   * machine weighs on each. Reported in the order given. Returns each line's 2xx answers.
   */
  async function measureSideBySide(lines) {
    const runsOf = lines.map(() => []);
    for (let i = 0; i < runs; i++) {
      for (const [j, line] of lines.entries()) runsOf[j].push(await runOnce(line.options, line.pid));
    }
    return lines.map((line, j) => report(line.name, runsOf[j], line.pid));
  }

  // The lines this benchmark is about run side by side (their runs alternate): the floor, our answer with
  // no work (/health: what the framework path costs by itself), an authenticated read (what admitting a
  // caller to a business adds), our payment, the same into a server that writes its WAL as SQLite does
  // (two system calls per page, wal-batch.c), and the same payment's work behind a bare node:http server
  // (what our HTTP path adds is the difference). Each is warmed up first: V8 is still optimising the
  // request path after 2,000 payments (bench-instructions.mjs), and a fresh process's first 8,000 hellos
  // cost 79–81 µs each, the 20,000 after them 23–30 µs.
  const payment = JSON.stringify({ invoiceId: invoice.id, amount: 1, date: "2026-01-02" });
  const unbatchedDir = mkdtempSync(join(tmpdir(), "coreflow-bench-payments-unbatched-"));
  const bundle = await bundlePaymentWork();
  const started = [];
  let paid = 0;
  try {
    const hello = await startHello();
    started.push(hello);
    const unbatched = await startBuiltServer(unbatchedDir, { SQLITE_WAL_BATCH: "off" });
    started.push(unbatched);
    const bare = await startBarePayments(bundle);
    started.push(bare);
    const other = apiCaller(unbatched.url);
    const ready = await payableInvoice(other, "Payments bench, WAL unbatched");
    const lines = [
      { name: "baseline: bare node:http hello", options: { url: hello.url }, pid: hello.pid },
      { name: "GET /health", options: { url: `${url}/health` }, pid: server.pid },
      { name: "GET /businesses/{id} (authenticated)", options: { url: `${url}/api/v1${base}` }, pid: server.pid },
      { name: "POST /payments", options: { url: `${url}/api/v1${base}/payments`, method: "POST", body: payment }, pid: server.pid },
      {
        name: "POST /payments, WAL unbatched",
        options: {
          url: `${unbatched.url}/api/v1${ready.base}/payments`,
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${ready.token}` },
          body: JSON.stringify({ invoiceId: ready.invoice.id, amount: 1, date: "2026-01-02" }),
        },
        pid: unbatched.pid,
      },
      {
        name: "bare node:http payment (no framework)",
        options: {
          url: bare.url,
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer bench" },
          body: JSON.stringify({ invoiceId: bare.info.invoiceId, amount: 1, date: "2026-01-02" }),
        },
        pid: bare.pid,
      },
    ];
    const warmed = [];
    for (const line of lines) warmed.push(await measure(`warm-up (8,000: ${line.name})`, { ...line.options, amount: 8_000 }, line.pid));
    const answered = await measureSideBySide(lines);
    /** The payments a line's server acknowledged, its warm-up included. */
    const acknowledged = (name) => {
      const i = lines.findIndex((line) => line.name === name);
      return warmed[i] + answered[i];
    };
    paid += acknowledged("POST /payments");
    const kept = (await other("GET", `${ready.base}/invoices/${ready.invoice.id}`, undefined, ready.token)).amountPaid;
    const unbatchedPaid = acknowledged("POST /payments, WAL unbatched");
    if (kept !== unbatchedPaid) failures.push(`WAL unbatched: amountPaid ${kept} ≠ acknowledged payments ${unbatchedPaid}`);
  } finally {
    for (const child of started) await child.stop();
    rmSync(unbatchedDir, { recursive: true, force: true });
  }
  // random keys, as clients make them (a UUID each): where each record's index entry lands is random too
  paid += await measure("POST /payments with Idempotency-Key", {
    url: `${url}/api/v1${base}/payments`,
    method: "POST",
    requests: [{ setupRequest: (req) => ({ ...req, body: payment, headers: { ...req.headers, "idempotency-key": crypto.randomUUID() } }) }],
  });
  const posted = await measure("POST /journal-entries", { url: `${url}/api/v1${base}/journal-entries`, method: "POST", body: rentEntryBody(account) });
  // refusals, on the same warm server: one before the work (validation), one inside it (no such invoice)
  const refused = { url: `${url}/api/v1${base}/payments`, method: "POST" };
  await measure("POST /payments refused by validation", { ...refused, body: JSON.stringify({ invoiceId: 5 }) }, server.pid, "400");
  const noInvoice = JSON.stringify({ invoiceId: "inv_00000000000000000000000000", amount: 1, date: "2026-01-02" });
  await measure("POST /payments refused inside the write", { ...refused, body: noInvoice }, server.pid, "422");

  const after = await call("GET", `${base}/invoices/${invoice.id}`, undefined, token);
  if (after.amountPaid !== paid) failures.push(`amountPaid ${after.amountPaid} ≠ acknowledged payments ${paid}`);
  const trial = await call("GET", `${base}/reports/trial-balance`, undefined, token);
  if (trial.totals.debit !== trial.totals.credit) failures.push(`trial balance does not balance: ${JSON.stringify(trial.totals)}`);
  const rent = trial.accounts.find((a) => a.code === "6200")?.debit ?? 0;
  if (rent !== posted * 100) failures.push(`rent account holds ${rent}, acknowledged entries ${posted} × 100`);
  console.log(`checks: amountPaid ${after.amountPaid} = acknowledged ${paid}; rent ${rent} = ${posted} entries × 100; trial balance ${trial.totals.debit} = ${trial.totals.credit}`);

  // the floor: a payment's own work in process, without HTTP, through the same group commit
  const { benchPaymentWork } = await import(bundle);
  for (const batch of [1, 32]) {
    const work = await benchPaymentWork(Math.min(count, 10_000), batch);
    const hello = perRequest.get("baseline: bare node:http hello");
    console.log(
      `payment work in process, no HTTP, ${String(batch).padStart(2)} per commit: ${work.cpuMicrosPerPayment.toFixed(0)} µs CPU per payment${hello ? ` = ${(work.cpuMicrosPerPayment / hello).toFixed(1)}× hello` : ""}`,
    );
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`FAILED:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
