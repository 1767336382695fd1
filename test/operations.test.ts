import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { allPages, type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

/**
 * How the server process behaves for the person who runs it: one process per DATA_DIR, a graceful
 * drain on SIGTERM, nothing acknowledged lost to kill -9, secrets kept out of logs, a bounded pool of
 * business databases, and the operations endpoints.
 */

const SERVER = resolve("dist/server.js");
/** The contract allows 10 s of draining; one more second for the process to go away. */
const EXIT_LIMIT_MS = 11_000;

const servers: RunningServer[] = [];
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop("SIGKILL");
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((done) => child.once("exit", done));
      child.kill("SIGKILL");
      await gone;
    }
  }
  for (const dir of dirs.splice(0)) removeDataDir(dir);
});

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-ops-"));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer({ dataDir, env });
  servers.push(server);
  return server;
}

/** Sends the signal and waits for the exit code, failing if the process is still there after `ms`. */
async function stopWithin(server: RunningServer, signal: NodeJS.Signals = "SIGTERM", ms = EXIT_LIMIT_MS): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server was still running ${ms} ms after ${signal}`)), ms);
  });
  try {
    return await Promise.race([server.stop(signal), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the server binary directly (for processes that should refuse to start, or need their own cwd). */
function spawnServer(env: Record<string, string>, cwd?: string) {
  const child = spawn(process.execPath, [SERVER], {
    cwd,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const closed = new Promise<number | null>((done) => child.once("close", (code) => done(code)));
  return {
    child,
    output: () => output,
    /** The exit code, once the process has exited and its output is all read. */
    exit(ms: number): Promise<number | null> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the process was still running after ${ms} ms:\n${output}`)), ms);
      });
      return Promise.race([closed, late]).finally(() => clearTimeout(timer));
    },
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Waits (bounded) until the server's log holds `text`. */
async function logsContain(server: RunningServer, text: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (server.logs.some((line) => line.includes(text))) return true;
    await sleep(20);
  }
  return false;
}

/** Files SQLite leaves beside a database it has not closed cleanly. */
function leftovers(dataDir: string): string[] {
  const found: string[] = [];
  for (const dir of [dataDir, join(dataDir, "businesses")]) {
    for (const name of readdirSync(dir)) {
      if (/-(wal|shm|journal)$/.test(name)) found.push(`${name} (${statSync(join(dir, name)).size} bytes)`);
    }
  }
  return found;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * A JSON POST through `agent`, telling when the request has been handed to the socket (`sent`)
 * separately from its response. With `holdBack`, that many trailing bytes of the body wait until
 * `finish()` is called.
 */
function postJson(baseUrl: string, path: string, body: unknown, options: { agent: Agent; token?: string; holdBack?: number }) {
  let markSent!: () => void;
  const sent = new Promise<void>((done) => (markSent = done));
  const payload = JSON.stringify(body);
  const split = payload.length - (options.holdBack ?? 0);
  const headers: Record<string, string | number> = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const req = httpRequest(`${baseUrl}${path}`, { method: "POST", agent: options.agent, headers });
  const response = new Promise<RawResponse>((done, fail) => {
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", fail);
    });
    req.on("finish", markSent);
    req.on("error", (error) => {
      markSent();
      fail(error);
    });
  });
  if (split < payload.length) req.write(payload.slice(0, split), () => markSent());
  else req.end(payload);
  // a test that fails before awaiting the response must not also leave an unhandled rejection behind
  response.catch(() => undefined);
  return { sent, response, finish: () => req.end(payload.slice(split)) };
}

async function metric(api: Client, name: string, token?: string): Promise<number> {
  const res = await api.get("/metrics", { token });
  expect(res.status).toBe(200);
  const match = res.text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m"));
  if (!match) throw new Error(`no ${name} in /metrics:\n${res.text}`);
  return Number(match[1]);
}

/** Every entry of a cursor-paginated list (bounded). */

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

