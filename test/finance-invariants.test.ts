/**
 * The ledger's invariants under random sequences of postings, invoices, payments, voids, reversals and
 * replays (fast-check, fixed seed), run through HTTP against the real server and checked against a
 * model after every sequence:
 *   Σ debits = Σ credits per entry (per currency and in base) and overall; each account's balance =
 *   Σ its postings (the trial balance's cached totals agree); amount due = total − Σ live payments ≥ 0;
 *   the trial balance and the balance sheet balance; replaying a request changes nothing.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allPages, type Client, client, createBusiness, createCustomer, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let token: string;

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  token = (await registerUser(api, "Invariant Owner")).token;
});
afterAll(async () => {
  await server.stop();
  removeDataDir(server.dataDir);
});


type Op =
  | { kind: "post"; debit: number; credit: number; amount: number; day: number; currency: "USD" | "EUR" }
  | { kind: "invoice"; currency: "USD" | "EUR"; day: number; lines: { quantity: string; unitPrice: number; taxRate: string }[]; issue: boolean }
  | { kind: "pay"; pick: number; permille: number; day: number }
  | { kind: "voidPayment"; pick: number }
  | { kind: "voidInvoice"; pick: number }
  | { kind: "reverse"; pick: number }
  | { kind: "replay" }
  | { kind: "lock"; day: number | null };

const day = fc.integer({ min: 0, max: 150 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("post" as const), debit: fc.nat(20), credit: fc.nat(20), amount: fc.integer({ min: 1, max: 5_000_000 }), day, currency: fc.constantFrom("USD" as const, "EUR" as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("invoice" as const),
      currency: fc.constantFrom("USD" as const, "EUR" as const),
      day,
      issue: fc.boolean(),
      lines: fc.array(
        fc.record({
          quantity: fc.constantFrom("1", "2", "0.5", "3.333", "10"),
          unitPrice: fc.integer({ min: 1, max: 500_000 }),
          taxRate: fc.constantFrom("0", "5", "8.875", "20"),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("pay" as const), pick: fc.nat(50), permille: fc.integer({ min: 1, max: 1300 }), day }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("voidPayment" as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("voidInvoice" as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reverse" as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.constant({ kind: "replay" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("lock" as const), day: fc.option(fc.integer({ min: 0, max: 120 }), { freq: 3 }) }) },
);

const dateOf = (d: number) => new Date(Date.UTC(2025, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);

interface ModelInvoice {
  id: string;
  total: number;
  issueDay: number;
  issued: boolean;
  void: boolean;
  /** live payments: id → amount and day */
  payments: Map<string, { amount: number; day: number }>;
  /** the latest day a payment of it was voided on (-1: none) */
  paymentVoidDay: number;
}


