import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProblemError } from "../platform/problem.js";
import {
  addExact,
  allocate,
  convert,
  divideRounded,
  formatDecimal,
  formatMoney,
  lineAmounts,
  multiplyRounded,
  parseDecimal,
  parseMoney,
  sumExact,
  toSafeNumber,
} from "./money.js";

const LOOSE = { maxScale: 12, maxIntegerDigits: 20, allowNegative: true };
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
const decimalText = fc
  .tuple(fc.boolean(), digits(1, 12), fc.option(digits(1, 10)))
  .map(([neg, whole, fraction]) => `${neg ? "-" : ""}${whole}${fraction === null ? "" : `.${fraction}`}`);
const bigintArb = fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n });
const decimalArb = fc.record({ units: fc.bigInt({ min: 0n, max: 10n ** 16n }), scale: fc.integer({ min: 0, max: 8 }) });

/** The value of a decimal as an exact rational compared against a reference: a·10^-s vs b·10^-t. */
const sameValue = (a: { units: bigint; scale: number }, b: { units: bigint; scale: number }) =>
  a.units * 10n ** BigInt(b.scale) === b.units * 10n ** BigInt(a.scale);

describe("parseDecimal / formatDecimal", () => {
  it("parses exactly: the value equals the string's digits over a power of ten", () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        const parsed = parseDecimal(text, LOOSE)!;
        expect(parsed).toBeDefined();
        const [whole, fraction = ""] = text.replace("-", "").split(".");
        const reference = { units: BigInt(whole! + fraction) * (text.startsWith("-") ? -1n : 1n), scale: fraction.length };
        expect(sameValue(parsed, reference)).toBe(true);
      }),
    );
  });

  it("round-trips through its canonical form", () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        const parsed = parseDecimal(text, LOOSE)!;
        const canonical = formatDecimal(parsed);
        expect(parseDecimal(canonical, LOOSE)).toEqual(parsed);
        expect(canonical).toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
      }),
    );
  });

  it("refuses floats' notations, junk and values beyond the limits", () => {
    for (const bad of ["", " 1", "1 ", "1e3", "1E3", "0x10", ".5", "5.", "+1", "1,5", "NaN", "Infinity", "--1", "1.2.3", "١"]) {
      expect(parseDecimal(bad, LOOSE), bad).toBeUndefined();
    }
    expect(parseDecimal("-1", { maxScale: 2, maxIntegerDigits: 3 })).toBeUndefined();
    expect(parseDecimal("1.234", { maxScale: 2, maxIntegerDigits: 3 })).toBeUndefined();
    expect(parseDecimal("1.230", { maxScale: 2, maxIntegerDigits: 3 })).toEqual({ units: 123n, scale: 2 });
    expect(parseDecimal("1000", { maxScale: 2, maxIntegerDigits: 3 })).toBeUndefined();
    expect(parseDecimal("0001", { maxScale: 2, maxIntegerDigits: 1 })).toEqual({ units: 1n, scale: 0 });
    expect(parseDecimal("-0.0", LOOSE)).toEqual({ units: 0n, scale: 0 });
  });
});

describe("the rounding rule: half away from zero", () => {
  it("matches the definition: |q − n/d| ≤ 1/2, ties away from zero, symmetric in sign", () => {
    fc.assert(
      fc.property(bigintArb, fc.bigInt({ min: 1n, max: 10n ** 18n }), (n, d) => {
        const q = divideRounded(n, d);
        const diff = q * d - n; // (q − n/d)·d
        expect(2n * (diff < 0n ? -diff : diff) <= d).toBe(true);
        if (2n * (diff < 0n ? -diff : diff) === d) expect(q < 0n ? -q * d > -n : q * d > n).toBe(q !== 0n || n === 0n);
        expect(divideRounded(-n, d)).toBe(-q);
      }),
    );
  });

  it("rounds the classic cases", () => {
    expect(divideRounded(5n, 10n)).toBe(1n);
    expect(divideRounded(-5n, 10n)).toBe(-1n);
    expect(divideRounded(15n, 10n)).toBe(2n);
    expect(divideRounded(25n, 10n)).toBe(3n); // not banker's rounding
    expect(divideRounded(14n, 10n)).toBe(1n);
    expect(divideRounded(-14n, 10n)).toBe(-1n);
    expect(divideRounded(0n, 7n)).toBe(0n);
    expect(() => divideRounded(1n, 0n)).toThrow();
  });

  it("multiplies by a decimal like the exact product, rounded once", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), decimalArb, (amount, factor) => {
        const exact = amount * factor.units; // over 10^scale
        const result = multiplyRounded(amount, factor);
        expect(result).toBe(divideRounded(exact, 10n ** BigInt(factor.scale)));
        // never drifts by more than half a minor unit
        const diff = result * 10n ** BigInt(factor.scale) - exact;
        expect(2n * (diff < 0n ? -diff : diff) <= 10n ** BigInt(factor.scale)).toBe(true);
      }),
    );
  });
});

