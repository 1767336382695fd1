import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NodeSqlConnection } from "./sqlite.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A connection on a fresh file with one table, and what the table holds. */
function connection() {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-transaction-"));
  dirs.push(dir);
  const c = new NodeSqlConnection(join(dir, "t.db"), "NORMAL");
  c.exec("CREATE TABLE t (n INTEGER NOT NULL CHECK (n < 100))");
  const insert = (n: number) => c.statement("INSERT INTO t (n) VALUES (?)").run(n);
  const rows = () => (c.statement("SELECT n FROM t ORDER BY rowid").all() as Array<{ n: number }>).map((r) => r.n);
  return { c, insert, rows };
}

describe("a connection's transaction", () => {
  it("commits what its work wrote and answers what the work returned", () => {
    const { c, insert, rows } = connection();
    const answer = c.transaction(() => {
      insert(1);
      insert(2);
      return "done";
    });
    expect(answer).toBe("done");
    expect(c.inTransaction).toBe(false);
    expect(rows()).toEqual([1, 2]);
    expect(c.rollbacks).toBe(0);
    c.close();
  });

  it("rolls everything back when the work throws — a failed statement included — and counts the rollback", () => {
    const { c, insert, rows } = connection();
    insert(1);
    expect(() =>
      c.transaction(() => {
        insert(2);
        insert(100);
      }),
    ).toThrow(/CHECK/);
    expect(() =>
      c.transaction(() => {
        insert(3);
        throw new Error("refused");
      }),
    ).toThrow("refused");
    expect(c.inTransaction).toBe(false);
    expect(rows()).toEqual([1]);
    expect(c.rollbacks).toBe(2);
    // the connection is usable afterwards
    c.transaction(() => insert(4));
    expect(rows()).toEqual([1, 4]);
    c.close();
  });

  it("refuses asynchronous work, whose writes would land after the COMMIT, and keeps nothing of it", () => {
    const { c, insert, rows } = connection();
    expect(() => c.transaction(async () => insert(5))).toThrow(/asynchronous/);
    expect(c.inTransaction).toBe(false);
    expect(rows()).toEqual([]);
    c.close();
  });

  it("runs a transaction inside another as part of it: one commit, one rollback", () => {
    const { c, insert, rows } = connection();
    expect(() =>
      c.transaction(() => {
        insert(1);
        c.transaction(() => insert(2));
        throw new Error("outer fails");
      }),
    ).toThrow("outer fails");
    expect(rows()).toEqual([]);
    c.transaction(() => {
      insert(1);
      c.transaction(() => insert(2));
    });
    expect(rows()).toEqual([1, 2]);
    c.close();
  });

  it("writes what was put off before it commits, inside the transaction", () => {
    const { c, insert, rows } = connection();
    c.transaction(() => {
      insert(1);
      c.deferWrites(() => insert(9));
    });
    expect(rows()).toEqual([1, 9]);
    c.close();
  });
});
