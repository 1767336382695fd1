import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NodeSqlConnection } from "../runtime/node/sqlite.js";
import { GroupCommit } from "./group-commit.js";
import { Db, DbMeter } from "./sql.js";

const dirs: string[] = [];
const connections: NodeSqlConnection[] = [];
afterEach(() => {
  for (const c of connections.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(): NodeSqlConnection {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-group-commit-"));
  dirs.push(dir);
  const connection = new NodeSqlConnection(join(dir, "b.db"), "NORMAL");
  connections.push(connection);
  connection.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL, filler BLOB) STRICT");
  return connection;
}

/** Flushes only when the test says so, like a turn of the event loop ending. */
function manualTurn() {
  let pending: (() => void) | undefined;
  const batches: number[] = [];
  const commits = new GroupCommit(
    (flush) => {
      pending = flush;
    },
    (size) => batches.push(size),
  );
  return {
    commits,
    batches,
    endTurn() {
      const flush = pending;
      pending = undefined;
      flush?.();
    },
  };
}

/** Work writes through a Db, as business code does (its writes move the connection's generation). */
const writer = (connection: NodeSqlConnection) => new Db(connection, new DbMeter());

const labels = (connection: NodeSqlConnection) =>
  (connection.statement("SELECT label FROM items ORDER BY id").all() as Array<{ label: string }>).map((r) => r.label);

describe("group commit", () => {
  it("commits the writes of one turn together; one that throws is rolled back alone", async () => {
    const connection = open();
    const turn = manualTurn();
    // the work writes through a Db of its own, so whatever time a request's meter shows is its share of the batch
    const insert = (label: string) => writer(connection).run("INSERT INTO items (label) VALUES (?)", label);
    const meters = [new DbMeter(), new DbMeter(), new DbMeter()];
    const first = turn.commits.run(new Db(connection, meters[0]!), () => insert("a").changes);
    const failing = turn.commits.run(new Db(connection, meters[1]!), () => {
      insert("b");
      throw new Error("refused");
    });
    const third = turn.commits.run(new Db(connection, meters[2]!), () => insert("c").changes);
    // nothing has run, so nothing can be read, before the turn ends
    expect(labels(connection)).toEqual([]);
    turn.endTurn();
    await expect(first).resolves.toBe(1);
    await expect(failing).rejects.toThrow("refused");
    await expect(third).resolves.toBe(1);
    expect(labels(connection)).toEqual(["a", "c"]);
    expect(turn.batches).toEqual([3]);
    expect(connection.inTransaction).toBe(false);
    // each write's database time includes its share of the shared BEGIN, savepoints and COMMIT
    for (const meter of meters) {
      expect(meter.durationMs).toBeGreaterThan(0);
      expect(meter.statements).toBe(0);
    }
  });

  it("runs a batch without savepoints; a write that fails after writing makes the whole batch run again, each write in its own", async () => {
    const connection = open();
    let savepoints = 0;
    const savepoint = connection.savepoint.bind(connection);
    connection.savepoint = (fn) => {
      savepoints += 1;
      return savepoint(fn);
    };
    const turn = manualTurn();
    const runs = new Map<string, number>();
    const write = (label: string, fails = false) =>
      turn.commits.run(new Db(connection, new DbMeter()), () => {
        runs.set(label, (runs.get(label) ?? 0) + 1);
        writer(connection).run("INSERT INTO items (label) VALUES (?)", label);
        if (fails) throw new Error(`${label} refused`);
        return label;
      });

    const clean = [write("a"), write("b")];
    turn.endTurn();
    expect(await Promise.all(clean)).toEqual(["a", "b"]);
    expect(savepoints).toBe(0);
    expect([...runs.values()]).toEqual([1, 1]);

    // r is refused before it writes: nothing to undo, the batch goes on without savepoints
    runs.clear();
    const refused = turn.commits.run(new Db(connection, new DbMeter()), () => {
      runs.set("r", 1);
      writer(connection).get("SELECT count(*) AS n FROM items");
      throw new Error("r refused");
    });
    const after = [write("e"), refused, write("f")];
    turn.endTurn();
    expect((await Promise.allSettled(after)).map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(Object.fromEntries(runs)).toEqual({ e: 1, r: 1, f: 1 });
    expect(savepoints).toBe(0);
    expect(labels(connection)).toEqual(["a", "b", "e", "f"]);

    // x fails in the optimistic run after writing, which is rolled back (c had run); c, x, d and y run again isolated,
    // where x and y fail alone
    runs.clear();
    const mixed = [write("c"), write("x", true), write("d"), write("y", true)];
    turn.endTurn();
    const settled = await Promise.allSettled(mixed);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
    expect(settled.map((s) => (s.status === "rejected" ? (s.reason as Error).message : s.value))).toEqual(["c", "x refused", "d", "y refused"]);
    expect(labels(connection)).toEqual(["a", "b", "e", "f", "c", "d"]);
    expect(Object.fromEntries(runs)).toEqual({ c: 2, x: 2, d: 1, y: 1 });
    expect(savepoints).toBe(4);
    expect(connection.inTransaction).toBe(false);
  });

  it("tells a write whether it runs isolated, so a refusal after writing can keep a record of itself there", async () => {
    const connection = open();
    const turn = manualTurn();
    const runs: string[] = [];
    const insert = (label: string) => writer(connection).run("INSERT INTO items (label) VALUES (?)", label);
    // As a keyed write does: in the first run a refusal after writing is let through; isolated, the
    // work's own savepoint takes its writes back and a record of the refusal is kept instead.
    const keyed = (label: string) =>
      turn.commits.run(new Db(connection, new DbMeter()), (isolated) => {
        runs.push(`${label}${isolated ? " isolated" : ""}`);
        const refuse = () => {
          insert(label);
          throw new Error(`${label} refused`);
        };
        if (!isolated) return refuse();
        try {
          return connection.savepoint(refuse);
        } catch {
          insert(`${label}'s refusal`);
          return `${label}'s refusal`;
        }
      });
    const plain = (label: string) =>
      turn.commits.run(new Db(connection, new DbMeter()), (isolated) => {
        runs.push(`${label}${isolated ? " isolated" : ""}`);
        insert(label);
        return label;
      });
    const batch = [plain("a"), keyed("k"), plain("b")];
    turn.endTurn();
    expect(await Promise.all(batch)).toEqual(["a", "k's refusal", "b"]);
    expect(labels(connection)).toEqual(["a", "k's refusal", "b"]);
    expect(runs).toEqual(["a", "k", "a isolated", "k isolated", "b isolated"]);
    expect(connection.inTransaction).toBe(false);
  });

  it("keeps each database's writes in their own transaction", async () => {
    const [one, two] = [open(), open()];
    const turn = manualTurn();
    const a = turn.commits.run(new Db(one, new DbMeter()), () => writer(one).run("INSERT INTO items (label) VALUES ('one')"));
    const b = turn.commits.run(new Db(two, new DbMeter()), () => {
      writer(two).run("INSERT INTO items (label) VALUES ('two')");
      throw new Error("no");
    });
    turn.endTurn();
    await a;
    await expect(b).rejects.toThrow("no");
    expect(labels(one)).toEqual(["one"]);
    expect(labels(two)).toEqual([]);
    expect(turn.batches).toEqual([1, 1]);
  });

  it("on a full database, a write is acknowledged exactly when it is kept", async () => {
    const connection = open();
    const pageSize = (connection.statement("PRAGMA page_size").get() as { page_size: number }).page_size;
    const used = (connection.statement("PRAGMA page_count").get() as { page_count: number }).page_count;
    // room for a few rows of one page each, then SQLITE_FULL
    connection.exec(`PRAGMA max_page_count = ${used + 6}`);
    const turn = manualTurn();
    const writes = Array.from({ length: 12 }, (_, i) =>
      turn.commits.run(new Db(connection, new DbMeter()), () =>
        writer(connection).run("INSERT INTO items (label, filler) VALUES (?, zeroblob(?))", `row-${i}`, pageSize - 200),
      ),
    );
    turn.endTurn();
    const settled = await Promise.allSettled(writes);
    const acknowledged = settled.flatMap((s, i) => (s.status === "fulfilled" ? [`row-${i}`] : []));
    expect(settled.some((s) => s.status === "rejected")).toBe(true);
    expect(labels(connection)).toEqual(acknowledged);
    expect(connection.inTransaction).toBe(false);
    // and the database takes writes again once there is room
    connection.exec("PRAGMA max_page_count = 1000000");
    const again = turn.commits.run(new Db(connection, new DbMeter()), () => writer(connection).run("INSERT INTO items (label) VALUES ('later')"));
    turn.endTurn();
    await again;
    expect(labels(connection)).toEqual([...acknowledged, "later"]);
  });
});
