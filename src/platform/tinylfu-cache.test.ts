import fc from "fast-check";
import { LRUCache } from "lru-cache";
import { describe, expect, it } from "vitest";
import { FrequencySketch, hashKey, TinyLfuCache } from "./tinylfu-cache.js";

type Command =
  | { op: "set"; key: string; value: number; weight: number }
  | { op: "get"; key: string }
  | { op: "delete"; key: string }
  | { op: "invalidate"; group: string };

const groups = ["b1", "b2", "b3", "b4"];
const keyArb = fc.tuple(fc.constantFrom(...groups), fc.integer({ min: 0, max: 30 })).map(([g, i]) => `${g}:k${i}`);
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("set" as const), key: keyArb, value: fc.integer(), weight: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("get" as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("delete" as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("invalidate" as const), group: fc.constantFrom(...groups) }) },
);
const boundsArb = fc.record({ maxEntries: fc.integer({ min: 1, max: 40 }), maxBytes: fc.integer({ min: 1, max: 2_000 }) });

/** Runs the commands against a cache, checking after each one what must hold; returns the bookkeeping. */
function run(bounds: { maxEntries: number; maxBytes: number }, commands: Command[]) {
  const cache = new TinyLfuCache<number>(bounds);
  const last = new Map<string, { value: number; weight: number }>();
  let gets = 0;
  let inserted = 0;
  let removed = 0;
  for (const c of commands) {
    const evictionsBefore = cache.evictions;
    if (c.op === "set") {
      const had = cache.has(c.key);
      const stored = cache.set(c.key, c.value, c.weight);
      expect(stored).toBe(c.weight <= bounds.maxBytes);
      if (stored) {
        last.set(c.key, { value: c.value, weight: c.weight });
        if (!had) inserted += 1;
        // the value just set is there, unless the set evicted something (possibly this very entry)
        if (cache.evictions === evictionsBefore) expect(cache.peek(c.key)).toBe(c.value);
        else expect([undefined, c.value]).toContain(cache.peek(c.key));
      } else {
        expect(cache.has(c.key)).toBe(false);
        last.delete(c.key);
        if (had) removed += 1;
      }
    } else if (c.op === "get") {
      gets += 1;
      const value = cache.get(c.key);
      // a read never evicts, and answers the last value set (or nothing)
      expect(cache.evictions).toBe(evictionsBefore);
      if (value !== undefined) expect(value).toBe(last.get(c.key)?.value);
    } else if (c.op === "delete") {
      const had = cache.has(c.key);
      expect(cache.delete(c.key)).toBe(had);
      expect(cache.has(c.key)).toBe(false);
      if (had) removed += 1;
    } else {
      const before = [...cache.keys()];
      const count = cache.invalidateGroup(c.group);
      const after = new Set(cache.keys());
      const inGroup = before.filter((k) => k.startsWith(`${c.group}:`));
      // exactly the group's entries go, everything else stays
      expect(count).toBe(inGroup.length);
      expect(before.filter((k) => !after.has(k)).sort()).toEqual(inGroup.sort());
      expect(after.size).toBe(before.length - inGroup.length);
      expect(cache.groupKeys(c.group)).toEqual([]);
      expect(cache.evictions).toBe(evictionsBefore);
      removed += count;
    }
    // bounds, and the totals agree with what is cached
    expect(cache.size).toBeLessThanOrEqual(bounds.maxEntries);
    expect(cache.bytes).toBeLessThanOrEqual(bounds.maxBytes);
    const keys = [...cache.keys()];
    expect(keys.length).toBe(cache.size);
    expect(new Set(keys).size).toBe(keys.length);
    let bytes = 0;
    for (const k of keys) {
      const entry = last.get(k);
      expect(entry).toBeDefined();
      expect(cache.peek(k)).toBe(entry!.value);
      bytes += entry!.weight;
    }
    expect(cache.bytes).toBe(bytes);
    expect(cache.hits + cache.misses).toBe(gets);
    expect(cache.size).toBe(inserted - removed - cache.evictions);
  }
  return { cache, gets, inserted, removed };
}

