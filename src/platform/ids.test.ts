import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { idFloorAt, newId } from "./ids.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** The id's time, read back from its first ten base32 digits. */
const timeOf = (id: string) => [...id.split("_")[1]!.slice(0, 10)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0);

describe("ids", () => {
  it("are the prefix, ten base32 digits of the time and sixteen random ones", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (ms) => {
        const id = newId("pay", ms);
        expect(id).toMatch(/^pay_[0-9a-hjkmnp-tv-z]{26}$/);
        expect(timeOf(id)).toBe(ms);
        expect(idFloorAt("pay", ms) <= id && id < idFloorAt("pay", ms + 1)).toBe(true);
      }),
    );
  });

  it("do not repeat, and their random digits are spread over the whole alphabet", () => {
    const ids = Array.from({ length: 20_000 }, () => newId("evt", 1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    const seen = new Map<string, number>();
    for (const id of ids) for (const c of id.slice(-16)) seen.set(c, (seen.get(c) ?? 0) + 1);
    expect(seen.size).toBe(32);
    // 320,000 digits over 32 values: each near 10,000
    for (const n of seen.values()) expect(Math.abs(n - 10_000)).toBeLessThan(600);
  });
});