async function runSequence(ops: Op[]): Promise<void> {
  const businessId = await createBusiness(api, token, "Invariants", "USD");
  const base = `/businesses/${businessId}`;
  const accounts = (await allPages(api, `${base}/accounts`, token)).filter((a) => a.currency === null);
  const customer = await createCustomer(api, token, businessId, "Random Customer");
  for (const [date, rate] of [["2025-01-01", "1.1"], ["2025-03-01", "1.3"], ["2025-04-15", "0.95"]] as const) {
    expect((await api.post(`${base}/exchange-rates`, { currency: "EUR", date, rate }, { token })).status).toBe(201);
  }
  const invoices: ModelInvoice[] = [];
  const manualEntries: { id: string; reversed: boolean; day: number }[] = [];
  let lockDay = -1;
  const locked = (d: number) => d <= lockDay;
  let entryCount = 0;
  let last: { path: string; body: unknown; key: string; status: number; text: string } | undefined;
  let keySeq = 0;

  const write = async (path: string, body: unknown) => {
    const key = `k${++keySeq}`;
    const res = await api.post(path, body, { token, headers: { "Idempotency-Key": key } });
    expect(res.status, `${path} ${res.text}`).toBeLessThan(500);
    if (res.status < 300) last = { path, body, key, status: res.status, text: res.text };
    return res;
  };

  for (const op of ops) {
    switch (op.kind) {
      case "post": {
        const debit = accounts[op.debit % accounts.length]!.id;
        const credit = accounts[(op.debit + 1 + (op.credit % (accounts.length - 1))) % accounts.length]!.id;
        const res = await write(`${base}/journal-entries`, {
          date: dateOf(op.day),
          lines: [{ accountId: debit, debit: op.amount, currency: op.currency }, { accountId: credit, credit: op.amount, currency: op.currency }],
        });
        if (locked(op.day)) {
          expect(res.status, res.text).toBe(422);
          break;
        }
        expect(res.status, res.text).toBe(201);
        manualEntries.push({ id: res.body.id, reversed: false, day: op.day });
        entryCount += 1;
        break;
      }
      case "invoice": {
        const res = await write(`${base}/invoices`, {
          customerId: customer,
          currency: op.currency,
          issueDate: dateOf(op.day),
          dueDate: dateOf(op.day + 30),
          lines: op.lines.map((l, i) => ({ description: `line ${i}`, ...l })),
        });
        expect(res.status, res.text).toBe(201);
        const inv: ModelInvoice = { id: res.body.id, total: res.body.total, issueDay: op.day, issued: false, void: false, payments: new Map(), paymentVoidDay: -1 };
        invoices.push(inv);
        if (op.issue) {
          const issued = await write(`${base}/invoices/${inv.id}/issue`, undefined);
          if (locked(op.day)) expect(issued.status, issued.text).toBe(422);
          else {
            expect(issued.status, issued.text).toBe(200);
            inv.issued = true;
            entryCount += 1;
          }
        }
        break;
      }
      case "pay": {
        const open = invoices.filter((i) => i.issued && !i.void);
        if (open.length === 0) break;
        const inv = open[op.pick % open.length]!;
        const due = inv.total - [...inv.payments.values()].reduce((a, b) => a + b.amount, 0);
        const amount = Math.max(1, Math.floor((inv.total * op.permille) / 1000));
        const payDay = Math.max(inv.issueDay, op.day);
        const res = await write(`${base}/payments`, { invoiceId: inv.id, amount, date: dateOf(payDay) });
        if (amount <= due && !locked(payDay)) {
          expect(res.status, res.text).toBe(201);
          inv.payments.set(res.body.id, { amount, day: payDay });
          entryCount += 1;
        } else {
          expect(res.status, res.text).toBe(422);
        }
        break;
      }
      case "voidPayment": {
        const live = invoices.flatMap((i) => [...i.payments.keys()].map((p) => ({ inv: i, p })));
        if (live.length === 0) break;
        const { inv, p } = live[op.pick % live.length]!;
        const res = await write(`${base}/payments/${p}/void`, undefined);
        if (locked(inv.payments.get(p)!.day)) {
          expect(res.status, res.text).toBe(422);
          break;
        }
        expect(res.status, res.text).toBe(200);
        // voided without a date: dated like the payment
        inv.paymentVoidDay = Math.max(inv.paymentVoidDay, inv.payments.get(p)!.day);
        inv.payments.delete(p);
        entryCount += 1;
        break;
      }
      case "voidInvoice": {
        const candidates = invoices.filter((i) => !i.void);
        if (candidates.length === 0) break;
        const inv = candidates[op.pick % candidates.length]!;
        const res = await write(`${base}/invoices/${inv.id}/void`, undefined);
        // voided without a date: dated like the issue, refused before a void of its payments
        if (inv.payments.size > 0 || (inv.issued && (locked(inv.issueDay) || inv.paymentVoidDay > inv.issueDay))) {
          expect(res.status, res.text).toBe(422);
        } else {
          expect(res.status, res.text).toBe(200);
          if (inv.issued) entryCount += 1;
          inv.void = true;
        }
        break;
      }
      case "reverse": {
        if (manualEntries.length === 0) break;
        const entry = manualEntries[op.pick % manualEntries.length]!;
        const res = await write(`${base}/journal-entries/${entry.id}/reverse`, undefined);
        if (entry.reversed || locked(entry.day)) expect(res.status, res.text).toBe(422);
        else {
          expect(res.status, res.text).toBe(201);
          entry.reversed = true;
          entryCount += 1;
        }
        break;
      }
      case "lock": {
        const res = await api.patch(`${base}/ledger-settings`, { lockDate: op.day === null ? null : dateOf(op.day) }, { token });
        expect(res.status, res.text).toBe(200);
        lockDay = op.day ?? -1;
        break;
      }
      case "replay": {
        if (!last) break;
        const res = await api.post(last.path, last.body, { token, headers: { "Idempotency-Key": last.key } });
        expect(res.status).toBe(last.status);
        expect(res.text).toBe(last.text);
        expect(res.headers.get("idempotent-replayed")).toBe("true");
        break;
      }
    }
  }

  // --- invariants
  const entries = await allPages(api, `${base}/journal-entries`, token);
  expect(entries).toHaveLength(entryCount);
  const balances = new Map<string, number>();
  let debits = 0;
  let credits = 0;
  for (const e of entries) {
    const perCurrency = new Map<string, number>();
    let baseNet = 0;
    for (const l of e.lines) {
      expect(Number.isSafeInteger(l.debit) && Number.isSafeInteger(l.baseDebit)).toBe(true);
      perCurrency.set(l.currency, (perCurrency.get(l.currency) ?? 0) + l.debit - l.credit);
      baseNet += l.baseDebit - l.baseCredit;
      debits += l.baseDebit;
      credits += l.baseCredit;
      balances.set(l.accountId, (balances.get(l.accountId) ?? 0) + l.baseDebit - l.baseCredit);
    }
    for (const [currency, net] of perCurrency) expect(net, `${e.id} ${currency}`).toBe(0);
    expect(baseNet, e.id).toBe(0);
  }
  expect(debits).toBe(credits);

  const tb = (await api.get(`${base}/reports/trial-balance?asOf=2099-12-31`, { token })).body;
  expect(tb.totals.debit).toBe(tb.totals.credit);
  const reported = new Map<string, number>(tb.accounts.map((a: any) => [a.accountId, a.debit - a.credit]));
  for (const [id, b] of balances) expect(reported.get(id) ?? 0, id).toBe(b);
  for (const [id, b] of reported) expect(balances.get(id) ?? 0, id).toBe(b);
  // the ledger of each account ends at its balance
  for (const [id, b] of balances) {
    const ledger = await allPages(api, `${base}/accounts/${id}/ledger`, token);
    const account = accounts.find((a) => a.id === id) ?? (await api.get(`${base}/accounts/${id}`, { token })).body;
    const sign = account.type === "asset" || account.type === "expense" ? 1 : -1;
    expect(ledger.length === 0 ? 0 : ledger[ledger.length - 1].balance, id).toBe(sign * b + 0);
  }
  // the journal filtered by account lists exactly the entries with a line on it
  for (const id of [...balances.keys()].slice(0, 4)) {
    const expected = entries.filter((e) => e.lines.some((l: any) => l.accountId === id)).map((e) => e.id);
    expect((await allPages(api, `${base}/journal-entries?accountId=${id}`, token)).map((e) => e.id), id).toEqual(expected);
  }
  const sheet = (await api.get(`${base}/reports/balance-sheet?asOf=2099-12-31`, { token })).body;
  expect(sheet.balanced).toBe(true);
  const pnl = (await api.get(`${base}/reports/profit-and-loss?from=2000-01-01&to=2099-12-31`, { token })).body;
  expect(pnl.totals.netIncome).toBe(sheet.currentEarnings);
  const gl = (await api.get(`${base}/reports/general-ledger?from=2025-03-01&to=2099-12-31`, { token })).body;
  expect(gl.totals.debit).toBe(gl.totals.credit);
  for (const a of gl.accounts) {
    const sign = a.type === "asset" || a.type === "expense" ? 1 : -1;
    expect(a.closing, a.accountId).toBe(sign * (balances.get(a.accountId) ?? 0) + 0);
  }

  let receivable = 0;
  for (const inv of invoices) {
    const got = (await api.get(`${base}/invoices/${inv.id}`, { token })).body;
    const paid = [...inv.payments.values()].reduce((a, b) => a + b.amount, 0);
    expect(got.amountPaid).toBe(paid);
    if (inv.void) expect(got.status).toBe("void");
    else if (!inv.issued) expect(got.status).toBe("draft");
    else {
      expect(got.amountDue).toBe(inv.total - paid);
      expect(got.amountDue).toBeGreaterThanOrEqual(0);
      expect(got.status).toBe(paid === 0 ? "issued" : paid === inv.total ? "paid" : "partially_paid");
      receivable += got.amountDue;
    }
  }
  // AR aging (base currency) is zero exactly when nothing is owed
  const aging = (await api.get(`${base}/reports/ar-aging?asOf=2099-12-31`, { token })).body;
  expect(aging.totals.total === 0).toBe(receivable === 0);
  const verify = (await api.get(`${base}/audit/verify`, { token })).body;
  expect(verify.valid).toBe(true);
}

describe("ledger invariants under random sequences", () => {
  it("hold after every sequence of postings, invoices, payments, voids, reversals and replays", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
        await runSequence(ops);
      }),
      { numRuns: 30, seed: 4_2025, endOnFailure: true },
    );
  });
});