describe("invoice lines", () => {
  it("computes net then tax on the rounded net, each rounded once", () => {
    // 3 × 3.33 = 9.99; 8.875 % of 999 cents = 88.66… → 89
    expect(lineAmounts(parseDecimal("3", LOOSE)!, 333n, parseDecimal("8.875", LOOSE)!)).toEqual({ net: 999n, tax: 89n });
    // 0.5 × 1 cent = 0.5 → 1 (half away from zero)
    expect(lineAmounts(parseDecimal("0.5", LOOSE)!, 1n, parseDecimal("0", LOOSE)!)).toEqual({ net: 1n, tax: 0n });
    // 1.5 × 1 cent at 50 % → net 2, tax 1
    expect(lineAmounts(parseDecimal("1.5", LOOSE)!, 1n, parseDecimal("50", LOOSE)!)).toEqual({ net: 2n, tax: 1n });
    // 2.5 × 1 → 3 (not 2: no banker's rounding)
    expect(lineAmounts(parseDecimal("2.5", LOOSE)!, 1n, parseDecimal("0", LOOSE)!).net).toBe(3n);
  });

  it("is monotone and within half a unit of the exact values", () => {
    fc.assert(
      fc.property(decimalArb, fc.bigInt({ min: 0n, max: 10n ** 10n }), fc.record({ units: fc.bigInt({ min: 0n, max: 1_000_000n }), scale: fc.constant(4) }), (qty, price, rate) => {
        const { net, tax } = lineAmounts(qty, price, rate);
        expect(net >= 0n && tax >= 0n).toBe(true);
        const scale = 10n ** BigInt(qty.scale);
        const netDiff = net * scale - price * qty.units;
        expect(2n * (netDiff < 0n ? -netDiff : netDiff) <= scale).toBe(true);
        const taxScale = 10n ** BigInt(rate.scale) * 100n;
        const taxDiff = tax * taxScale - net * rate.units;
        expect(2n * (taxDiff < 0n ? -taxDiff : taxDiff) <= taxScale).toBe(true);
        // more of the same never costs less
        const more = lineAmounts({ units: qty.units + 1n, scale: qty.scale }, price, rate);
        expect(more.net >= net && more.tax >= tax).toBe(true);
      }),
    );
  });
});

describe("allocate", () => {
  const weights = fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 30 }).filter((w) => w.some((x) => x > 0n));

  it("always sums to the total, exactly", () => {
    fc.assert(
      fc.property(bigintArb, weights, (total, w) => {
        const parts = allocate(total, w);
        expect(parts).toHaveLength(w.length);
        expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
      }),
    );
  });

  it("gives each part its proportional share within one unit, nothing to zero weights, same sign as the total", () => {
    fc.assert(
      fc.property(bigintArb, weights, (total, w) => {
        const parts = allocate(total, w);
        const sum = w.reduce((a, b) => a + b, 0n);
        parts.forEach((part, i) => {
          const exact = total * w[i]!; // over sum
          const diff = part * sum - exact;
          expect((diff < 0n ? -diff : diff) < sum).toBe(true);
          if (w[i] === 0n) expect(part).toBe(0n);
          if (total > 0n) expect(part >= 0n).toBe(true);
          if (total < 0n) expect(part <= 0n).toBe(true);
        });
      }),
    );
  });

  it("splits remainders deterministically, earlier parts first on ties", () => {
    expect(allocate(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(allocate(-100n, [1n, 1n, 1n])).toEqual([-34n, -33n, -33n]);
    expect(allocate(5n, [3n, 7n])).toEqual([2n, 3n]);
    expect(allocate(0n, [1n, 2n])).toEqual([0n, 0n]);
    expect(() => allocate(1n, [0n, 0n])).toThrow();
    expect(() => allocate(1n, [])).toThrow();
  });
});

