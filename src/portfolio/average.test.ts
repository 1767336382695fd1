import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { convert } from "../finance/money.js";
import { averageRate, formatRatio, ratio, rateSchedule, ratioOf, translateAt } from "./average.js";
import { chooseRate, convertInverse, parseRate, type StoredRate } from "./conversion.js";
import { type BsBase, consolidateBalanceSheet, consolidatePnl, type PnlBase, translateBalanceSheet, translatePnl } from "./statements.js";
import { used } from "./test-support.js";

const DAY = 86_400_000;
const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
const CURRENCIES = ["USD", "EUR", "JPY", "KWD", "GBP"] as const;
const currencyArb = fc.constantFrom(...CURRENCIES);
const amountArb = fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 });
const rateTextArb = fc
  .record({ units: fc.bigInt({ min: 1n, max: 10n ** 9n }), scale: fc.integer({ min: 0, max: 6 }) })
  .map(({ units, scale }) => {
    const digits = units.toString().padStart(scale + 1, "0");
    return scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  })
  .filter((t) => parseRate(t) !== undefined);

describe("ratioOf and translateAt", () => {
  it("stand for the stored rate: direct as is, inverse divided through, identity 1", () => {
    expect(ratioOf(used("EUR", "USD", "1.0834"))).toEqual({ num: 5417n, den: 5000n });
    expect(ratioOf(used("USD", "EUR", "1.25", true))).toEqual({ num: 4n, den: 5n });
    expect(ratioOf(used("USD", "USD", "1"))).toEqual({ num: 1n, den: 1n });
    expect(translateAt(10000, "EUR", "USD", { num: 47n, den: 40n })).toBe(11750);
    expect(translateAt(1, "EUR", "USD", { num: 3n, den: 2n })).toBe(2); // 1.5 → 2
    expect(translateAt(-1, "EUR", "USD", { num: 3n, den: 2n })).toBe(-2); // half away from zero
    expect(translateAt(12345, "EUR", "JPY", { num: 160n, den: 1n })).toBe(19752); // 123.45 € × 160 = ¥19,752
    expect(translateAt(19752, "JPY", "EUR", { num: 1n, den: 160n })).toBe(12345);
  });

  it("give exactly what convert and convertInverse give for a stored rate (the GET /portfolio rule)", () => {
    fc.assert(
      fc.property(amountArb, currencyArb, currencyArb, rateTextArb, fc.boolean(), (amount, from, to, rate, inverse) => {
        fc.pre(from !== to);
        const expected = inverse ? convertInverse(BigInt(amount), from, to, parseRate(rate)!) : convert(BigInt(amount), from, to, parseRate(rate)!);
        fc.pre(expected <= BigInt(Number.MAX_SAFE_INTEGER) && expected >= -BigInt(Number.MAX_SAFE_INTEGER));
        expect(translateAt(amount, from, to, ratioOf(used(from, to, rate, inverse)))).toBe(Number(expected));
      }),
    );
  });

  it("round once, half away from zero: odd-symmetric and within half a minor unit of the exact product", () => {
    const ratioArb = fc.record({ num: fc.bigInt({ min: 1n, max: 10n ** 12n }), den: fc.bigInt({ min: 1n, max: 10n ** 12n }) });
    fc.assert(
      fc.property(amountArb, ratioArb, (amount, r) => {
        fc.pre((BigInt(Math.abs(amount)) * r.num) / r.den < BigInt(Number.MAX_SAFE_INTEGER));
        const result = translateAt(amount, "USD", "EUR", r);
        expect(translateAt(-amount, "USD", "EUR", r)).toBe(-result || 0);
        const diff = BigInt(result) * r.den - BigInt(amount) * r.num;
        expect(2n * (diff < 0n ? -diff : diff) <= r.den).toBe(true);
      }),
    );
  });

  it("formats a fraction for reading", () => {
    expect(formatRatio(ratio(47n, 40n))).toBe("1.175");
    expect(formatRatio(ratio(1n, 3n))).toBe("0.3333333333");
    expect(formatRatio(ratio(2n, 3n))).toBe("0.6666666667");
  });
});

