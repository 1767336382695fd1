// Starts the built server (dist/server.js) for the benchmark scripts, on a free loopback port.
import autocannon from "autocannon";
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Resolves once the server logs "listening"; `stop()` sends SIGTERM and waits for the exit.
 * SERVER_NODE_ARGS (space-separated) go to the server's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
 * `wrapper`: a command the server's node runs under (e.g. valgrind), with more time to start.
 * `nodeArgs`: more options for the server's node; `onOutput`: each line it prints that is not a log entry;
 * `script`: another build's server.js (its migrations beside it, as in a checkout) instead of ours.
 */
export async function startBuiltServer(dataDir, env = {}, { wrapper = [], startLimitMs = 20_000, nodeArgs: extra = [], onOutput, script = "dist/server.js" } = {}) {
  const nodeArgs = [...(process.env.SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean), ...extra];
  const command = [...wrapper, process.execPath, ...nodeArgs, resolve(script)];
  const child = spawn(command[0], command.slice(1), {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "info", RATE_LIMIT_PER_SECOND: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((r) => child.once("exit", r));
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`server did not start within ${startLimitMs / 1000} s`));
    }, startLimitMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening`));
    });
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          onOutput?.(line);
          continue;
        }
        if (entry.msg === "listening") {
          clearTimeout(timer);
          resolveUrl(entry.url);
        }
      }
    });
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * A bare server of the benchmarks, `node -e source` (ES module) under `wrapper` if given (valgrind): the
 * source prints one JSON line with its `port` (and anything else the caller needs, returned as `info`)
 * once listening. Its HOST is the built server's, as vgdb names its files after it (bench-instructions).
 */
export async function startBare(source, wrapper = []) {
  const command = [...wrapper, process.execPath, "--input-type=module", "-e", source];
  const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, HOST: "127.0.0.1" } });
  const exited = new Promise((done) => child.once("exit", done));
  const info = await new Promise((done, fail) => {
    child.stdout.once("data", (d) => done(JSON.parse(String(d))));
    void exited.then((code) => fail(new Error(`bare server exited with ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${info.port}/`,
    pid: child.pid,
    info,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The baseline of the benchmarks: a bare node:http server answering "hello" (scripts/hello-server.mjs). */
export function startHello(wrapper = []) {
  return startBare(`await import(${JSON.stringify(pathToFileURL(resolve("scripts/hello-server.mjs")).href)});`, wrapper);
}

/** A payment's work behind a bare node:http server (serveBarePayments of scripts/bench-payments-work.ts). */
export function startBarePayments(bundle, wrapper = []) {
  return startBare(`const { serveBarePayments } = await import(${JSON.stringify(bundle)}); serveBarePayments();`, wrapper);
}

const ticks = Number(process.env.CLK_TCK ?? 100);
/** User + system CPU seconds a process (or one of its threads: `/proc/<pid>/task/<tid>`) has used so far (Linux). */
export function cpuSeconds(pid, path = `/proc/${pid}`) {
  const fields = readFileSync(`${path}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** One autocannon run of `options`, its result when it ends. */
export function runAutocannon(options) {
  return new Promise((done, fail) => autocannon(options, (error, result) => (error ? fail(error) : done(result))));
}

/** The middle value (the upper of the two middle ones for an even count). */
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** `--name N` from the command line as a number, or the fallback. */
export function numberArg(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** A JSON call to the API under `url`; any status ≥ 300 throws with the answer. */
export function apiCaller(url) {
  return async function call(method, path, body, token) {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      // no body, no Content-Type: where a body is required, an empty one declared as JSON is a 400 (not valid JSON)
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/**
 * What the payment benchmarks pay into: a new owner and business, a customer, and one issued invoice of
 * 10^13 cents, so that any number of 1-cent payments fits. Returns the token, the business's path and the invoice.
 */
export async function payableInvoice(call, name) {
  const { accessToken: token } = await call("POST", "/auth/register", { email: `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`, password: "correct horse battery staple", name: "Bench" });
  const base = `/businesses/${(await call("POST", "/businesses", { name, baseCurrency: "USD" }, token)).id}`;
  const customer = (await call("POST", `${base}/companies`, { name: "A customer" }, token)).id;
  const invoice = await call(
    "POST",
    `${base}/invoices`,
    { customerId: customer, currency: "USD", issueDate: "2026-01-01", dueDate: "2026-01-31", lines: [{ description: "Large", quantity: "1000", unitPrice: 10_000_000_000, taxRate: "0" }] },
    token,
  );
  await call("POST", `${base}/invoices/${invoice.id}/issue`, undefined, token);
  return { token, base, invoice };
}

/** The business's accounts by code: `account("6200")` is the rent account's id. */
export async function accountsByCode(call, base, token) {
  const accounts = (await call("GET", `${base}/accounts?limit=200`, undefined, token)).data;
  return (code) => accounts.find((a) => a.code === code).id;
}

/** The body of the benchmarks' journal entry: 1.00 of rent against payables, two lines (`account` as accountsByCode gives it). */
export const rentEntryBody = (account) =>
  JSON.stringify({ date: "2026-01-03", memo: "Rent", lines: [{ accountId: account("6200"), debit: 100 }, { accountId: account("2000"), credit: 100 }] });

/** Bundles scripts/bench-payments-work.ts (a payment's own work, in process) and returns the bundle's path. */
export async function bundlePaymentWork() {
  const outfile = resolve("dist/bench-payments-work.mjs");
  await build({ entryPoints: ["scripts/bench-payments-work.ts"], bundle: true, platform: "node", format: "esm", packages: "external", outfile, logLevel: "warning" });
  return outfile;
}
