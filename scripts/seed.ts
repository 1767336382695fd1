// `npm run seed`: creates a demo founder with three businesses, a couple of teammates and an API key, so a
// new user sees something real at once. Everything goes through the public HTTP API — exactly as real use
// would, so every record gets its audit entries and events — never by writing SQLite directly.
//
// Where: the server answering GET /health at SEED_URL, or at http://$HOST:$PORT (default
// http://127.0.0.1:8787). When nothing answers there (and SEED_URL is not set), the seed starts the built
// server (dist/server.js) on a free port over the same DATA_DIR, seeds through it and stops it.
//
// Environment: SEED_URL, SEED_PASSWORD (the founder's password; random when unset), HOST, PORT, DATA_DIR.
// Flags: --json prints the summary as JSON. Exit status: 0 seeded or already seeded, 1 failure (stderr).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

type Role = "owner" | "admin" | "accountant" | "sales" | "viewer";

// ---------------------------------------------------------------------------------------------------
// The demo data
// ---------------------------------------------------------------------------------------------------

const FOUNDER = { email: "founder@demo.coreflow360.test", name: "Demo Founder" };

/** `ref` names a business inside this file; the server assigns its id. */
const BUSINESSES = [
  { ref: "northwind", name: "Northwind Coffee Roasters", baseCurrency: "USD" },
  { ref: "lumen", name: "Lumen Design Studio", baseCurrency: "EUR" },
  { ref: "kaiju", name: "Kaiju Games", baseCurrency: "JPY" },
] as const;
type BusinessRef = (typeof BUSINESSES)[number]["ref"];

const TEAMMATES: { email: string; name: string; roles: Partial<Record<BusinessRef, Role>> }[] = [
  { email: "ada.ledger@demo.coreflow360.test", name: "Ada Ledger", roles: { northwind: "accountant", lumen: "accountant" } },
  { email: "sam.seller@demo.coreflow360.test", name: "Sam Seller", roles: { northwind: "sales" } },
];

const API_KEYS: { business: BusinessRef; name: string; role: Exclude<Role, "owner"> }[] = [
  { business: "northwind", name: "Demo read-only key", role: "viewer" },
];

// ---------------------------------------------------------------------------------------------------
// What the seed reports
// ---------------------------------------------------------------------------------------------------

export interface SeededBusiness {
  id: string;
  ref: BusinessRef;
  name: string;
  baseCurrency: string;
}

export interface SeedSummary {
  seeded: true;
  /** Where the user reaches the server: the running one, or where `npm start` will serve. */
  url: string;
  docsUrl: string;
  /** True when no server was running and the seed started (and stopped) one of its own. */
  startedServer: boolean;
  dataDir: string | null;
  founder: { id: string; email: string; name: string; password: string };
  businesses: SeededBusiness[];
  teammates: {
    id: string;
    email: string;
    name: string;
    /** null when the account already existed: its password was left as it was. */
    password: string | null;
    roles: { businessId: string; businessName: string; role: Role }[];
  }[];
  apiKeys: { id: string; name: string; role: Role; businessId: string; businessName: string; key: string }[];
}

export interface AlreadySeeded {
  seeded: false;
  url: string;
  startedServer: boolean;
  dataDir: string | null;
  founder: { email: string };
  message: string;
}

// ---------------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------------

class SeedError extends Error {}

const REQUEST_TIMEOUT_MS = 30_000;

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

function api(baseUrl: string) {
  async function send(method: string, path: string, body?: unknown, token?: string): Promise<Reply> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new SeedError(`${method} ${baseUrl}/api/v1${path} failed: ${describe(error)}`);
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { detail: text.slice(0, 500) };
    }
    return { status: response.status, body: parsed };
  }

  /** Sends, and insists on the expected status. */
  async function expect(status: number, method: string, path: string, body?: unknown, token?: string): Promise<Record<string, unknown>> {
    const reply = await send(method, path, body, token);
    if (reply.status !== status) {
      const detail = reply.body.detail ?? reply.body.title ?? JSON.stringify(reply.body);
      throw new SeedError(`${method} /api/v1${path} answered ${reply.status} (expected ${status}): ${String(detail)}`);
    }
    return reply.body;
  }

  return { send, expect };
}
type Api = ReturnType<typeof api>;

function str(body: Record<string, unknown>, ...path: string[]): string {
  let value: unknown = body;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== "string") throw new SeedError(`the server's answer lacks ${path.join(".")}: ${JSON.stringify(body).slice(0, 300)}`);
  return value;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

function newPassword(): string {
  return randomBytes(18).toString("base64url");
}