describe("currencies", () => {
  it("parses and formats major-unit strings exactly per ISO 4217 exponent", () => {
    expect(parseMoney("12.34", "USD")).toBe(1234n);
    expect(parseMoney("12.3", "USD")).toBe(1230n);
    expect(parseMoney("12.345", "USD")).toBeUndefined();
    expect(parseMoney("1234", "JPY")).toBe(1234n);
    expect(parseMoney("12.5", "JPY")).toBeUndefined();
    expect(parseMoney("1.234", "KWD")).toBe(1234n);
    expect(formatMoney(1234n, "USD")).toBe("12.34");
    expect(formatMoney(5n, "USD")).toBe("0.05");
    expect(formatMoney(-5n, "USD")).toBe("-0.05");
    expect(formatMoney(1234n, "JPY")).toBe("1234");
    expect(formatMoney(1n, "KWD")).toBe("0.001");
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n - 1n), max: 10n ** 15n - 1n }), fc.constantFrom("USD", "JPY", "KWD", "CLF", "EUR"), (amount, currency) => {
        expect(parseMoney(formatMoney(amount, currency), currency)).toBe(amount);
      }),
    );
  });

  it("converts across exponents at an exact rate, rounded once", () => {
    const rate = (s: string) => parseDecimal(s, LOOSE)!;
    expect(convert(10000n, "EUR", "USD", rate("1.0834"))).toBe(10834n); // €100.00 → $108.34
    expect(convert(100n, "USD", "JPY", rate("151.235"))).toBe(151n); // $1.00 → ¥151
    expect(convert(1000n, "JPY", "USD", rate("0.0066125"))).toBe(661n); // ¥1000 → $6.6125 → $6.61
    expect(convert(1000n, "KWD", "USD", rate("3.25"))).toBe(325n); // 1.000 KWD → $3.25
    expect(convert(5n, "KWD", "USD", rate("1"))).toBe(1n); // 0.005 KWD → 0.5 cent → 1 cent
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 13n), max: 10n ** 13n }), (amount) => {
        // a rate of 1 between equal exponents changes nothing; conversion is odd-symmetric
        expect(convert(amount, "EUR", "USD", rate("1"))).toBe(amount);
        expect(convert(-amount, "EUR", "USD", rate("1.2345"))).toBe(-convert(amount, "EUR", "USD", rate("1.2345")));
      }),
    );
  });
});

describe("addExact / sumExact / toSafeNumber", () => {
  const safe = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  const beyond = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof ProblemError && error.status === 422 ? "422" : `other: ${String(error)}`;
    }
    return "returned";
  };

  it("adds safe integers exactly, or answers 422 as soon as a partial sum leaves the safe range", () => {
    fc.assert(
      fc.property(fc.array(safe, { maxLength: 6 }), (terms) => {
        let exact = 0n;
        const partialsSafe = terms.every((t) => {
          exact += BigInt(t);
          return exact >= BigInt(Number.MIN_SAFE_INTEGER) && exact <= BigInt(Number.MAX_SAFE_INTEGER);
        });
        if (partialsSafe) {
          expect(BigInt(addExact(...terms))).toBe(exact);
          expect(BigInt(sumExact(terms.map((amount) => ({ amount }))))).toBe(exact);
        } else {
          expect(beyond(() => addExact(...terms))).toBe("422");
          expect(beyond(() => sumExact(terms.map((amount) => ({ amount }))))).toBe("422");
        }
      }),
    );
  });

  it("stops where a float sum would silently round: 2^53 − 1 + 2 − 2", () => {
    // as plain numbers this comes back as 9007199254740990, one off
    expect(beyond(() => addExact(Number.MAX_SAFE_INTEGER, 2, -2))).toBe("422");
    expect(addExact(Number.MAX_SAFE_INTEGER, -2, 2)).toBe(Number.MAX_SAFE_INTEGER);
    expect(addExact()).toBe(0);
  });

  it("turns a bigint into a number only when it is a safe integer", () => {
    expect(toSafeNumber(9_007_199_254_740_991n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(toSafeNumber(-9_007_199_254_740_991n)).toBe(Number.MIN_SAFE_INTEGER);
    expect(beyond(() => toSafeNumber(9_007_199_254_740_992n))).toBe("422");
    expect(beyond(() => toSafeNumber(-(10n ** 20n)))).toBe("422");
  });
});
