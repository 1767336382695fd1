import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { convert } from "../finance/money.js";
import { chooseRate, convertInverse, parseRate, translate } from "./conversion.js";
import { used } from "./test-support.js";

const amountArb = fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 });
const CURRENCIES = ["USD", "EUR", "JPY", "KWD", "GBP"] as const;
const currencyArb = fc.constantFrom(...CURRENCIES);
const rateArb = fc.record({ units: fc.bigInt({ min: 1n, max: 10n ** 12n }), scale: fc.integer({ min: 0, max: 10 }) });

describe("parseRate", () => {
  it("takes positive decimal strings only", () => {
    expect(parseRate("1.0834")).toEqual({ units: 10834n, scale: 4 });
    for (const bad of ["0", "0.000", "-1", "1e3", "", " 1", "1,5", "abc", "1.12345678901"]) expect(parseRate(bad), bad).toBeUndefined();
  });
});

describe("convertInverse", () => {
  it("divides by the rate: dividing by r equals multiplying by 1/r when 1/r is exact", () => {
    const pairs: [string, string][] = [
      ["2", "0.5"],
      ["4", "0.25"],
      ["1.25", "0.8"],
      ["8", "0.125"],
      ["0.0001", "10000"],
    ];
    fc.assert(
      fc.property(amountArb, currencyArb, currencyArb, fc.constantFrom(...pairs), (amount, from, to, [r, inv]) => {
        expect(convertInverse(BigInt(amount), from, to, parseRate(r)!)).toBe(convert(BigInt(amount), from, to, parseRate(inv)!));
      }),
    );
  });

  it("rounds once, half away from zero, and is odd-symmetric", () => {
    expect(convertInverse(100n, "USD", "EUR", parseRate("3")!)).toBe(33n); // 33.33 → 33
    expect(convertInverse(50n, "USD", "EUR", parseRate("3")!)).toBe(17n); // 16.67 → 17
    expect(convertInverse(3n, "USD", "EUR", parseRate("2")!)).toBe(2n); // 1.5 → 2
    expect(convertInverse(-3n, "USD", "EUR", parseRate("2")!)).toBe(-2n);
    expect(convertInverse(10000n, "USD", "JPY", parseRate("0.0065")!)).toBe(15385n); // $100 ÷ 0.0065 = ¥15384.6…
    fc.assert(
      fc.property(amountArb, currencyArb, currencyArb, rateArb, (amount, from, to, rate) => {
        expect(convertInverse(BigInt(-amount), from, to, rate)).toBe(-convertInverse(BigInt(amount), from, to, rate));
      }),
    );
  });

  it("stays within half a minor unit of the exact quotient", () => {
    fc.assert(
      fc.property(amountArb, rateArb, (amount, rate) => {
        const result = convertInverse(BigInt(amount), "USD", "EUR", rate);
        // |result·units − amount·10^scale| ≤ units/2
        const diff = result * rate.units - BigInt(amount) * 10n ** BigInt(rate.scale);
        expect(2n * (diff < 0n ? -diff : diff) <= rate.units).toBe(true);
      }),
    );
  });
});

describe("chooseRate", () => {
  const direct = { base: "EUR", quote: "USD", date: "2026-03-01", rate: "1.1" };
  const inverse = { base: "USD", quote: "EUR", date: "2026-03-02", rate: "0.9" };
  it("is the identity for one currency", () => {
    expect(chooseRate("USD", "USD", undefined, undefined)).toMatchObject({ rate: "1", date: null, inverse: false });
  });
  it("takes the newest of the direct and inverse pair, the direct one on a tie, nothing when neither exists", () => {
    expect(chooseRate("EUR", "USD", direct, undefined)).toMatchObject({ rate: "1.1", inverse: false, base: "EUR", quote: "USD" });
    expect(chooseRate("EUR", "USD", undefined, inverse)).toMatchObject({ rate: "0.9", inverse: true, base: "USD", quote: "EUR" });
    expect(chooseRate("EUR", "USD", direct, inverse)).toMatchObject({ rate: "0.9", inverse: true });
    expect(chooseRate("EUR", "USD", direct, { ...inverse, date: direct.date })).toMatchObject({ rate: "1.1", inverse: false });
    expect(chooseRate("EUR", "USD", undefined, undefined)).toBeUndefined();
  });
});

describe("translate", () => {
  it("leaves same-currency amounts alone and converts with the minor-unit exponents", () => {
    expect(translate(12345, used("USD", "USD", "1"))).toBe(12345);
    expect(translate(10000, used("EUR", "USD", "1.0834"))).toBe(10834);
    expect(translate(10000, used("EUR", "JPY", "161.5"))).toBe(16150);
    expect(translate(16150, used("JPY", "EUR", "161.5", true))).toBe(10000);
    expect(translate(-10000, used("EUR", "USD", "1.0834"))).toBe(-10834);
  });
});
