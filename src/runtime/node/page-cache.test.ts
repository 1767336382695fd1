import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { SqlConnection } from "../../platform/sql.js";
import { BusinessPool, loadMigrations, pageCacheKib } from "./sqlite.js";

const dirs: string[] = [];
const pools: BusinessPool[] = [];
afterEach(() => {
  for (const pool of pools.splice(0)) pool.closeAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function pool(capacity: number, budgetMib: number): BusinessPool {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-page-cache-"));
  dirs.push(dir);
  const opened = new BusinessPool(dir, loadMigrations(resolve("migrations/business")), "NORMAL", capacity, 0, undefined, budgetMib * 1024 * 1024);
  pools.push(opened);
  return opened;
}

const businessId = (n: number) => `biz_${String(n).padStart(26, "0")}`;
/** The page cache a connection has, in KiB, as SQLite reports it. */
const pageCache = (connection: SqlConnection) => -(connection.statement("PRAGMA cache_size").get() as { cache_size: number }).cache_size;

describe("the business databases' page caches", () => {
  it("share the budget: each a power of two from 256 KiB to 32 MiB, together within the budget unless each is at the floor", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 2000 }), (budgetMib, open) => {
        const kib = pageCacheKib(budgetMib * 1024 * 1024, open);
        expect(Math.log2(kib) % 1).toBe(0);
        expect(kib).toBeGreaterThanOrEqual(256);
        expect(kib).toBeLessThanOrEqual(32_768);
        if (kib > 256) expect(kib * open).toBeLessThanOrEqual(budgetMib * 1024);
        // no more than half the share is left unused, up to the 32 MiB a database may have
        if (kib < 32_768) expect(kib * 2 * open).toBeGreaterThan(budgetMib * 1024);
      }),
    );
  });

  it("shrink as databases open and grow back as they close, every open database alike", () => {
    const businesses = pool(4, 8);
    const first = businesses.acquire(businessId(1));
    expect(pageCache(first.connection)).toBe(8192);
    const handles = [first, businesses.acquire(businessId(2)), businesses.acquire(businessId(3))];
    // 8 MiB over three: 2 MiB each, the one open first included
    expect(handles.map((h) => pageCache(h.connection))).toEqual([2048, 2048, 2048]);
    // a fourth: the share is unchanged, and the one just opened gets it too
    const fourth = businesses.acquire(businessId(4));
    expect(pageCache(fourth.connection)).toBe(2048);
    for (const h of [...handles, fourth]) h.release();
    // past the pool's bound of four: the least recently used close, and the four left share the budget
    for (const n of [5, 6]) businesses.acquire(businessId(n)).release();
    expect(businesses.openCount()).toBe(4);
    const kept = businesses.acquire(businessId(6));
    expect(pageCache(kept.connection)).toBe(2048);
    kept.release();
    const small = pool(1, 8);
    for (const n of [1, 2, 3]) small.acquire(businessId(n)).release();
    const last = small.acquire(businessId(3));
    expect(small.openCount()).toBe(1);
    expect(pageCache(last.connection)).toBe(8192);
    last.release();
  });
});