describe("one process per DATA_DIR", () => {
  it("refuses a second process with a message naming the directory, and keeps serving from the first", async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const api = client(first.url);
    const user = await registerUser(api);

    const second = spawnServer({ DATA_DIR: dataDir });
    const code = await second.exit(15_000);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(second.output()).toContain("Another CoreFlow360 process is already using the data directory");
    expect(second.output()).toContain(dataDir);
    expect(second.output()).not.toContain('"msg":"listening"');

    expect((await api.get("/health")).status).toBe(200);
    expect((await api.get("/me", { token: user.token })).status).toBe(200);
    const another = await registerUser(api);
    expect((await api.post("/auth/login", { email: another.email, password: another.password })).status).toBe(200);
  });

  it("releases the lock on a clean stop and on kill -9, so the next process starts", async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const user = await registerUser(client(first.url));
    expect(await stopWithin(first)).toBe(0);

    const afterStop = await start(dataDir);
    const login = await client(afterStop.url).post("/auth/login", { email: user.email, password: user.password });
    expect(login.status).toBe(200);
    expect(await stopWithin(afterStop, "SIGKILL")).toBeNull();
    expect(afterStop.process.signalCode).toBe("SIGKILL");

    const afterKill = await start(dataDir);
    const me = await client(afterKill.url).get("/me", { token: login.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(user.email);
    // and it holds the lock in its turn
    const third = spawnServer({ DATA_DIR: dataDir });
    expect(await third.exit(15_000)).not.toBe(0);
    expect(third.output()).toContain("Another CoreFlow360 process is already using the data directory");
    expect(await stopWithin(afterKill)).toBe(0);
  });
});

describe("SIGTERM", () => {
  it("finishes the requests in flight, exits 0 and keeps what it acknowledged", async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir);
    const api = client(server.url);
    const password = "drain test passphrase";
    const emails = Array.from({ length: 8 }, (_, i) => `drain${i}.${Date.now()}@example.com`);
    // keep-alive connections, as a browser or proxy would use
    const agent = new Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());
    // each registration spends ~120 ms hashing on a small thread pool, so they are still running when the signal lands
    const calls = emails.map((email) => postJson(server.url, "/api/v1/auth/register", { email, password, name: "Drain" }, { agent }));
    const outcomes = calls.map((call) => call.response.then((res) => res, (error: Error) => error));
    await Promise.all(calls.map((call) => call.sent));
    // a request on a later connection: once it is answered, the server has read the ones before it
    expect((await api.get("/health")).status).toBe(200);

    const exit = stopWithin(server);
    const results = await Promise.all(outcomes);
    expect(await exit).toBe(0);
    for (const result of results) {
      expect(result).not.toBeInstanceOf(Error);
      const res = result as RawResponse;
      expect(res.status).toBe(201);
      expect(JSON.parse(res.text)).toMatchObject({ user: { email: expect.any(String) }, accessToken: expect.any(String) });
    }
    // the server saw requests in flight when it began to stop, and told their clients not to reuse the connection
    expect(await logsContain(server, '"msg":"stopping')).toBe(true);
    const stopping = JSON.parse(server.logs.find((line) => line.includes('"msg":"stopping'))!) as { inFlight: number };
    expect(stopping.inFlight).toBeGreaterThan(0);
    const toldToClose = results.filter((res) => (res as RawResponse).headers.connection === "close");
    expect(toldToClose.length).toBeGreaterThanOrEqual(stopping.inFlight);
    expect(server.logs.some((line) => line.includes("stopped; databases closed"))).toBe(true);
    expect(leftovers(dataDir)).toEqual([]);

    const again = client((await start(dataDir)).url);
    for (const email of emails) {
      const login = await again.post("/auth/login", { email, password });
      expect(login.status, email).toBe(200);
    }
  });

  it("ends open event streams and exits 0", async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir);
    const api = client(server.url);
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token, "Streamed");
    const stream = await fetch(`${server.url}/api/v1/businesses/${id}/events`, { headers: { Authorization: `Bearer ${owner.token}` } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    for (let i = 0; i < 20 && !received.includes("business.created"); i++) {
      const chunk = await reader.read();
      if (chunk.done) break;
      received += decoder.decode(chunk.value, { stream: true });
    }
    expect(received).toContain(": connected");
    expect(received).toContain("event: business.created");

    expect(await stopWithin(server)).toBe(0);
    // the server ended the stream properly (a cut connection would make read() reject instead)
    let ended = false;
    for (let i = 0; i < 1_000 && !ended; i++) ended = (await reader.read()).done;
    expect(ended).toBe(true);
    expect(leftovers(dataDir)).toEqual([]);
  });

  it("closes every database cleanly: no WAL, shared-memory or journal file is left", async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir);
    const api = client(server.url);
    const owner = await registerUser(api);
    const ids = [await createBusiness(api, owner.token, "One"), await createBusiness(api, owner.token, "Two")];
    for (const id of ids) expect((await api.patch(`/businesses/${id}`, { name: `${id} renamed` }, { token: owner.token })).status).toBe(200);
    // while it runs, the databases are in WAL mode with their logs open
    expect(existsSync(join(dataDir, "core.db-wal"))).toBe(true);
    for (const id of ids) expect(existsSync(join(dataDir, "businesses", `${id}.db-wal`))).toBe(true);

    expect(await stopWithin(server)).toBe(0);
    expect(leftovers(dataDir)).toEqual([]);
    for (const id of ids) expect(statSync(join(dataDir, "businesses", `${id}.db`)).size).toBeGreaterThan(0);

    // everything was checkpointed into the database files themselves
    const again = client((await start(dataDir)).url);
    const login = await again.post("/auth/login", { email: owner.email, password: owner.password });
    for (const id of ids) {
      const got = await again.get(`/businesses/${id}`, { token: login.body.accessToken });
      expect(got.body.name).toBe(`${id} renamed`);
    }
  });
});

