import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  agingBucket,
  daysBetween,
  type EntryLine,
  entryProblems,
  imbalances,
  invoiceAmounts,
  isCalendarDate,
  priceLines,
  reversed,
} from "./ledger.js";
import { convert, type Decimal } from "./money.js";

const CURRENCIES = ["USD", "EUR", "JPY", "KWD"] as const;
const amountArb = fc.bigInt({ min: 1n, max: 10n ** 12n });
const rateArb: fc.Arbitrary<Decimal> = fc.record({ units: fc.bigInt({ min: 1n, max: 10n ** 9n }), scale: fc.integer({ min: 0, max: 8 }) });

/** A balanced entry: per currency, some debits and credits splitting the same total. */
const balancedEntry = fc
  .array(
    fc.record({
      currency: fc.constantFrom(...CURRENCIES),
      debits: fc.array(amountArb, { minLength: 1, maxLength: 4 }),
      creditParts: fc.integer({ min: 1, max: 4 }),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((groups) => {
    const lines: EntryLine[] = [];
    groups.forEach((g, gi) => {
      const total = g.debits.reduce((a, b) => a + b, 0n);
      g.debits.forEach((d, i) => {
        lines.push({ accountId: `acc_d${gi}_${i}`, currency: g.currency, debit: d, credit: 0n });
      });
      // credits: total split into creditParts positive pieces (the last takes the rest)
      let left = total;
      for (let i = 0; i < g.creditParts; i++) {
        const piece = i === g.creditParts - 1 ? left : left / BigInt(g.creditParts - i) || left;
        if (piece <= 0n) break;
        lines.push({ accountId: `acc_c${gi}_${i}`, currency: g.currency, debit: 0n, credit: piece });
        left -= piece;
      }
    });
    return lines;
  });

describe("pricing and balancing entries", () => {
  it("a balanced entry, priced at any rates, balances per currency and in the base currency", () => {
    fc.assert(
      fc.property(balancedEntry, fc.constantFrom(...CURRENCIES), fc.dictionary(fc.constantFrom(...CURRENCIES), rateArb), (lines, base, rates) => {
        expect(imbalances(lines)).toEqual([]);
        const priced = priceLines(lines, base, (c) => rates[c] ?? { units: 1n, scale: 0 });
        expect(entryProblems(priced)).toEqual([]);
        // each foreign group's base total is its total converted once
        for (const currency of new Set(lines.map((l) => l.currency))) {
          const group = priced.filter((l) => l.currency === currency);
          const total = group.reduce((s, l) => s + l.debit, 0n);
          const baseDebits = group.reduce((s, l) => s + l.baseDebit, 0n);
          const expected = currency === base ? total : convert(total, currency, base, rates[currency] ?? { units: 1n, scale: 0 });
          expect(baseDebits).toBe(expected);
          expect(group.reduce((s, l) => s + l.baseCredit, 0n)).toBe(expected);
        }
        // the reversal undoes it exactly
        const undone = [...priced, ...reversed(priced)];
        expect(entryProblems(reversed(priced))).toEqual([]);
        const net = new Map<string, bigint>();
        for (const l of undone) net.set(l.accountId, (net.get(l.accountId) ?? 0n) + l.baseDebit - l.baseCredit);
        for (const v of net.values()) expect(v).toBe(0n);
      }),
    );
  });

  it("refuses an entry that is off by any amount in any currency", () => {
    fc.assert(
      fc.property(balancedEntry, fc.nat({ max: 20 }), fc.bigInt({ min: 1n, max: 1000n }), (lines, pick, delta) => {
        const i = pick % lines.length;
        const broken = lines.map((l, k) => (k === i ? { ...l, debit: l.debit > 0n ? l.debit + delta : 0n, credit: l.credit > 0n ? l.credit + delta : 0n } : l));
        expect(imbalances(broken).length).toBeGreaterThan(0);
        const priced = broken.map((l) => ({ ...l, baseDebit: l.debit, baseCredit: l.credit }));
        expect(entryProblems(priced).length).toBeGreaterThan(0);
      }),
    );
  });

  it("refuses lines with both sides, no amount, or negative amounts, and entries of one line", () => {
    const ok = { accountId: "a", currency: "USD", debit: 100n, credit: 0n, baseDebit: 100n, baseCredit: 0n };
    const other = { accountId: "b", currency: "USD", debit: 0n, credit: 100n, baseDebit: 0n, baseCredit: 100n };
    expect(entryProblems([ok, other])).toEqual([]);
    expect(entryProblems([ok])).not.toEqual([]);
    expect(entryProblems([{ ...ok, credit: 100n, baseCredit: 100n }, { ...other, debit: 100n, baseDebit: 100n }])).not.toEqual([]);
    expect(entryProblems([{ ...ok, debit: 0n, baseDebit: 0n }, { ...other, credit: 0n, baseCredit: 0n }])).not.toEqual([]);
    expect(entryProblems([{ ...ok, debit: -100n, baseDebit: -100n }, { ...other, credit: -100n, baseCredit: -100n }])).not.toEqual([]);
    // a base-only adjustment line (realised FX) is fine when the base balances
    const fx = { accountId: "fx", currency: "EUR", debit: 0n, credit: 0n, baseDebit: 0n, baseCredit: 5n };
    expect(entryProblems([{ ...ok, currency: "EUR", baseDebit: 105n }, { ...other, currency: "EUR" }, fx])).toEqual([]);
  });
});

describe("invoice totals", () => {
  it("total = subtotal + tax = Σ lines, each line rounded once", () => {
    const lineArb = fc.record({
      description: fc.constant("x"),
      quantity: fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 999 })).filter(([a, b]) => a + b > 0).map(([a, b]) => `${a}.${b}`),
      unitPrice: fc.integer({ min: 0, max: 10_000_000 }),
      taxRate: fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 9999 })).map(([a, b]) => `${a}.${String(b).padStart(4, "0")}`),
    });
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 20 }), (lines) => {
        const a = invoiceAmounts(lines);
        expect(a.total).toBe(a.subtotal + a.taxTotal);
        expect(a.lines.reduce((s, l) => s + l.net, 0n)).toBe(a.subtotal);
        expect(a.lines.reduce((s, l) => s + l.tax, 0n)).toBe(a.taxTotal);
      }),
    );
  });
});

