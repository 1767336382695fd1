import Database from "better-sqlite3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NodeStatement } from "./statement.js";

function database() {
  const db = new Database(":memory:");
  db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount INTEGER, rate REAL, blob BLOB, "odd ""name"" x" TEXT)`);
  return db;
}

describe("rows built from a statement's columns", () => {
  it("equal better-sqlite3's own rows, key order included, for any values", () => {
    const db = database();
    const insert = db.prepare(`INSERT INTO t (name, amount, rate, blob, "odd ""name"" x") VALUES (?, ?, ?, ?, ?)`);
    fc.assert(
      fc.property(
        fc.option(fc.string(), { nil: null }),
        fc.option(fc.integer(), { nil: null }),
        fc.option(fc.double({ noNaN: true }), { nil: null }),
        fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }),
        (name, amount, rate, blob) => {
          insert.run(name, amount, rate, blob === null ? null : Buffer.from(blob), name);
        },
      ),
      { numRuns: 200 },
    );
    for (const sql of [
      "SELECT * FROM t ORDER BY id",
      "SELECT id, amount FROM t ORDER BY id",
      "SELECT a.id, b.id FROM t a JOIN t b ON b.id = a.id + 1 ORDER BY a.id",
      "SELECT count(*) AS n, sum(amount) FROM t",
      "SELECT * FROM t WHERE id < 0",
    ]) {
      const ours = new NodeStatement(db.prepare(sql));
      const theirs = db.prepare(sql);
      const all = ours.all();
      expect(all).toEqual(theirs.all());
      expect(all.map((row) => Object.keys(row as object))).toEqual(theirs.all().map((row) => Object.keys(row as object)));
      expect(ours.get()).toEqual(theirs.get());
    }
  });

  it("come back from INSERT … RETURNING, which also counts as writing", () => {
    const db = database();
    const returning = new NodeStatement(db.prepare("INSERT INTO t (name) VALUES (?) RETURNING id, name"));
    expect(returning.readonly).toBe(false);
    expect(returning.get("a")).toEqual({ id: 1, name: "a" });
    expect(new NodeStatement(db.prepare("SELECT 1")).readonly).toBe(true);
    expect(new NodeStatement(db.prepare("INSERT INTO t (name) VALUES (?)")).run("b")).toMatchObject({ changes: 1 });
  });

  it("tell the rowid of the row a run inserted, as a number", () => {
    const db = database();
    const insert = new NodeStatement(db.prepare("INSERT INTO t (name) VALUES (?)"));
    expect(insert.run("a")).toEqual({ changes: 1, lastInsertRowid: 1 });
    db.prepare("INSERT INTO t (id, name) VALUES (41, 'x')").run();
    expect(insert.run("b")).toEqual({ changes: 1, lastInsertRowid: 42 });
    expect(db.prepare("SELECT id FROM t WHERE name = 'b'").get()).toEqual({ id: 42 });
  });

  it("refuses to read rows from a statement that returns none, and a column named __proto__", () => {
    const db = database();
    const insert = new NodeStatement(db.prepare("INSERT INTO t (name) VALUES (?)"));
    expect(() => insert.get("x")).toThrow(/does not return data/);
    expect(() => insert.all("x")).toThrow(/does not return data/);
    expect(db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 0 });
    expect(() => new NodeStatement(db.prepare('SELECT 1 AS "__proto__"'))).toThrow(/__proto__/);
  });
});
