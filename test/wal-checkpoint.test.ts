import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { allPages, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

// WAL checkpoints run on their own thread (src/runtime/node/checkpointer.ts), with SQLite's own checkpoint
// left at four times the threshold as a safety net.
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop("SIGKILL");
    removeDataDir(s.dataDir);
  }
});

const MB = 1024 * 1024;
const company = (round: number, i: number) => ({
  name: `Checkpoint ${round}-${i} ${"n".repeat(120)}`,
  address: { street: "s".repeat(200), city: "Porto", region: "r".repeat(80), postalCode: "4000-001", country: "PT" },
});

async function checkpoints(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^coreflow_db_wal_checkpoints_total (\d+)$/m.exec(text)?.[1] ?? 0);
}

describe("WAL checkpoints on the checkpoint thread", () => {
  it("keep a busy business's WAL near its threshold, copy it into the database file and lose nothing on kill -9", async () => {
    const server = await startServer({ env: { WAL_CHECKPOINT_MB: "1", RATE_LIMIT_PER_SECOND: "0" } });
    servers.push(server);
    const api = client(server.url);
    const { token } = await registerUser(api);
    const businessId = await createBusiness(api, token);
    const base = `/businesses/${businessId}`;
    const file = join(server.dataDir, "businesses", `${businessId}.db`);
    // a commit's WAL frames go out in one system call (src/runtime/node/wal-batch.c): this runs through it
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^coreflow_sqlite_wal_batched 1$/m);

    const created = new Set<string>();
    let largestWal = 0;
    for (let round = 0; statSync(file).size < 12 * MB; round++) {
      expect(round).toBeLessThan(200);
      const res = await api.post(`${base}/companies/bulk`, { items: Array.from({ length: 100 }, (_, i) => company(round, i)) }, { token });
      expect(res.status).toBe(201);
      for (const c of res.body.data as Array<{ id: string }>) created.add(c.id);
      largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
    }
    // 12 MB reached the database file through the thread's checkpoints (each bulk create writes about
    // 1 MB of WAL; the WAL starts over at the first write after a checkpoint has caught up, and its file
    // is cut back only past four times the threshold)
    expect(await checkpoints(server.url)).toBeGreaterThanOrEqual(3);
    expect(largestWal).toBeLessThan(6 * MB);

    await server.stop("SIGKILL");
    const again = await startServer({ dataDir: server.dataDir, env: { RATE_LIMIT_PER_SECOND: "0" } });
    servers.push(again);
    const kept = await allPages<{ id: string }>(client(again.url), `${base}/companies`, token);
    expect(new Set(kept.map((c) => c.id))).toEqual(created);
  });
});

describe("SQLITE_WAL_BATCH", () => {
  it("off: the server writes its WAL as SQLite does and says so; anything but on or off refuses to start", async () => {
    const server = await startServer({ env: { SQLITE_WAL_BATCH: "off", RATE_LIMIT_PER_SECOND: "0" } });
    servers.push(server);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^coreflow_sqlite_wal_batched 0$/m);
    // and it keeps what it acknowledged across a kill -9 all the same
    const api = client(server.url);
    const { token } = await registerUser(api);
    const businessId = await createBusiness(api, token);
    const res = await api.post(`/businesses/${businessId}/companies`, { name: "Unbatched Ltd" }, { token });
    expect(res.status).toBe(201);
    await server.stop("SIGKILL");
    const again = await startServer({ dataDir: server.dataDir, env: { RATE_LIMIT_PER_SECOND: "0" } });
    servers.push(again);
    expect(await (await fetch(`${again.url}/metrics`)).text()).toMatch(/^coreflow_sqlite_wal_batched 1$/m);
    const kept = await allPages<{ id: string }>(client(again.url), `/businesses/${businessId}/companies`, token);
    expect(kept.map((c) => c.id)).toEqual([res.body.id]);

    const refusedDir = mkdtempSync(join(tmpdir(), "coreflow-test-"));
    await expect(startServer({ dataDir: refusedDir, env: { SQLITE_WAL_BATCH: "yes" } })).rejects.toThrow(/SQLITE_WAL_BATCH must be on or off/);
    removeDataDir(refusedDir);
  });
});