describe("rateSchedule and averageRate", () => {
  const direct = (date: string, rate: string): StoredRate => ({ base: "EUR", quote: "USD", date, rate });
  const inverse = (date: string, rate: string): StoredRate => ({ base: "USD", quote: "EUR", date, rate });

  it("averages the rate in force on each day (hand-computed)", () => {
    // 1–4 March 1.1 (from February), 5–7 March 1.2, 8–10 March 1/0.8 = 1.25 (the newer inverse rate)
    const segments = rateSchedule("EUR", "USD", "2026-03-01", "2026-03-10", [direct("2026-02-20", "1.1"), direct("2026-03-05", "1.2")], [inverse("2026-03-08", "0.8")]);
    expect(segments?.map((s) => [s.from, s.to, s.days, s.rate.rate, s.rate.inverse])).toEqual([
      ["2026-03-01", "2026-03-04", 4, "1.1", false],
      ["2026-03-05", "2026-03-07", 3, "1.2", false],
      ["2026-03-08", "2026-03-10", 3, "0.8", true],
    ]);
    // (4 × 1.1 + 3 × 1.2 + 3 × 1.25) / 10 = 11.75 / 10
    expect(averageRate(segments!)).toEqual({ num: 47n, den: 40n });
    // rates after the period and repeated stretches of the same rate change nothing
    const same = rateSchedule("EUR", "USD", "2026-03-01", "2026-03-10", [direct("2026-02-01", "1.5"), direct("2026-03-11", "9")], []);
    expect(same?.map((s) => s.days)).toEqual([10]);
    expect(averageRate(same!)).toEqual({ num: 3n, den: 2n });
  });

  it("is undefined when some day of the period has no rate, and the identity for one currency", () => {
    expect(rateSchedule("EUR", "USD", "2026-03-01", "2026-03-10", [direct("2026-03-02", "1.1")], [])).toBeUndefined();
    expect(rateSchedule("EUR", "USD", "2026-03-01", "2026-03-10", [], [])).toBeUndefined();
    const identity = rateSchedule("USD", "USD", "2024-01-01", "2024-12-31", [], []);
    expect(identity?.[0]?.days).toBe(366);
    expect(averageRate(identity!)).toEqual({ num: 1n, den: 1n });
  });

  it("equals the day-by-day mean of the rates in force, and lies between their least and greatest", () => {
    const start = "2026-01-01";
    const storedArb = fc.array(fc.record({ day: fc.integer({ min: -10, max: 40 }), rate: rateTextArb, inverse: fc.boolean() }), { maxLength: 12 });
    fc.assert(
      fc.property(storedArb, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }), (stored, a, length) => {
        const from = addDays(start, a);
        const to = addDays(from, length);
        const byKey = new Map<string, StoredRate>();
        for (const s of stored) {
          const r = s.inverse ? inverse(addDays(start, s.day), s.rate) : direct(addDays(start, s.day), s.rate);
          byKey.set(`${r.base}${r.date}`, r); // one rate per pair and day, as the table keeps it
        }
        const all = [...byKey.values()];
        const d = all.filter((r) => r.base === "EUR");
        const v = all.filter((r) => r.base === "USD");
        const segments = rateSchedule("EUR", "USD", from, to, d, v);
        // brute force: each day on its own
        const newest = (list: StoredRate[], day: string) => list.filter((r) => r.date <= day).sort((x, y) => (x.date < y.date ? 1 : -1))[0];
        const daily = [];
        for (let k = 0; k <= length; k++) {
          const day = addDays(from, k);
          const u = chooseRate("EUR", "USD", newest(d, day), newest(v, day));
          daily.push(u ? ratioOf(u) : undefined);
        }
        if (daily.some((r) => r === undefined)) {
          expect(segments).toBeUndefined();
          return;
        }
        expect(segments).toBeDefined();
        expect(segments!.reduce((s, x) => s + x.days, 0)).toBe(length + 1);
        let num = 0n;
        let den = 1n;
        for (const r of daily) {
          num = num * r!.den + r!.num * den;
          den *= r!.den;
        }
        const avg = averageRate(segments!);
        // avg = num / (den × days), compared by cross-multiplication
        expect(avg.num * den * BigInt(length + 1)).toBe(num * avg.den);
        const lessOrEqual = (x: { num: bigint; den: bigint }, y: { num: bigint; den: bigint }) => x.num * y.den <= y.num * x.den;
        expect(daily.some((r) => lessOrEqual(r!, avg))).toBe(true);
        expect(daily.some((r) => lessOrEqual(avg, r!))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

const line = (type: string, code: string, amount: number) => ({ accountId: `acc_${code}`, code, name: `Account ${code}`, type, amount });

describe("translated statements", () => {
  // bounded so that every translated amount stays a safe integer (10^7 × 18 × 10^4 × 10^3 < 2^53)
  const smallAmountArb = fc.integer({ min: -10_000_000, max: 10_000_000 });
  const lineArb = (type: string) =>
    fc
      .array(fc.record({ code: fc.constantFrom("1000", "1100", "2000", "3000", "4000", "6000"), amount: smallAmountArb }), { maxLength: 6 })
      .map((ls) => ls.map((l) => line(type, l.code, l.amount)));
  const ratioArb = fc.record({ num: fc.bigInt({ min: 1n, max: 10_000n }), den: fc.bigInt({ min: 1n, max: 10_000n }) });

  it("a translated balance sheet balances exactly whatever the rates: the reserve takes the difference", () => {
    fc.assert(
      fc.property(lineArb("asset"), lineArb("liability"), lineArb("equity"), smallAmountArb, ratioArb, ratioArb, currencyArb, (assets, liabilities, equity, ytd, closing, average, to) => {
        const total = (ls: { amount: number }[]) => ls.reduce((s, l) => s + l.amount, 0);
        // a base sheet balances: the earnings are what assets less liabilities and equity accounts leave
        const prior = total(assets) - total(liabilities) - total(equity) - ytd;
        const base: BsBase = {
          currency: "EUR",
          assets,
          liabilities,
          equity,
          earnings: { priorYears: prior, yearToDate: ytd },
          translationReserve: 0,
          totals: { assets: 0, liabilities: 0, equity: 0, liabilitiesAndEquity: 0 },
          intercompany: [],
        };
        const t = translateBalanceSheet(base, to, closing, average);
        expect(t.totals.assets).toBe(t.totals.liabilitiesAndEquity);
        expect(t.totals.assets).toBe(t.assets.reduce((s, l) => s + l.amount, 0));
        // at one rate for everything, the reserve is only what rounding each line leaves (at most ½ unit per amount)
        const same = translateBalanceSheet(base, to, closing, closing);
        const amounts = assets.length + liabilities.length + equity.length + 2;
        expect(Math.abs(same.translationReserve)).toBeLessThanOrEqual(amounts / 2);
      }),
    );
  });

  it("consolidates: adds lines by code, eliminates both sides where both are included, reports a mismatch and still balances", () => {
    const pnl = (currency: string, revenue: number, expenses: number, intercompany: PnlBase["intercompany"]): PnlBase => ({
      currency,
      revenue: [line("revenue", "4000", revenue)],
      expenses: [line("expense", "6000", expenses)],
      totals: { revenue, expenses, netIncome: revenue - expenses },
      intercompany,
    });
    const a = translatePnl(pnl("USD", 100000, 20000, [{ counterpartyBusinessId: "b", revenue: 30000, expenses: 0 }]), "USD", { num: 1n, den: 1n });
    const b = translatePnl(pnl("EUR", 50000, 40000, [{ counterpartyBusinessId: "a", revenue: 0, expenses: 25000 }]), "USD", { num: 6n, den: 5n });
    const c = consolidatePnl("USD", [
      { businessId: "a", translated: a },
      { businessId: "b", translated: b },
    ]);
    expect(c.revenue).toEqual([{ type: "revenue", code: "4000", name: "Account 4000", amount: 160000 }]);
    expect(c.eliminations).toEqual([{ sellerBusinessId: "a", buyerBusinessId: "b", revenue: 30000, expenses: 30000, difference: 0 }]);
    expect(c.totals).toMatchObject({ revenue: 130000, expenses: 20000 + 48000 - 30000, netIncome: 130000 - 38000, eliminationDifference: 0 });
    // only one side in the set: nothing is eliminated
    expect(consolidatePnl("USD", [{ businessId: "a", translated: a }]).eliminations).toEqual([]);

    const bs = (receivables: number, payables: number, counterparty: string): BsBase => ({
      currency: "USD",
      assets: [line("asset", "1100", 70000)],
      liabilities: [line("liability", "2000", 20000)],
      equity: [line("equity", "3000", 50000)],
      earnings: { priorYears: 0, yearToDate: 0 },
      translationReserve: 0,
      totals: { assets: 70000, liabilities: 20000, equity: 50000, liabilitiesAndEquity: 70000 },
      intercompany: [{ counterpartyBusinessId: counterparty, receivables, payables }],
    });
    const sheet = consolidateBalanceSheet("USD", [
      { businessId: "a", translated: bs(12000, 0, "b") },
      { businessId: "b", translated: bs(0, 11990, "a") },
    ]);
    expect(sheet.eliminations).toEqual([{ creditorBusinessId: "a", debtorBusinessId: "b", receivables: 12000, payables: 11990, difference: 10 }]);
    expect(sheet.eliminationDifference).toBe(-10);
    expect(sheet.totals).toMatchObject({ assets: 140000 - 12000, liabilities: 40000 - 11990, equity: 100000 - 10 });
    expect(sheet.balanced).toBe(true);
    expect(sheet.totals.assets).toBe(sheet.totals.liabilitiesAndEquity);
  });
});
