import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoNow } from "./time.js";

describe("isoNow", () => {
  it("formats any instant as Date#toISOString does, calls in one day and across days alike", () => {
    const instant = fc.integer({ min: -62_198_755_200_000, max: 253_402_300_799_999 }); // years 0000–9999
    fc.assert(
      fc.property(instant, fc.array(fc.integer({ min: -90_000_000, max: 90_000_000 }), { maxLength: 8 }), (start, steps) => {
        let t = start;
        expect(isoNow(t)).toBe(new Date(t).toISOString());
        for (const step of steps) {
          t += step;
          expect(isoNow(t)).toBe(new Date(t).toISOString());
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("handles the edges of a day, fractions, years outside 0000–9999 and invalid instants like Date", () => {
    for (const t of [0, -1, 86_399_999, 86_400_000, 1_764_288_000_000 - 1, 1_764_288_000_000, 1.5, -0.5, -1, 253_402_300_800_000, -62_198_755_200_001]) {
      expect(isoNow(t), String(t)).toBe(new Date(t).toISOString());
    }
    expect(isoNow()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(() => isoNow(Number.NaN)).toThrow(RangeError);
    expect(() => isoNow(8.64e15 + 1)).toThrow(RangeError);
  });
});
