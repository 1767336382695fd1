// The servers of TOOLCHAIN.md's reference table, one per process, each printing {"port": N} once
// listening on 127.0.0.1 (started by scripts/bench-reference.mjs):
//   node scripts/reference-server.mjs hono          Hono on @hono/node-server answering "hello"
//   node scripts/reference-server.mjs hono-sqlite   Hono + better-sqlite3: GET /rows/:id, a primary-key
//                                                   SELECT in a table of 100,000 rows, the row as JSON
// (the bare node:http "hello" of the table is scripts/hello-server.mjs).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import Database from "better-sqlite3";
import { Hono } from "hono";

const kind = process.argv[2];
const app = new Hono();
let cleanUp = () => {};
if (kind === "hono") {
  app.get("/", (c) => c.text("hello"));
} else if (kind === "hono-sqlite") {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-reference-"));
  const db = new Database(join(dir, "rows.db"));
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount INTEGER NOT NULL)");
  const insert = db.prepare("INSERT INTO rows (id, name, amount) VALUES (?, ?, ?)");
  db.transaction(() => {
    for (let id = 1; id <= 100_000; id++) insert.run(id, `row ${id}`, id * 7);
  })();
  const byId = db.prepare("SELECT id, name, amount FROM rows WHERE id = ?");
  app.get("/rows/:id", (c) => {
    const row = byId.get(Number(c.req.param("id")));
    return row ? c.json(row) : c.notFound();
  });
  cleanUp = () => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  };
} else {
  throw new Error("usage: node scripts/reference-server.mjs hono|hono-sqlite");
}
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => console.log(JSON.stringify({ port: info.port })));
process.once("SIGTERM", () => {
  server.close();
  cleanUp();
  process.exit(0);
});
