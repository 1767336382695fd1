import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { NodeSqlConnection } from "../runtime/node/sqlite.js";
import { cacheScope, declareScope, GenerationCache } from "./generation-cache.js";
import { Db, DbMeter } from "./sql.js";

const dirs: string[] = [];
const connections: NodeSqlConnection[] = [];
afterEach(() => {
  for (const c of connections.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const KEYS = 6;
/** Key k's answers belong to business k % 3: two keys share each scope. */
const scopeOfKey = (k: number) => cacheScope.business(String(k % 3));

/** A real database of KEYS values, and a cache of them scoped as scopeOfKey says. */
function open() {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-generation-cache-"));
  dirs.push(dir);
  const connection = new NodeSqlConnection(join(dir, "c.db"), "NORMAL");
  connections.push(connection);
  connection.exec("CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL) STRICT");
  const db = new Db(connection, new DbMeter());
  for (let k = 0; k < KEYS; k++) db.run("INSERT INTO kv (k, v) VALUES (?, 0)", k);
  const cache = new GenerationCache<number | undefined>(connection);
  const read = (k: number) => db.get<{ v: number }>("SELECT v FROM kv WHERE k = ?", k)?.v;
  return {
    connection,
    db,
    cache,
    read,
    cached: (k: number) => cache.get(String(k), () => read(k), () => scopeOfKey(k)),
    write: (k: number, v: number) => db.run("UPDATE kv SET v = ? WHERE k = ?", v, k),
  };
}

type Step =
  | { kind: "get"; k: number }
  | { kind: "declared"; k: number; v: number }
  | { kind: "undeclared"; k: number; v: number }
  | { kind: "rolledBack"; k: number; v: number; readInside: boolean }
  | { kind: "savepointRolledBack"; k: number; v: number; readInside: boolean }
  | { kind: "primed"; k: number; v: number };

const key = fc.integer({ min: 0, max: KEYS - 1 });
const value = fc.integer({ min: 1, max: 1_000 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: key.map((k) => ({ kind: "get" as const, k })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("declared" as const), k: key, v: value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("undeclared" as const), k: key, v: value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("rolledBack" as const), k: key, v: value, readInside: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("savepointRolledBack" as const), k: key, v: value, readInside: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("primed" as const), k: key, v: value }) },
);

describe("GenerationCache", () => {
  it("answers what the database holds after any sequence of declared, undeclared and rolled-back writes", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const t = open();
        for (const s of steps) {
          if (s.kind === "get") {
            expect(t.cached(s.k)).toBe(t.read(s.k));
          } else if (s.kind === "declared") {
            t.write(s.k, s.v);
            declareScope(t.db, scopeOfKey(s.k));
          } else if (s.kind === "undeclared") {
            t.write(s.k, s.v);
          } else if (s.kind === "primed") {
            t.db.transaction(() => {
              t.write(s.k, s.v);
              declareScope(t.db, scopeOfKey(s.k));
            });
            t.cache.prime(String(s.k), s.v, scopeOfKey(s.k));
          } else {
            // a write, maybe read back through the cache before it is undone
            const failing = () => {
              t.write(s.k, s.v);
              declareScope(t.db, scopeOfKey(s.k));
              if (s.readInside) expect(t.cached(s.k)).toBe(s.v);
              throw new Error("undone");
            };
            if (s.kind === "rolledBack") expect(() => t.db.transaction(failing)).toThrow("undone");
            else {
              // only the savepoint is undone; the transaction around it commits
              t.db.transaction(() => expect(() => t.connection.savepoint(failing)).toThrow("undone"));
            }
          }
        }
        for (let k = 0; k < KEYS; k++) expect(t.cached(k)).toBe(t.read(k));
        t.connection.close();
      }),
      { numRuns: 200 },
    );
  });

  it("keeps the answers of other scopes across a declared write, and drops them all after an undeclared one", () => {
    const t = open();
    for (let k = 0; k < KEYS; k++) t.cached(k);
    const missesBefore = t.cache.misses;
    t.write(0, 7);
    declareScope(t.db, scopeOfKey(0));
    // keys 0 and 3 share the written scope; 1, 2, 4 and 5 are answered from memory
    for (let k = 0; k < KEYS; k++) t.cached(k);
    expect(t.cache.misses - missesBefore).toBe(2);
    expect(t.cached(0)).toBe(7);
    t.write(1, 8);
    for (let k = 0; k < KEYS; k++) t.cached(k);
    expect(t.cache.misses - missesBefore).toBe(2 + KEYS);
  });

  it("drops answers that name no scope on any write, and catches up on at most 256 writes one by one", () => {
    const t = open();
    const unscoped = () => t.cache.get("all", () => t.db.get<{ n: number }>("SELECT sum(v) AS n FROM kv")!.n);
    expect(unscoped()).toBe(0);
    t.write(2, 5);
    declareScope(t.db, scopeOfKey(2));
    expect(unscoped()).toBe(5);
    t.cached(1);
    for (let i = 0; i < 257; i++) {
      t.write(2, i);
      declareScope(t.db, scopeOfKey(2));
    }
    const misses = t.cache.misses;
    // key 1's scope was never written, but the cache fell too far behind to know: it starts over
    expect(t.cached(1)).toBe(0);
    expect(t.cache.misses).toBe(misses + 1);
  });
});
