import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { client } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

const SEED = resolve("dist/seed.js");
const FOUNDER_EMAIL = "founder@demo.coreflow360.test";

interface SeedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/seed.js` with only the given seed-related settings (none inherited from the outside). */
function runSeed(env: Record<string, string>, args: string[] = ["--json"]): Promise<SeedRun> {
  const base = { ...process.env };
  for (const name of ["SEED_URL", "SEED_PASSWORD", "PORT", "HOST", "DATA_DIR", "LOG_LEVEL"]) delete base[name];
  const child = spawn(process.execPath, [SEED, ...args], { env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`the seed did not finish in 40 s\n${stdout}\n${stderr}`));
    }, 40_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on (so the seed finds no server there and starts its own). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ready) => probe.listen(0, "127.0.0.1", ready));
  const address = probe.address();
  await new Promise<void>((closed) => probe.close(() => closed()));
  if (!address || typeof address !== "object") throw new Error("no port");
  return address.port;
}

function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), "coreflow-seed-"));
}

async function login(url: string, email: string, password: string): Promise<string> {
  const res = await client(url).post("/auth/login", { email, password });
  expect(res.status, `${email}: ${res.text}`).toBe(200);
  return res.body.accessToken as string;
}

const servers: RunningServer[] = [];
const dataDirs: string[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
  for (const dir of dataDirs.splice(0)) removeDataDir(dir);
});

function track(server: RunningServer): RunningServer {
  servers.push(server);
  return server;
}

describe("npm run seed", () => {
  it("starts its own server when none runs, creates the demo data through the API, and re-runs without duplicates", async () => {
    const dataDir = freshDataDir();
    dataDirs.push(dataDir);
    const port = await freePort();
    const env = { DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: String(port) };

    const first = await runSeed(env);
    expect(first.code, first.stderr).toBe(0);
    const seeded = JSON.parse(first.stdout);
    expect(seeded).toMatchObject({
      seeded: true,
      url: `http://127.0.0.1:${port}`,
      docsUrl: `http://127.0.0.1:${port}/api/docs`,
      startedServer: true,
      dataDir,
      founder: { email: FOUNDER_EMAIL, name: "Demo Founder" },
    });
    expect(seeded.founder.password.length).toBeGreaterThanOrEqual(10);
    expect(seeded.businesses.map((b: any) => [b.name, b.baseCurrency])).toEqual([
      ["Northwind Coffee Roasters", "USD"],
      ["Lumen Design Studio", "EUR"],
      ["Kaiju Games", "JPY"],
    ]);
    expect(seeded.apiKeys).toHaveLength(1);
    expect(seeded.apiKeys[0]).toMatchObject({ role: "viewer", businessId: seeded.businesses[0].id });
    expect(seeded.apiKeys[0].key).toMatch(/^cf_/);

    // The seed stopped its server: a new one takes the same DATA_DIR (a second process would be refused).
    const server = track(await startServer({ dataDir }));
    const api = client(server.url);

    const founderToken = await login(server.url, FOUNDER_EMAIL, seeded.founder.password);
    const me = await api.get("/me", { token: founderToken });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: seeded.founder.id, email: FOUNDER_EMAIL, name: "Demo Founder" });
    expect(me.body.memberships).toHaveLength(3);
    expect(new Set(me.body.memberships.map((m: any) => m.businessId))).toEqual(new Set(seeded.businesses.map((b: any) => b.id)));
    for (const m of me.body.memberships) expect(m.role).toBe("owner");
    for (const b of seeded.businesses) {
      const got = await api.get(`/businesses/${b.id}`, { token: founderToken });
      expect(got.body).toMatchObject({ id: b.id, name: b.name, baseCurrency: b.baseCurrency, role: "owner" });
      // written through the API: each change has its audit entry, and the chain is intact
      const audit = await api.get(`/businesses/${b.id}/audit/verify`, { token: founderToken });
      expect(audit.body.valid).toBe(true);
      expect(audit.body.entries).toBeGreaterThanOrEqual(2);
    }

    // Teammates sign in with their printed passwords and hold exactly the printed roles.
    expect(seeded.teammates.length).toBeGreaterThanOrEqual(2);
    const rolesSeen = new Set<string>();
    for (const mate of seeded.teammates) {
      const token = await login(server.url, mate.email, mate.password);
      const mine = await api.get("/me", { token });
      const expected = mate.roles.map((r: any) => ({ businessId: r.businessId, role: r.role }));
      expect(mine.body.memberships.map((m: any) => ({ businessId: m.businessId, role: m.role }))).toEqual(expect.arrayContaining(expected));
      expect(mine.body.memberships).toHaveLength(expected.length);
      for (const r of mate.roles) {
        rolesSeen.add(r.role);
        const member = await api.get(`/businesses/${r.businessId}/members/${mate.id}`, { token: founderToken });
        expect(member.body).toMatchObject({ email: mate.email, role: r.role });
      }
    }
    expect(rolesSeen).toEqual(new Set(["accountant", "sales"]));

    // The API key reads its own business, may not write, and sees no other.
    const key = seeded.apiKeys[0].key;
    const own = await api.get(`/businesses/${seeded.businesses[0].id}`, { token: key });
    expect(own.status).toBe(200);
    expect(own.body.role).toBe("viewer");
    expect((await api.get(`/businesses/${seeded.businesses[1].id}`, { token: key })).status).toBe(404);
    expect((await api.patch(`/businesses/${seeded.businesses[0].id}`, { name: "Renamed" }, { token: key })).status).toBe(403);
    await server.stop();

    // A second run on the same DATA_DIR finds the founder, says so, and creates nothing.
    const second = await runSeed(env);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ seeded: false, founder: { email: FOUNDER_EMAIL } });
    expect(JSON.parse(second.stdout).message).toMatch(/already exists/);

    const again = track(await startServer({ dataDir }));
    const token = await login(again.url, FOUNDER_EMAIL, seeded.founder.password);
    const after = await client(again.url).get("/businesses", { token });
    expect(after.body.data.map((b: any) => b.id).sort()).toEqual(seeded.businesses.map((b: any) => b.id).sort());
  });

  it("seeds through an already running server (SEED_URL), with SEED_PASSWORD, and prints a readable summary", async () => {
    const server = track(await startServer());
    dataDirs.push(server.dataDir);
    const password = "demo password for the seed test";

    const run = await runSeed({ SEED_URL: server.url, SEED_PASSWORD: password }, []);
    expect(run.code, run.stderr).toBe(0);
    for (const text of [
      server.url,
      `${server.url}/api/docs`,
      FOUNDER_EMAIL,
      password,
      "Northwind Coffee Roasters",
      "Lumen Design Studio",
      "Kaiju Games",
      "accountant",
      "sales",
      "curl",
    ]) {
      expect(run.stdout).toContain(text);
    }
    const printedKey = run.stdout.match(/cf_[0-9a-z_]+/)?.[0];
    expect(printedKey).toBeTruthy();

    const api = client(server.url);
    const token = await login(server.url, FOUNDER_EMAIL, password);
    const me = await api.get("/me", { token });
    expect(me.body.memberships.map((m: any) => [m.name, m.role]).sort()).toEqual([
      ["Kaiju Games", "owner"],
      ["Lumen Design Studio", "owner"],
      ["Northwind Coffee Roasters", "owner"],
    ]);
    const northwind = me.body.memberships.find((m: any) => m.name === "Northwind Coffee Roasters").businessId;
    const viaKey = await api.get(`/businesses/${northwind}`, { token: printedKey });
    expect(viaKey.status).toBe(200);
    expect(viaKey.body.name).toBe("Northwind Coffee Roasters");

    // Again through the same server: reported, nothing duplicated, the founder's password unchanged.
    const rerun = await runSeed({ SEED_URL: server.url, SEED_PASSWORD: "a different password entirely" });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ seeded: false, startedServer: false, url: server.url });
    const list = await api.get("/businesses", { token: await login(server.url, FOUNDER_EMAIL, password) });
    expect(list.body.data).toHaveLength(3);
  });

  it("fails with a clear message and exit 1 when SEED_URL has no server, or SEED_PASSWORD is too short", async () => {
    const port = await freePort();
    const unreachable = await runSeed({ SEED_URL: `http://127.0.0.1:${port}` });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toBe("");
    expect(unreachable.stderr).toContain(`no CoreFlow360 server answers GET http://127.0.0.1:${port}/health`);

    const short = await runSeed({ SEED_URL: `http://127.0.0.1:${port}`, SEED_PASSWORD: "short" });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("SEED_PASSWORD must be 10–256 characters");
  });

  it("reports the server's own reason when it cannot start, and exits 1", async () => {
    // A server already holds this DATA_DIR but is not at the address the seed looks at.
    const holder = track(await startServer());
    dataDirs.push(holder.dataDir);
    const port = await freePort();
    const run = await runSeed({ DATA_DIR: holder.dataDir, HOST: "127.0.0.1", PORT: String(port) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("already using the data directory");
    // nothing was written: the running server still has no demo founder
    const res = await client(holder.url).post("/auth/login", { email: FOUNDER_EMAIL, password: "whatever password" });
    expect(res.status).toBe(401);
  });
});