describe("kill -9", () => {
  it("loses no acknowledged write", async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir);
    const api = client(server.url);
    const owner = await registerUser(api);
    const people = await Promise.all(Array.from({ length: 4 }, () => registerUser(api, "Member")));
    const id = await createBusiness(api, owner.token, "Crash test");

    const acked = { names: [] as string[], keys: [] as { id: string; key: string }[], members: [] as string[] };
    const unmatched: string[] = [];
    let failed = 0;
    const toAdd = [...people];
    const worker = async (w: number) => {
      for (let i = 0; i < 60; i++) {
        try {
          const person = i % 3 === 2 ? toAdd.shift() : undefined;
          if (person) {
            const res = await api.post(`/businesses/${id}/members`, { email: person.email, role: "viewer" }, { token: owner.token });
            if (res.status === 201) acked.members.push(person.userId);
            else unmatched.push(`member ${res.status}`);
          } else if (i % 3 === 0) {
            const name = `Crash test ${w}-${i}`;
            const res = await api.patch(`/businesses/${id}`, { name }, { token: owner.token });
            if (res.status === 200) acked.names.push(name);
            else unmatched.push(`rename ${res.status}`);
          } else {
            const res = await api.post(`/businesses/${id}/api-keys`, { name: `key ${w}-${i}`, role: "viewer" }, { token: owner.token });
            if (res.status === 201) acked.keys.push({ id: res.body.id, key: res.body.key });
            else unmatched.push(`api key ${res.status}`);
          }
        } catch {
          failed += 1; // the connection died with the server
          return;
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    const total = () => acked.names.length + acked.keys.length + acked.members.length;
    for (let i = 0; i < 400 && total() < 40; i++) await sleep(10);
    server.process.kill("SIGKILL");
    await Promise.all(workers);
    expect(await stopWithin(server, "SIGKILL")).toBeNull();
    expect(unmatched).toEqual([]);
    expect(failed).toBeGreaterThan(0); // writes were in flight when it died
    expect(acked.names.length).toBeGreaterThan(0);
    expect(acked.keys.length).toBeGreaterThan(0);

    const again = client((await start(dataDir)).url);
    const login = await again.post("/auth/login", { email: owner.email, password: owner.password });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;

    const keyIds = (await allPages<{ id: string }>(again, `/businesses/${id}/api-keys`, token)).map((k) => k.id);
    for (const key of acked.keys) expect(keyIds).toContain(key.id);
    const withKey = await again.get(`/businesses/${id}`, { token: acked.keys[0]!.key });
    expect(withKey.status).toBe(200);
    const memberIds = (await allPages<{ userId: string }>(again, `/businesses/${id}/members`, token)).map((m) => m.userId);
    for (const member of acked.members) expect(memberIds).toContain(member);

    const audit = await allPages<{ action: string; targetId: string; changes: any }>(again, `/businesses/${id}/audit`, token);
    const renamedTo = audit.filter((e) => e.action === "business.updated").map((e) => e.changes.name.to);
    for (const name of acked.names) expect(renamedTo).toContain(name);
    const keysCreated = audit.filter((e) => e.action === "api_key.created").map((e) => e.targetId);
    for (const key of acked.keys) expect(keysCreated).toContain(key.id);
    const current = await again.get(`/businesses/${id}`, { token });
    expect(renamedTo).toContain(current.body.name);

    const verify = await again.get(`/businesses/${id}/audit/verify`, { token });
    expect(verify.status).toBe(200);
    expect(verify.body.valid).toBe(true);
    // business.created and the owner's member.added, then one entry per acknowledged change
    expect(verify.body.entries).toBeGreaterThanOrEqual(2 + total());
  });
});

describe("secrets", () => {
  it("generates the signing key into DATA_DIR/secrets.json with mode 0600, and keeps it across restarts", async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir, { JWT_SECRET: "" });
    const file = join(dataDir, "secrets.json");
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readFileSync(file, "utf8");
    const user = await registerUser(client(first.url));
    expect(await stopWithin(first)).toBe(0);

    const second = await start(dataDir, { JWT_SECRET: "" });
    const api = client(second.url);
    expect(readFileSync(file, "utf8")).toBe(stored);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const me = await api.get("/me", { token: user.token });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(user.userId);
    expect((await api.post("/auth/refresh", { refreshToken: user.refreshToken })).status).toBe(200);
  });

  it("takes JWT_SECRET from the environment and then writes no secrets file", async () => {
    const dataDir = newDataDir();
    const secret = `env-secret-${"k".repeat(24)}-${Date.now()}`;
    const first = await start(dataDir, { JWT_SECRET: secret, LOG_LEVEL: "debug" });
    const user = await registerUser(client(first.url));
    expect(await stopWithin(first)).toBe(0);
    expect(existsSync(join(dataDir, "secrets.json"))).toBe(false);

    const second = await start(dataDir, { JWT_SECRET: secret, LOG_LEVEL: "debug" });
    expect((await client(second.url).get("/me", { token: user.token })).status).toBe(200);
    expect(existsSync(join(dataDir, "secrets.json"))).toBe(false);
    expect(first.logs.join("\n")).not.toContain(secret);
    expect(second.logs.join("\n")).not.toContain(secret);
  });

  it("logs request ids at debug level, and never passwords, tokens or the signing key", async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir, { LOG_LEVEL: "debug", JWT_SECRET: "" });
    const api = client(server.url);
    const email = `logged.${Date.now()}@example.com`;
    const password = "Tr0ub4dor &3 never in logs";
    const tag = `ops-${Date.now()}`;

    const reg = await api.post("/auth/register", { email, password, name: "Logged" }, { headers: { "X-Request-Id": `${tag}-register` } });
    expect(reg.status).toBe(201);
    const login = await api.post("/auth/login", { email, password }, { headers: { "X-Request-Id": `${tag}-login` } });
    expect(login.status).toBe(200);
    const refreshed = await api.post("/auth/refresh", { refreshToken: login.body.refreshToken }, { headers: { "X-Request-Id": `${tag}-refresh` } });
    expect(refreshed.status).toBe(200);
    const me = await api.get("/me", { token: refreshed.body.accessToken });
    expect(me.status).toBe(200);
    const generatedId = me.headers.get("x-request-id")!;

    for (const id of [`${tag}-register`, `${tag}-login`, `${tag}-refresh`, generatedId]) expect(await logsContain(server, id)).toBe(true);
    const logs = server.logs.join("\n");
    const { jwtKey } = JSON.parse(readFileSync(join(dataDir, "secrets.json"), "utf8")) as { jwtKey: string };
    const secrets = {
      password,
      jwtKey,
      registerAccess: reg.body.accessToken,
      registerRefresh: reg.body.refreshToken,
      loginAccess: login.body.accessToken,
      loginRefresh: login.body.refreshToken,
      refreshedAccess: refreshed.body.accessToken,
      refreshedRefresh: refreshed.body.refreshToken,
    };
    for (const [what, value] of Object.entries(secrets)) {
      expect(typeof value, what).toBe("string");
      expect(logs.includes(value as string), `${what} appears in the logs`).toBe(false);
    }
    // the debug log has a line per request, tying the id to the route and status
    const lines = server.logs.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    expect(lines.find((entry) => entry.requestId === `${tag}-login`)).toMatchObject({ status: 200, method: "POST" });
  });
});