describe("dates and aging", () => {
  it("validates calendar dates", () => {
    for (const good of ["2024-02-29", "2025-12-31", "2000-01-01"]) expect(isCalendarDate(good), good).toBe(true);
    for (const bad of ["2025-02-29", "2025-13-01", "2025-1-1", "20250101", "2025-01-01T00:00:00Z", "", "2025-00-10"]) expect(isCalendarDate(bad), bad).toBe(false);
  });

  it("agrees with the calendar of Date on every YYYY-MM-DD shape", () => {
    const byDate = (text: string) => {
      const time = Date.parse(`${text}T00:00:00Z`);
      return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === text;
    };
    const pad = (n: number, width: number) => String(n).padStart(width, "0");
    const shape = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
      .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);
    fc.assert(fc.property(shape, (text) => isCalendarDate(text) === byDate(text)), { numRuns: 20_000 });
    for (const leap of ["1600-02-29", "2000-02-29", "2400-02-29"]) expect(isCalendarDate(leap)).toBe(byDate(leap));
    for (const common of ["1700-02-29", "1900-02-29", "2100-02-29"]) expect(isCalendarDate(common)).toBe(byDate(common));
  });

  it("buckets by days past due: current, 1–30, 31–60, 61–90, 90+", () => {
    expect(agingBucket("2025-03-31", "2025-03-31")).toBe("current");
    expect(agingBucket("2025-03-31", "2025-03-01")).toBe("current");
    expect(agingBucket("2025-03-31", "2025-04-01")).toBe("days1to30");
    expect(agingBucket("2025-03-31", "2025-04-30")).toBe("days1to30");
    expect(agingBucket("2025-03-31", "2025-05-01")).toBe("days31to60");
    expect(agingBucket("2025-03-31", "2025-05-30")).toBe("days31to60");
    expect(agingBucket("2025-03-31", "2025-05-31")).toBe("days61to90");
    expect(agingBucket("2025-03-31", "2025-06-29")).toBe("days61to90");
    expect(agingBucket("2025-03-31", "2025-06-30")).toBe("days90plus");
    expect(daysBetween("2024-02-28", "2024-03-01")).toBe(2);
  });
});