// ---------------------------------------------------------------------------------------------------
// The steps. Each runs after the founder is registered and adds to the summary; CRM and finance seeding
// (companies, contacts, leads, a few invoices and payments per business) are further steps appended to
// SEED_STEPS once those resources exist.
// ---------------------------------------------------------------------------------------------------

interface SeedContext {
  http: Api;
  founderToken: string;
  summary: SeedSummary;
}

type SeedStep = { name: string; run: (ctx: SeedContext) => Promise<void> };

function businessByRef(ctx: SeedContext, ref: BusinessRef): SeededBusiness {
  const business = ctx.summary.businesses.find((b) => b.ref === ref);
  if (!business) throw new SeedError(`internal: business ${ref} was not created`);
  return business;
}

const SEED_STEPS: SeedStep[] = [
  {
    name: "create the businesses",
    async run(ctx) {
      for (const b of BUSINESSES) {
        const created = await ctx.http.expect(201, "POST", "/businesses", { name: b.name, baseCurrency: b.baseCurrency }, ctx.founderToken);
        ctx.summary.businesses.push({ id: str(created, "id"), ref: b.ref, name: b.name, baseCurrency: b.baseCurrency });
      }
    },
  },
  {
    name: "add the teammates",
    async run(ctx) {
      for (const mate of TEAMMATES) {
        let password: string | null = newPassword();
        const registered = await ctx.http.send("POST", "/auth/register", { email: mate.email, password, name: mate.name });
        let id: string | undefined;
        if (registered.status === 201) {
          id = str(registered.body, "user", "id");
        } else if (registered.status === 409) {
          password = null; // an existing account: add it as it is, its password untouched
        } else {
          throw new SeedError(`registering ${mate.email} answered ${registered.status}: ${String(registered.body.detail ?? "")}`);
        }
        const roles: SeedSummary["teammates"][number]["roles"] = [];
        for (const [ref, role] of Object.entries(mate.roles) as [BusinessRef, Role][]) {
          const business = businessByRef(ctx, ref);
          const member = await ctx.http.expect(201, "POST", `/businesses/${business.id}/members`, { email: mate.email, role }, ctx.founderToken);
          id ??= str(member, "userId");
          roles.push({ businessId: business.id, businessName: business.name, role });
        }
        ctx.summary.teammates.push({ id: id ?? "", email: mate.email, name: mate.name, password, roles });
      }
    },
  },
  {
    name: "create the API keys",
    async run(ctx) {
      for (const k of API_KEYS) {
        const business = businessByRef(ctx, k.business);
        const created = await ctx.http.expect(201, "POST", `/businesses/${business.id}/api-keys`, { name: k.name, role: k.role }, ctx.founderToken);
        ctx.summary.apiKeys.push({
          id: str(created, "id"),
          name: k.name,
          role: k.role,
          businessId: business.id,
          businessName: business.name,
          key: str(created, "key"),
        });
      }
    },
  },
];

// ---------------------------------------------------------------------------------------------------
// Finding or starting a server
// ---------------------------------------------------------------------------------------------------

interface Target {
  /** Where the seed sends its requests. */
  apiUrl: string;
  /** Where the user will reach the server afterwards. */
  userUrl: string;
  ownServer: OwnServer | null;
}

interface OwnServer {
  child: ChildProcess;
  logs: string[];
  exited: Promise<number | null>;
}

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000; // the server drains for at most 10 s
const LOG_LINES_KEPT = 50;

/** A host as it goes into a URL to connect to: wildcard addresses mean this machine; IPv6 in brackets. */
function connectableHost(host: string): string {
  if (host === "" || host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

async function answersHealth(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) });
    if (response.status !== 200) return false;
    const body = (await response.json()) as { status?: unknown };
    return body.status === "ok";
  } catch {
    return false;
  }
}