describe("the pool of business databases", () => {
  it("serves many businesses through BUSINESS_POOL_SIZE=2 open handles", async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir, { BUSINESS_POOL_SIZE: "2" });
    const api = client(server.url);
    const owner = await registerUser(api);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createBusiness(api, owner.token, `Pooled ${i}`));
    expect(await metric(api, "coreflow_business_handles_open")).toBeLessThanOrEqual(2);
    const initialEntries: number[] = [];
    for (const id of ids) initialEntries.push((await api.get(`/businesses/${id}/audit/verify`, { token: owner.token })).body.entries);

    for (let round = 0; round < 3; round++) {
      // one at a time, alternating across all five
      for (const [i, id] of ids.entries()) {
        const renamed = await api.patch(`/businesses/${id}`, { name: `Pooled ${i} r${round}` }, { token: owner.token });
        expect(renamed.status).toBe(200);
        const audit = await api.get(`/businesses/${id}/audit/verify`, { token: owner.token });
        // each round adds a rename and an API key to every business, read back from a database reopened in between
        expect(audit.body).toEqual({ valid: true, entries: initialEntries[i]! + 1 + round * 2 });
      }
      expect(await metric(api, "coreflow_business_handles_open")).toBeLessThanOrEqual(2);

      // all five at once
      const created = await Promise.all(ids.map((id) => api.post(`/businesses/${id}/api-keys`, { name: `r${round}`, role: "viewer" }, { token: owner.token })));
      expect(created.map((res) => res.status)).toEqual(ids.map(() => 201));
      expect(await metric(api, "coreflow_business_handles_open")).toBeLessThanOrEqual(2);
    }

    for (const [i, id] of ids.entries()) {
      const got = await api.get(`/businesses/${id}`, { token: owner.token });
      expect(got.body.name).toBe(`Pooled ${i} r2`);
      expect((await api.get(`/businesses/${id}/api-keys`, { token: owner.token })).body.data).toHaveLength(3);
    }
    expect(await metric(api, "coreflow_business_handles_open")).toBeLessThanOrEqual(2);
  });

  it("shrinks back to its bound after slow requests held more databases open at once", async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir, { BUSINESS_POOL_SIZE: "2" });
    const api = client(server.url);
    const owner = await registerUser(api);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createBusiness(api, owner.token, `Slow ${i}`));
    const agent = new Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());

    // five writes whose bodies are still on their way: each has been admitted to its business already
    const slow = ids.map((id) => postJson(server.url, `/api/v1/businesses/${id}/api-keys`, { name: "slow", role: "viewer" }, { agent, token: owner.token, holdBack: 5 }));
    await Promise.all(slow.map((call) => call.sent));
    for (let i = 0; i < 100 && (await metric(api, "coreflow_business_handles_open")) < ids.length; i++) await sleep(20);
    for (const call of slow) call.finish();
    const results = await Promise.all(slow.map((call) => call.response));
    expect(results.map((res) => res.status)).toEqual(ids.map(() => 201));

    expect(await metric(api, "coreflow_business_handles_open")).toBeLessThanOrEqual(2);
    for (const id of ids) expect((await api.get(`/businesses/${id}/api-keys`, { token: owner.token })).body.data).toHaveLength(1);
  });
});

