import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { budgetPeriod, isSchedule, nextRunMs, retryDelayMs } from "./timing.js";

describe("retry delays", () => {
  it("grow exponentially within [half, full] of the nominal delay and never pass the cap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, random) => {
        const nominal = Math.min(60_000, 1000 * 2 ** (attempt - 1));
        const delay = retryDelayMs(attempt, 1000, 60_000, random);
        expect(delay).toBeGreaterThanOrEqual(nominal / 2);
        expect(delay).toBeLessThanOrEqual(nominal);
      }),
    );
  });

  it("respects Retry-After as a floor", () => {
    expect(retryDelayMs(1, 100, 10_000, 0, 5_000)).toBe(5_000);
    expect(retryDelayMs(1, 100, 10_000, 0, 50)).toBe(50);
  });
});

describe("schedules", () => {
  it("accepts the documented forms only", () => {
    for (const ok of ["hourly", "daily", "weekly", "every 5 minutes", "every 2 hours", "every 1 days", "every 10 seconds"]) expect(isSchedule(ok)).toBe(true);
    for (const bad of ["", "nightly", "every 0 minutes", "every 5 minute", "every -1 hours", " daily", "every 999999 days", "every 9 seconds"]) expect(isSchedule(bad)).toBe(false);
  });

  it("next runs fall strictly after the moment, on the boundary", () => {
    const t = Date.UTC(2026, 10, 27, 14, 30, 15); // a Friday
    expect(new Date(nextRunMs("hourly", t)).toISOString()).toBe("2026-11-27T15:00:00.000Z");
    expect(new Date(nextRunMs("daily", t)).toISOString()).toBe("2026-11-28T00:00:00.000Z");
    expect(new Date(nextRunMs("weekly", t)).toISOString()).toBe("2026-11-30T00:00:00.000Z");
    expect(new Date(nextRunMs("every 15 minutes", t)).toISOString()).toBe("2026-11-27T14:45:00.000Z");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.constantFrom("hourly", "daily", "weekly", "every 7 minutes", "every 3 hours"), (ms, s) => {
        const next = nextRunMs(s, ms);
        expect(next).toBeGreaterThan(ms);
        expect(nextRunMs(s, next - 1)).toBe(next);
      }),
    );
  });

  it("budget periods are UTC months", () => {
    expect(budgetPeriod(Date.UTC(2026, 0, 31, 23, 59))).toBe("2026-01");
  });
});
