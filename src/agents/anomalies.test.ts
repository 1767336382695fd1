import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectAnomalies, type Entry, type Payment, robustZ } from "./anomalies.js";

const entry = (id: string, date: string, amount: number, o: Partial<Entry> = {}): Entry => ({
  id,
  date,
  memo: null,
  sourceType: "manual",
  reversed: false,
  lines: [
    { accountId: "acc_rent", accountName: "Rent", debit: amount, credit: 0 },
    { accountId: "acc_cash", accountName: "Cash", debit: 0, credit: amount },
  ],
  ...o,
});

// a steady history: rent of ~1,200.xx every Monday from 2026-01-05 for 20 weeks
const monday = (i: number) => new Date(Date.UTC(2026, 0, 5 + 7 * i)).toISOString().slice(0, 10);
const history: Entry[] = Array.from({ length: 20 }, (_, i) => entry(`e${String(i).padStart(3, "0")}`, monday(i), 120_000 + (i % 5) * 1_37));

describe("robust z-score", () => {
  it("is undefined without spread and symmetric around the median", () => {
    expect(robustZ(5, [1, 1, 1])).toBeUndefined();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 3 }), fc.integer({ min: 0, max: 1000 }), (values, d) => {
        const z = robustZ(d, values);
        if (z !== undefined) expect(Number.isFinite(z)).toBe(true);
      }),
    );
  });
});

describe("detectAnomalies", () => {
  it("finds nothing in a steady history", () => {
    expect(detectAnomalies(history, [], 2, "2026-01-01")).toEqual([]);
  });

  it("flags an amount far from the account's usual, with the figures", () => {
    const flags = detectAnomalies([...history, entry("e100", "2026-06-03", 987_654)], [], 2, "2026-06-01");
    expect(flags.map((f) => f.kind)).toEqual(["unusual_amount"]);
    expect(flags[0]!.explanation).toMatch(/9876\.54 on Rent is far from its usual 12\d\d\.\d\d \(robust z-score \d+\.\d over 21 postings\)/);
  });

  it("flags a duplicate within three days, not one a month later, and not reversed entries", () => {
    const dup = detectAnomalies([...history, entry("e200", "2026-06-03", 55_555), entry("e201", "2026-06-05", 55_555)], [], 2, "2026-06-01");
    expect(dup.filter((f) => f.kind === "duplicate").map((f) => f.subjectId)).toEqual(["e201"]);
    const later = detectAnomalies([...history, entry("e200", "2026-05-03", 55_555), entry("e201", "2026-06-05", 55_555)], [], 2, "2026-06-01");
    expect(later.filter((f) => f.kind === "duplicate")).toEqual([]);
    const reversed = detectAnomalies([...history, entry("e200", "2026-06-03", 55_555, { reversed: true }), entry("e201", "2026-06-04", 55_555)], [], 2, "2026-06-01");
    expect(reversed.filter((f) => f.kind === "duplicate")).toEqual([]);
  });

  it("flags weekend manual entries when the business rarely posts on weekends, and round thousands", () => {
    const flags = detectAnomalies([...history, entry("e300", "2026-06-06", 120_100), entry("e301", "2026-06-03", 500_000)], [], 2, "2026-06-01");
    expect(flags.find((f) => f.kind === "weekend")).toMatchObject({ subjectId: "e300", explanation: expect.stringMatching(/Saturday/) });
    expect(flags.find((f) => f.kind === "round_amount")).toMatchObject({ subjectId: "e301", explanation: expect.stringMatching(/exactly 5000\.00/) });
  });

  it("flags a large first payment from a new customer", () => {
    const payments: Payment[] = [
      ...Array.from({ length: 6 }, (_, i) => ({ id: `p${i}`, date: `2026-0${1 + i}-10`, customerId: "c_old", customerName: "Old Co", amount: 10_000 })),
      { id: "p9", date: "2026-06-20", customerId: "c_new", customerName: "New Co", amount: 90_000 },
    ];
    const flags = detectAnomalies(history, payments, 2, "2026-06-01");
    expect(flags).toEqual([
      { kind: "first_time_counterparty", subjectType: "payment", subjectId: "p9", date: "2026-06-20", amount: 90_000, explanation: expect.stringMatching(/first payment from New Co, 900\.00/) },
    ]);
  });
});
