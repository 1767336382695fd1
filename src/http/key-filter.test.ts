import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyFilter } from "./key-filter.js";

const DAY = 24 * 60 * 60 * 1000;
const keyArb = fc.string({ unit: fc.constantFrom(..."abcdef0123456789-_:"), minLength: 1, maxLength: 40 });

describe("KeyFilter", () => {
  it("holds every key it was given for a whole retention after, through any rotations", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ principal: keyArb, key: keyArb, gap: fc.integer({ min: 0, max: 3 * DAY }) }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: DAY - 1 }),
        (adds, later) => {
          const filter = new KeyFilter(DAY, 0, 0);
          let now = 0;
          const added: { principal: string; key: string; at: number }[] = [];
          for (const { principal, key, gap } of adds) {
            now += gap;
            filter.add(principal, key, now);
            added.push({ principal, key, at: now });
            // each key added within the last retention, at any time up to its end
            for (const a of added) if (now - a.at < DAY) expect(filter.mayHold(a.principal, a.key, now)).toBe(true);
          }
          const last = added[added.length - 1]!;
          expect(filter.mayHold(last.principal, last.key, last.at + later)).toBe(true);
        },
      ),
    );
  });

  it("vouches for nothing before the records of an earlier process have expired", () => {
    const filter = new KeyFilter(DAY, 5_000, 1_000);
    expect(filter.mayHold("user:a", "never-added", 4_999)).toBe(true);
    expect(filter.mayHold("user:a", "never-added", 5_000)).toBe(false);
  });

  it("knows nearly every new key is new, and forgets keys two retentions after their generation began", () => {
    const filter = new KeyFilter(DAY, 0, 0);
    // through four layers of growing size: ~0.07 % wrong answers each, ~56 of 20,000 expected
    for (let i = 0; i < 100_000; i++) filter.add("user:usr_1", `added-${i}`, i);
    let positives = 0;
    for (let i = 0; i < 20_000; i++) if (filter.mayHold("user:usr_1", `fresh-${i}`, 100_000)) positives += 1;
    expect(positives).toBeLessThan(200);
    for (let i = 0; i < 100_000; i += 997) expect(filter.mayHold("user:usr_1", `added-${i}`, 100_000)).toBe(true);
    // another user's same key is another key
    expect(filter.mayHold("user:usr_2", "added-7", 100_000)).toBe(false);
    // a retention on it is the previous generation's, two retentions on it is gone
    expect(filter.mayHold("user:usr_1", "added-7", DAY + 10)).toBe(true);
    expect(filter.mayHold("user:usr_1", "added-7", 2 * DAY + 10)).toBe(false);
  });
});