describe("TinyLfuCache", () => {
  it("stays within its entry and byte bounds, keeps its totals and counters exact, and answers the last value set", () => {
    fc.assert(
      fc.property(boundsArb, fc.array(commandArb, { maxLength: 300 }), (bounds, commands) => {
        run(bounds, commands);
      }),
      { numRuns: 300 },
    );
  });

  it("answers a value right after it was set while the cache has room", () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { minLength: 1, maxLength: 50 }), (keys) => {
        const cache = new TinyLfuCache<string>({ maxEntries: 50, maxBytes: 50 * 10 });
        for (const k of keys) expect(cache.set(k, `v-${k}`, 10)).toBe(true);
        for (const k of keys) expect(cache.get(k)).toBe(`v-${k}`);
        expect(cache.evictions).toBe(0);
        expect(cache.hits).toBe(keys.length);
      }),
      { numRuns: 100 },
    );
  });

  it("invalidates one business's entries and only those", () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 100 }), fc.constantFrom(...groups), (keys, group) => {
        const cache = new TinyLfuCache<string>({ maxEntries: 1_000, maxBytes: 1_000_000 });
        for (const k of keys) cache.set(k, k, k.length);
        const mine = keys.filter((k) => k.startsWith(`${group}:`));
        expect(cache.groupKeys(group).sort()).toEqual([...mine].sort());
        expect(cache.invalidateGroup(group)).toBe(mine.length);
        for (const k of keys) expect(cache.has(k)).toBe(!mine.includes(k));
        expect(cache.bytes).toBe(keys.filter((k) => !mine.includes(k)).reduce((n, k) => n + k.length, 0));
        expect(cache.invalidateGroup(group)).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses an entry heavier than the whole byte budget and drops the key's old value", () => {
    const cache = new TinyLfuCache<string>({ maxEntries: 10, maxBytes: 100 });
    expect(cache.set("b1:report", "small", 10)).toBe(true);
    expect(cache.set("b1:report", "huge", 101)).toBe(false);
    expect(cache.get("b1:report")).toBeUndefined();
    expect(cache.bytes).toBe(0);
    expect(() => cache.set("b1:x", "x", -1)).toThrow(RangeError);
    expect(() => new TinyLfuCache({ maxEntries: 0, maxBytes: 1 })).toThrow(RangeError);
  });

  it("keeps a frequently used working set through a scan of one-hit wonders, which flushes a plain LRU", () => {
    const capacity = 100;
    const tiny = new TinyLfuCache<string>({ maxEntries: capacity, maxBytes: capacity * 100 });
    const lru = new LRUCache<string, string>({ max: capacity, maxSize: capacity * 100, sizeCalculation: () => 100 });
    const hot = Array.from({ length: 60 }, (_, i) => `b${i % 3}:hot-${i}`);
    const access = (key: string) => {
      if (tiny.get(key) === undefined) tiny.set(key, key, 100);
      if (lru.get(key) === undefined) lru.set(key, key);
    };
    for (let round = 0; round < 20; round++) for (const k of hot) access(k);
    // 5,000 keys read once each; the working set stays in use, each key every ~1,000 scan keys
    let hotReads = 0;
    let tinyHotHits = 0;
    let lruHotHits = 0;
    for (let i = 0; i < 5_000; i++) {
      access(`b9:scan-${i}`);
      if (i % 16 === 0) {
        const k = hot[(i / 16) % hot.length]!;
        hotReads += 1;
        if (tiny.has(k)) tinyHotHits += 1;
        if (lru.has(k)) lruHotHits += 1;
        access(k);
      }
    }
    expect(tinyHotHits).toBe(hotReads);
    // plain LRU answers only the first few, before the scan has pushed the working set out
    expect(lruHotHits).toBeLessThan(hotReads / 50);

    const tinyKept = hot.filter((k) => tiny.has(k)).length;
    const lruKept = hot.filter((k) => lru.has(k)).length;
    expect(tinyKept).toBe(hot.length);
    // plain LRU holds only the few hot keys re-read during the last ~40 scan keys
    expect(lruKept).toBeLessThanOrEqual(hot.length / 10);
    expect(tiny.size).toBe(capacity);
    // the scan passed through the window and probation; almost none of it stayed
    expect([...tiny.keys()].filter((k) => k.startsWith("b9:")).length).toBe(capacity - hot.length);

    // and a key that becomes popular after the scan is still admitted
    let admittedAfter = -1;
    for (let n = 1; n <= 10 && admittedAfter < 0; n++) {
      access("b1:new-favourite");
      for (let i = 0; i < 3; i++) access(`b9:more-scan-${n}-${i}`);
      if (tiny.has("b1:new-favourite")) admittedAfter = n;
    }
    expect(admittedAfter).toBeGreaterThan(0);
  });

  it("its frequency sketch counts up to 15 and ages by halving", () => {
    const sketch = new FrequencySketch(64);
    const h = hashKey("b1:portfolio");
    expect(sketch.frequency(h)).toBe(0);
    for (let i = 0; i < 5; i++) sketch.increment(h);
    expect(sketch.frequency(h)).toBe(5);
    for (let i = 0; i < 20; i++) sketch.increment(h);
    expect(sketch.frequency(h)).toBe(15);
    // 10 × 64 increments trigger one reset; other keys barely disturb this one's counters
    let n = 0;
    while (sketch.resets === 0 && n < 10_000) sketch.increment(hashKey(`other-${n++}`));
    expect(sketch.resets).toBe(1);
    expect(sketch.frequency(h)).toBeGreaterThanOrEqual(7);
    expect(sketch.frequency(h)).toBeLessThanOrEqual(8);
  });
});
