import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forecastCash, normalCdf } from "./forecast.js";

describe("normalCdf", () => {
  it("is a CDF", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.645)).toBeCloseTo(0.95, 3);
    expect(normalCdf(-1.645)).toBeCloseTo(0.05, 3);
  });
});

describe("forecastCash", () => {
  it("with nothing coming in or going out, cash stays flat with no band", () => {
    const f = forecastCash({ today: "2026-11-27", openingCash: 1000, receivables: [], paid: [], dailyOutflows: [], horizonDays: 90 });
    expect(f.series).toHaveLength(90);
    expect(f.series[0]).toEqual({ date: "2026-11-28", expected: 1000, low: 1000, high: 1000 });
    expect(f.series.at(-1)!.date).toBe("2027-02-25");
    expect(f.firstBelowZero).toBeNull();
  });

  it("a receivable arrives around its due date shifted by the customer's own lateness", () => {
    const paid = [
      { customerId: "c1", dueDate: "2026-01-01", paidDate: "2026-01-11" },
      { customerId: "c1", dueDate: "2026-02-01", paidDate: "2026-02-11" },
      { customerId: "c1", dueDate: "2026-03-01", paidDate: "2026-03-11" },
    ];
    const f = forecastCash({
      today: "2026-11-27",
      openingCash: 0,
      receivables: [{ invoiceId: "inv1", customerId: "c1", dueDate: "2026-12-10", amountDue: 10_000 }],
      paid,
      dailyOutflows: [],
      horizonDays: 90,
    });
    expect(f.receivables[0]).toEqual({ invoiceId: "inv1", amountDue: 10_000, expectedDate: "2026-12-20", daysLate: 10, basis: "customer" });
    const at = (date: string) => f.series.find((p) => p.date === date)!;
    expect(at("2026-12-05").expected).toBeLessThan(100);
    expect(at("2026-12-20").expected).toBeGreaterThan(4000);
    expect(at("2026-12-20").expected).toBeLessThan(6000);
    expect(at("2027-01-31").expected).toBe(10_000);
    expect(at("2026-12-20").high - at("2026-12-20").low).toBeGreaterThan(at("2027-01-31").high - at("2027-01-31").low);
  });

  it("spending burns cash down and says when it goes below zero", () => {
    const f = forecastCash({ today: "2026-11-27", openingCash: 3000, receivables: [], paid: [], dailyOutflows: [90, 110, 100, 100], horizonDays: 90 });
    expect(f.dailyOutflow).toBe(100);
    expect(f.series[29]!.expected).toBe(0);
    expect(f.firstBelowZero).toBe(f.series[30]!.date);
    expect(f.lowestExpected).toEqual(f.series.at(-1));
  });

  it("the band always contains the expected value", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.array(fc.record({ invoiceId: fc.string(), customerId: fc.constantFrom("a", "b"), dueDate: fc.constantFrom("2026-10-01", "2026-12-01", "2027-03-01"), amountDue: fc.integer({ min: 1, max: 1e6 }) }), { maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 1e4 }), { maxLength: 30 }),
        (openingCash, receivables, dailyOutflows) => {
          const f = forecastCash({ today: "2026-11-27", openingCash, receivables, paid: [], dailyOutflows, horizonDays: 30 });
          for (const p of f.series) {
            expect(p.low).toBeLessThanOrEqual(p.expected);
            expect(p.high).toBeGreaterThanOrEqual(p.expected);
          }
        },
      ),
    );
  });
});