describe("operations endpoints", () => {
  it("guards /metrics with METRICS_TOKEN when set; /health never asks for credentials", async () => {
    const dataDir = newDataDir();
    const token = `metrics-${Date.now()}`;
    const server = await start(dataDir, { METRICS_TOKEN: token });
    const api = client(server.url);

    const anonymous = await api.get("/metrics");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toContain("application/problem+json");
    expect(anonymous.body).toMatchObject({ status: 401 });
    expect(anonymous.text).not.toContain("coreflow_");
    const wrong = await api.get("/metrics", { token: `${token}x` });
    expect(wrong.status).toBe(401);
    const raw = await api.get("/metrics", { headers: { Authorization: token } });
    expect(raw.status).toBe(401);

    const allowed = await api.get("/metrics", { token });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("content-type")).toContain("text/plain");
    expect(allowed.text).toContain("# TYPE coreflow_business_handles_open gauge");

    const variants: Record<string, string>[] = [{}, { Authorization: "Bearer nonsense" }, { Authorization: `Bearer ${token}` }];
    for (const headers of variants) {
      const health = await api.get("/health", { headers });
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: "ok" });
    }
  });

  it("counts a body the client cut off as its request's fault, not a server error", async () => {
    const server = await start(newDataDir(), { METRICS_TOKEN: "" });
    const api = client(server.url);
    const { token } = await registerUser(api);
    const { hostname, port } = new URL(server.url);
    for (const framing of ["Content-Length: 100\r\n", "Transfer-Encoding: chunked\r\n"]) {
      const socket = connect(Number(port), hostname);
      await new Promise((done) => socket.once("connect", done));
      const body = framing.startsWith("Content") ? '{"na' : '5\r\n{"nam\r\n';
      socket.write(`POST /api/v1/businesses HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n${framing}\r\n${body}`);
      await new Promise((done) => setTimeout(done, 100));
      socket.destroy();
    }
    await new Promise((done) => setTimeout(done, 200));
    const metrics = (await api.get("/metrics")).text;
    const refused = [...metrics.matchAll(/^coreflow_http_requests_total\{[^}]*method="POST",status="400"\} (\d+)$/gm)];
    expect(refused.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(2);
    expect(metrics).not.toMatch(/coreflow_http_requests_total\{[^}]*status="5\d\d"/);
    expect(server.logs.join("\n")).not.toContain("unhandled error");
    expect((await api.get("/businesses", { token })).body.data).toEqual([]);
  });

  it("serves /metrics without credentials when METRICS_TOKEN is unset", async () => {
    const server = await start(newDataDir(), { METRICS_TOKEN: "" });
    const api = client(server.url);
    expect(await metric(api, "coreflow_business_handles_open")).toBe(0);
    // a business write commits through the group commit, which counts each commit's size
    const { token } = await registerUser(api);
    const businessId = await createBusiness(api, token, "Metered");
    const before = await metric(api, "coreflow_db_commit_batch_writes_count");
    expect((await api.post(`/businesses/${businessId}/companies`, { name: "A company" }, { token })).status).toBe(201);
    expect(await metric(api, "coreflow_db_commit_batch_writes_count")).toBeGreaterThan(before);
  });
});

