import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { useWalBatching } from "./wal-batch.js";

// The WAL-batching VFS (wal-batch.c) as built by `npm test`'s build into dist/. Each scenario runs in a
// child process, since the VFS, once loaded, is the default of every connection in its process.
const library = join(process.cwd(), "dist", "wal-batch.so");
const dir = mkdtempSync(join(tmpdir(), "coreflow-wal-batch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A script run by node in a child: `LIBRARY` (or none), `FILE`, `SIZE` (page size) and `SYNC` from the environment. */
const prelude = `
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
if (process.env.LIBRARY) { const loader = new Database(":memory:"); loader.loadExtension(process.env.LIBRARY); loader.close(); }
const db = new Database(process.env.FILE);
db.pragma("page_size = " + (process.env.SIZE ?? 4096));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = " + (process.env.SYNC ?? "NORMAL"));
db.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
const insert = db.prepare("INSERT INTO rows (body) VALUES (?)");
const commit = db.transaction((count) => { for (let i = 0; i < count; i++) insert.run("r".repeat(300) + i); });
/** Write system calls this process has made (pwrite included), from /proc/self/io. */
const writes = () => Number(/^syscw: (\\d+)$/m.exec(readFileSync("/proc/self/io", "utf8"))[1]);
`;

function runScript(body: string, env: Record<string, string>, shell = ""): { stdout: string; stderr: string; status: number | null } {
  const command = shell ? "bash" : process.execPath;
  const args = shell ? ["-c", `${shell} exec "${process.execPath}" --input-type=module -e "$SCRIPT"`] : ["--input-type=module", "-e", prelude + body];
  const result = spawnSync(command, args, { cwd: process.cwd(), env: { ...process.env, ...env, SCRIPT: prelude + body }, encoding: "utf8" });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

const count = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return { rows: (db.prepare("SELECT count(*) AS n FROM rows").get() as { n: number }).n, integrity: db.pragma("integrity_check", { simple: true }) };
  } finally {
    db.close();
  }
};

describe("WAL batching (wal-batch.c)", () => {
  it("loads, or says why not", () => {
    expect(useWalBatching(join(dir, "missing.so"))).toMatch(/was not built/);
    expect(useWalBatching(library)).toBeUndefined();
  });

  it("writes a commit's frames in one or two system calls where SQLite makes two per page", () => {
    const script = `
      commit(10);
      const before = writes();
      commit(400); // ~120 KB of rows: ~35 pages
      const made = writes() - before;
      const frames = db.pragma("wal_checkpoint(PASSIVE)")[0].log;
      console.log(JSON.stringify({ made, frames }));`;
    const plain = JSON.parse(runScript(script, { FILE: join(dir, "plain.db") }).stdout);
    const batched = JSON.parse(runScript(script, { FILE: join(dir, "batched.db"), LIBRARY: library }).stdout);
    expect(plain.frames).toBeGreaterThan(30);
    expect(plain.made).toBeGreaterThanOrEqual(60);
    expect(batched.made).toBeLessThanOrEqual(2);
    expect(count(join(dir, "batched.db"))).toEqual({ rows: 410, integrity: "ok" });
  });

  it("has each commit on the file before it returns: another connection reads it at once, at every page size and with synchronous=FULL", () => {
    for (const [size, sync] of [[1024, "NORMAL"], [4096, "NORMAL"], [65536, "NORMAL"], [4096, "FULL"]] as const) {
      const file = join(dir, `readers-${size}-${sync}.db`);
      const { stdout, stderr } = runScript(
        `
        const reader = new Database(process.env.FILE, { readonly: true });
        const seen = reader.prepare("SELECT count(*) AS n FROM rows");
        const found = [];
        for (let round = 1; round <= 30; round++) {
          commit(round * 7); // from one page to ~20 pages of 4 KB
          found.push(seen.get().n);
        }
        commit(5000); // ~1.6 MB: more than the 1 MiB gathered at once
        found.push(seen.get().n);
        try { db.transaction(() => { commit(50); throw new Error("rolled back"); })(); } catch {}
        commit(1);
        console.log(JSON.stringify({ found, after: seen.get().n }));`,
        { FILE: file, SIZE: String(size), SYNC: sync, LIBRARY: library },
      );
      expect(stderr).toBe("");
      const { found, after } = JSON.parse(stdout);
      expect(found).toEqual([...Array.from({ length: 30 }, (_, i) => (7 * (i + 1) * (i + 2)) / 2), 3255 + 5000]);
      expect(after).toBe(found[30] + 1);
      expect(count(file)).toEqual({ rows: after, integrity: "ok" });
    }
  });

  it("loses no acknowledged commit to a kill -9", async () => {
    const file = join(dir, "killed.db");
    const child = spawn(process.execPath, ["--input-type=module", "-e", `${prelude}
      for (let i = 1; ; i++) { commit(1 + (i % 40)); console.log(db.prepare("SELECT count(*) AS n FROM rows").get().n); }`], {
      cwd: process.cwd(),
      env: { ...process.env, FILE: file, LIBRARY: library },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let acknowledged = 0;
    for await (const line of createInterface({ input: child.stdout! })) {
      acknowledged = Number(line);
      if (acknowledged >= 20_000) break;
    }
    child.kill("SIGKILL");
    await new Promise((done) => child.once("exit", done));
    const kept = count(file);
    expect(kept.integrity).toBe("ok");
    expect(kept.rows).toBeGreaterThanOrEqual(acknowledged);
  });

  it("reports a write the file refuses as the commit's failure and keeps the database consistent", () => {
    const file = join(dir, "refused.db");
    // a 1 MB file size limit: the WAL's write past it fails (EFBIG; SIGXFSZ ignored so the process lives on)
    const { stdout } = runScript(
      `
      let committed = 0, error;
      try { for (let i = 0; i < 1000; i++) { commit(20); committed += 20; } } catch (e) { error = e.code; }
      console.log(JSON.stringify({ committed, error, rows: db.prepare("SELECT count(*) AS n FROM rows").get().n }));`,
      { FILE: file, LIBRARY: library },
      "trap '' XFSZ; ulimit -f 1024;",
    );
    const outcome = JSON.parse(stdout);
    expect(outcome.error).toBe("SQLITE_IOERR_WRITE");
    expect(outcome.committed).toBeGreaterThan(0);
    expect(outcome.rows).toBe(outcome.committed);
    expect(count(file)).toEqual({ rows: outcome.committed, integrity: "ok" });
  });
});