async function startOwnServer(env: NodeJS.ProcessEnv, host: string): Promise<{ url: string; server: OwnServer }> {
  const serverPath = fileURLToPath(new URL("./server.js", import.meta.url));
  // The caller's DATA_DIR and HOST come through the inherited environment. The log level is info whatever
  // the caller's: the "listening" line (info) is how the seed learns the port, and the server's logs are
  // only shown if it fails.
  const child = spawn(process.execPath, [serverPath], {
    env: { ...env, PORT: "0", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const keep = (line: string) => {
    logs.push(line);
    if (logs.length > LOG_LINES_KEPT) logs.shift();
  };
  const exited = new Promise<number | null>((done) => {
    child.once("exit", (code) => done(code));
    child.once("error", (error) => {
      keep(`could not run ${serverPath}: ${error.message}`);
      done(null);
    });
  });
  const server: OwnServer = { child, logs, exited };
  const reported = await new Promise<string>((found, fail) => {
    const timer = setTimeout(() => fail(new SeedError(`the server did not start within ${START_TIMEOUT_MS / 1000} s.${serverTrouble(logs)}`)), START_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      keep(line);
      try {
        const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
        if (entry.msg === "listening" && typeof entry.url === "string") {
          clearTimeout(timer);
          found(entry.url);
        }
      } catch {
        // not a log line
      }
    });
    createInterface({ input: child.stderr! }).on("line", keep);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new SeedError(`the server exited (status ${code}) before it was ready.${serverTrouble(logs)}`));
    });
  }).catch(async (error: unknown) => {
    await stopOwnServer(server).catch(() => undefined); // the start failure is the one to report
    throw error;
  });
  const port = reported.match(/:(\d+)\/?$/)?.[1];
  if (!port) {
    await stopOwnServer(server).catch(() => undefined);
    throw new SeedError(`the server reported an address the seed cannot read: ${reported}`);
  }
  return { url: `http://${connectableHost(host)}:${port}`, server };
}

/** The server's own words about why it failed (its fatal or error log lines), else its last lines. */
function serverTrouble(logs: string[]): string {
  const messages: string[] = [];
  for (const line of logs) {
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
      if (typeof entry.level === "number" && entry.level >= 50 && typeof entry.msg === "string") messages.push(entry.msg);
    } catch {
      if (line.trim()) messages.push(line);
    }
  }
  const shown = (messages.length > 0 ? messages : logs).slice(-10);
  return shown.length > 0 ? `\nThe server said:\n  ${shown.join("\n  ")}` : "";
}

async function stopOwnServer(server: OwnServer): Promise<void> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((done) => {
    timer = setTimeout(() => done("timeout"), STOP_TIMEOUT_MS);
  });
  const outcome = await Promise.race([server.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    child.kill("SIGKILL");
    await server.exited;
    throw new SeedError(`the seed's server did not stop within ${STOP_TIMEOUT_MS / 1000} s and was killed.`);
  }
  if (outcome !== 0) throw new SeedError(`the seed's server exited with status ${outcome} when stopped.${serverTrouble(server.logs)}`);
}