describe("environment defaults", () => {
  it("listens on PORT, defaults HOST to 127.0.0.1, DATA_DIR to ./data and LOG_LEVEL to info", async () => {
    const port = await freePort();
    const cwd = newDataDir();
    const server = spawnServer({ PORT: String(port), HOST: "", DATA_DIR: "", LOG_LEVEL: "" }, cwd);
    let listening: { url?: string; dataDir?: string } | undefined;
    for (let i = 0; i < 500 && !listening && server.child.exitCode === null; i++) {
      await sleep(20);
      const line = server
        .output()
        .split("\n")
        .find((l) => l.includes('"msg":"listening"'));
      if (line) listening = JSON.parse(line);
    }
    expect(listening, server.output()).toBeDefined();
    expect(listening!.url).toBe(`http://127.0.0.1:${port}`);
    expect(listening!.dataDir).toBe("./data");

    const api = client(`http://127.0.0.1:${port}`);
    expect((await api.get("/health")).status).toBe(200);
    await registerUser(api);
    expect(existsSync(join(cwd, "data", "core.db"))).toBe(true);
    expect(existsSync(join(cwd, "data", "secrets.json"))).toBe(true);

    server.child.kill("SIGTERM");
    expect(await server.exit(EXIT_LIMIT_MS)).toBe(0);
    const levels = server
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => (JSON.parse(l) as { level: number }).level);
    expect(levels.length).toBeGreaterThan(0);
    expect(Math.min(...levels)).toBeGreaterThanOrEqual(30); // info: no per-request debug lines
  });
});