async function findTarget(env: NodeJS.ProcessEnv): Promise<Target> {
  const explicit = env.SEED_URL?.trim();
  if (explicit) {
    const url = explicit.replace(/\/+$/, "");
    if (!/^https?:\/\//.test(url)) throw new SeedError(`SEED_URL must be an http(s) URL, got "${explicit}".`);
    if (!(await answersHealth(url))) throw new SeedError(`no CoreFlow360 server answers GET ${url}/health (SEED_URL). Start it, or unset SEED_URL to let the seed start its own.`);
    return { apiUrl: url, userUrl: url, ownServer: null };
  }
  const host = env.HOST || "127.0.0.1";
  const port = env.PORT || "8787";
  const userUrl = `http://${connectableHost(host)}:${port}`;
  if (await answersHealth(userUrl)) return { apiUrl: userUrl, userUrl, ownServer: null };
  const { url, server } = await startOwnServer(env, host);
  return { apiUrl: url, userUrl, ownServer: server };
}

// ---------------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------------

async function seed(target: Target, founderPassword: string, dataDir: string | null): Promise<SeedSummary | AlreadySeeded> {
  const http = api(target.apiUrl);
  const registered = await http.send("POST", "/auth/register", { ...FOUNDER, password: founderPassword });
  if (registered.status === 409) {
    return {
      seeded: false,
      url: target.userUrl,
      startedServer: target.ownServer !== null,
      dataDir,
      founder: { email: FOUNDER.email },
      message:
        `The demo founder ${FOUNDER.email} already exists, so nothing was created. ` +
        "The seed cannot show a password it did not choose: sign in with the one printed when it first ran " +
        "(or with SEED_PASSWORD, if it was set then), or seed a fresh DATA_DIR.",
    };
  }
  if (registered.status !== 201) {
    throw new SeedError(`registering the founder answered ${registered.status}: ${String(registered.body.detail ?? JSON.stringify(registered.body))}`);
  }
  const summary: SeedSummary = {
    seeded: true,
    url: target.userUrl,
    docsUrl: `${target.userUrl}/api/docs`,
    startedServer: target.ownServer !== null,
    dataDir,
    founder: { id: str(registered.body, "user", "id"), email: FOUNDER.email, name: FOUNDER.name, password: founderPassword },
    businesses: [],
    teammates: [],
    apiKeys: [],
  };
  const ctx: SeedContext = { http, founderToken: str(registered.body, "accessToken"), summary };
  for (const step of SEED_STEPS) {
    try {
      await step.run(ctx);
    } catch (error) {
      throw new SeedError(
        `could not ${step.name}: ${describe(error)}\n` +
          `The founder ${FOUNDER.email} was already created (password: ${founderPassword}), so running the seed again ` +
          "will report it as seeded; use a fresh DATA_DIR to start over.",
      );
    }
  }
  return summary;
}

// ---------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function formatSummary(s: SeedSummary): string {
  const lines: string[] = [];
  const width = Math.max(...s.businesses.map((b) => b.name.length));
  lines.push("CoreFlow360 demo data is ready.", "");
  if (s.startedServer) {
    lines.push(`  Seeded ${s.dataDir ?? "the data directory"} through a temporary server, now stopped.`);
    lines.push("  Start the server with `npm start`, then use:");
  }
  lines.push(`  Server     ${s.url}`, `  API docs   ${s.docsUrl}`, "");
  lines.push("Founder (owner of every business)");
  lines.push(`  ${s.founder.name} <${s.founder.email}>`, `  password   ${s.founder.password}`, "");
  lines.push("Businesses");
  for (const b of s.businesses) lines.push(`  ${b.name.padEnd(width)}  ${b.baseCurrency}  ${b.id}`);
  lines.push("", "Teammates");
  for (const t of s.teammates) {
    lines.push(`  ${t.name} <${t.email}>`);
    lines.push(`    password   ${t.password ?? "(an existing account; its password was not changed)"}`);
    for (const r of t.roles) lines.push(`    ${r.role.padEnd(10)} in ${r.businessName}`);
  }
  for (const k of s.apiKeys) {
    lines.push("", `API key "${k.name}" (${k.role} in ${k.businessName}) — shown only this once:`, `  ${k.key}`);
  }
  lines.push("", "Try it:");
  const login = JSON.stringify({ email: s.founder.email, password: s.founder.password });
  lines.push(`  curl -X POST -H 'Content-Type: application/json' -d ${shellQuote(login)} ${s.url}/api/v1/auth/login`);
  lines.push("  curl -H 'Authorization: Bearer <accessToken from the login>' " + `${s.url}/api/v1/me`);
  const key = s.apiKeys[0];
  if (key) lines.push(`  curl -H ${shellQuote(`Authorization: Bearer ${key.key}`)} ${s.url}/api/v1/businesses/${key.businessId}`);
  lines.push(`  or browse ${s.docsUrl}`);
  return lines.join("\n") + "\n";
}

function formatAlreadySeeded(s: AlreadySeeded): string {
  return `Already seeded (${s.url}${s.dataDir ? `, data in ${s.dataDir}` : ""}).\n${s.message}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const unknown = argv.filter((a) => a !== "--json");
  if (unknown.length > 0) throw new SeedError(`unknown argument ${unknown[0]}. Usage: seed [--json]`);
  const asJson = argv.includes("--json");

  const founderPassword = env.SEED_PASSWORD || newPassword();
  if (founderPassword.length < 10 || founderPassword.length > 256) throw new SeedError("SEED_PASSWORD must be 10–256 characters.");

  const target = await findTarget(env);
  const dataDir = target.ownServer ? resolve(env.DATA_DIR || "./data") : null;
  let stopOnSignal: (() => void) | undefined;
  if (target.ownServer) {
    const own = target.ownServer;
    stopOnSignal = () => {
      process.stderr.write("seed: interrupted; stopping its server\n");
      void stopOwnServer(own).finally(() => process.exit(1));
    };
    process.once("SIGINT", stopOnSignal);
    process.once("SIGTERM", stopOnSignal);
  }
  let result: SeedSummary | AlreadySeeded | undefined;
  let failure: unknown;
  try {
    result = await seed(target, founderPassword, dataDir);
  } catch (error) {
    failure = error;
  }
  if (target.ownServer) {
    process.removeListener("SIGINT", stopOnSignal!);
    process.removeListener("SIGTERM", stopOnSignal!);
    try {
      await stopOwnServer(target.ownServer);
    } catch (error) {
      failure ??= error; // the seeding's own failure, if any, is the one worth reporting
    }
  }
  if (failure !== undefined || !result) throw failure;
  if (asJson) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  else process.stdout.write(result.seeded ? formatSummary(result) : formatAlreadySeeded(result));
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`seed failed: ${error instanceof SeedError ? error.message : describe(error)}\n`);
    process.exitCode = 1;
  },
);
