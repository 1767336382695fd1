/**
 * Money under concurrent load, through HTTP: many simultaneous payments against one invoice never
 * overpay it, every acknowledged request is persisted (also across kill -9 and a restart), concurrent
 * repeats of one Idempotency-Key apply once, and the ledger stays balanced.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountsByKey, type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let token: string;
let businessId: string;
let base: string;
let dataDir: string;
let accounts: Record<string, { id: string }>;

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  dataDir = server.dataDir;
  api = client(server.url);
  token = (await registerUser(api, "Stress Owner")).token;
  businessId = await createBusiness(api, token, "Busy Books", "USD");
  base = `/businesses/${businessId}`;
  accounts = await accountsByKey(api, token, businessId);
});
afterAll(async () => {
  await server?.stop();
  removeDataDir(dataDir);
});

async function createCustomer(name: string): Promise<string> {
  const res = await api.post(`${base}/companies`, { name }, { token });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

async function issuedInvoice(customerId: string, unitPrice: number, currency = "USD"): Promise<string> {
  const inv = await api.post(
    `${base}/invoices`,
    { customerId, currency, issueDate: "2025-06-01", dueDate: "2025-06-30", lines: [{ description: "Load", quantity: "1", unitPrice, taxRate: "0" }] },
    { token },
  );
  expect(inv.status, inv.text).toBe(201);
  const issued = await api.post(`${base}/invoices/${inv.body.id}/issue`, undefined, { token });
  expect(issued.status, issued.text).toBe(200);
  return inv.body.id;
}

async function ledgerBalanced() {
  const tb = await api.get(`${base}/reports/trial-balance?asOf=2099-12-31`, { token });
  expect(tb.status).toBe(200);
  expect(tb.body.totals.debit).toBe(tb.body.totals.credit);
  const sheet = await api.get(`${base}/reports/balance-sheet?asOf=2099-12-31`, { token });
  expect(sheet.body.balanced).toBe(true);
  return tb.body;
}

/**
 * A POST with an Idempotency-Key, repeated with the same key when the connection fails before an
 * answer (a reset under load): that is what the key is for, and it can never apply the request twice.
 */
async function postOnce(path: string, body: unknown, key: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await api.post(path, body, { token, headers: { "Idempotency-Key": key } });
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

const acknowledged: { paymentId: string; invoiceId: string; amount: number }[] = [];
const postedEntries: string[] = [];

describe("concurrent payments", () => {
  it("never overpays an invoice, however many payments arrive at once", async () => {
    const customer = await createCustomer("Many Payments Co");
    const invoiceId = await issuedInvoice(customer, 100_000);
    // 300 payments of 500 at once: exactly 200 fit
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => postOnce(`${base}/payments`, { invoiceId, amount: 500, date: "2025-06-10" }, `storm-${i}`)),
    );
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 422);
    expect(ok.length + refused.length, results.map((r) => r.status).join(",")).toBe(300);
    expect(ok).toHaveLength(200);
    for (const r of ok) acknowledged.push({ paymentId: r.body.id, invoiceId, amount: 500 });
    const invoice = await api.get(`${base}/invoices/${invoiceId}`, { token });
    expect(invoice.body).toMatchObject({ status: "paid", amountPaid: 100_000, amountDue: 0 });
    const listed = await api.get(`${base}/payments?invoiceId=${invoiceId}&limit=200`, { token });
    const second = await api.get(`${base}/payments?invoiceId=${invoiceId}&limit=200&cursor=${listed.body.nextCursor}`, { token });
    expect(listed.body.data.length + (listed.body.nextCursor ? second.body.data.length : 0)).toBe(200);
    const tb = await ledgerBalanced();
    // receivable back at zero, cash holds exactly what was acknowledged
    expect(tb.accounts.find((a: any) => a.accountId === accounts.receivable!.id)).toBeUndefined();
    expect(tb.accounts.find((a: any) => a.accountId === accounts.cash!.id)).toMatchObject({ debit: 100_000, credit: 0 });
  });

  it("with mixed amounts and several invoices at once, the acknowledged payments add up and none exceeds the total", async () => {
    const customer = await createCustomer("Mixed Co");
    const invoices = [await issuedInvoice(customer, 12_345), await issuedInvoice(customer, 7_777), await issuedInvoice(customer, 50_000)];
    const totals = new Map(invoices.map((id, i) => [id, [12_345, 7_777, 50_000][i]!]));
    const sends = Array.from({ length: 240 }, (_, i) => {
      const invoiceId = invoices[i % 3]!;
      const amount = 1 + ((i * 7919) % 900);
      return postOnce(`${base}/payments`, { invoiceId, amount, date: "2025-06-11" }, `mixed-${i}`).then((r) => ({ r, invoiceId, amount }));
    });
    const results = await Promise.all(sends);
    for (const { r, invoiceId, amount } of results) {
      expect([201, 422], r.text).toContain(r.status);
      if (r.status === 201) acknowledged.push({ paymentId: r.body.id, invoiceId, amount });
    }
    for (const invoiceId of invoices) {
      const paid = acknowledged.filter((a) => a.invoiceId === invoiceId).reduce((s, a) => s + a.amount, 0);
      const got = await api.get(`${base}/invoices/${invoiceId}`, { token });
      expect(got.body.amountPaid).toBe(paid);
      expect(paid).toBeLessThanOrEqual(totals.get(invoiceId)!);
      expect(got.body.amountDue).toBe(totals.get(invoiceId)! - paid);
    }
    await ledgerBalanced();
  });

  it("applies concurrent repeats of one Idempotency-Key once, all answered alike", async () => {
    const customer = await createCustomer("Retry Co");
    const invoiceId = await issuedInvoice(customer, 9_000);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => postOnce(`${base}/payments`, { invoiceId, amount: 1_000, date: "2025-06-12" }, "same-retry")),
    );
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    acknowledged.push({ paymentId: results[0]!.body.id, invoiceId, amount: 1_000 });
    expect((await api.get(`${base}/invoices/${invoiceId}`, { token })).body.amountPaid).toBe(1_000);
  });

  it("keeps every one of many concurrent journal postings", async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        postOnce(
          `${base}/journal-entries`,
          { date: "2025-06-15", memo: `concurrent ${i}`, lines: [{ accountId: accounts["6000"]!.id, debit: 100 + i }, { accountId: accounts.cash!.id, credit: 100 + i }] },
          `entry-${i}`,
        ),
      ),
    );
    for (const r of results) {
      expect(r.status, r.text).toBe(201);
      postedEntries.push(r.body.id);
    }
    await ledgerBalanced();
  });

  it("loses nothing acknowledged across kill -9 and a restart", async () => {
    const killed = await server.stop("SIGKILL");
    expect(killed).toBeNull();
    server = await startServer({ dataDir, env: { RATE_LIMIT_PER_SECOND: "0" } });
    api = client(server.url);
    for (const a of acknowledged) {
      const got = await api.get(`${base}/payments/${a.paymentId}`, { token });
      expect(got.status, a.paymentId).toBe(200);
      expect(got.body).toMatchObject({ invoiceId: a.invoiceId, amount: a.amount, status: "posted" });
    }
    for (const id of postedEntries) expect((await api.get(`${base}/journal-entries/${id}`, { token })).status).toBe(200);
    const byInvoice = new Map<string, number>();
    for (const a of acknowledged) byInvoice.set(a.invoiceId, (byInvoice.get(a.invoiceId) ?? 0) + a.amount);
    for (const [invoiceId, paid] of byInvoice) expect((await api.get(`${base}/invoices/${invoiceId}`, { token })).body.amountPaid).toBe(paid);
    await ledgerBalanced();
    const verify = await api.get(`${base}/audit/verify`, { token });
    expect(verify.body, verify.text).toMatchObject({ valid: true });
  });

  it("keeps the cached daily and lifetime totals equal to the postings themselves", () => {
    const db = new Database(join(dataDir, "businesses", `${businessId}.db`), { readonly: true, timeout: 5000 });
    try {
      const fromPostings = db
        .prepare(
          `SELECT account_id, date, currency, SUM(debit) d, SUM(credit) c, SUM(base_debit) bd, SUM(base_credit) bc
             FROM postings GROUP BY account_id, date, currency ORDER BY account_id, date, currency`,
        )
        .all();
      const cached = db
        .prepare("SELECT account_id, date, currency, debit d, credit c, base_debit bd, base_credit bc FROM ledger_daily ORDER BY account_id, date, currency")
        .all();
      expect(fromPostings.length).toBeGreaterThan(0);
      expect(cached).toEqual(fromPostings);
      // the lifetime totals that bound every figure (migration 0010)
      const lifetime = db.prepare("SELECT currency, debit FROM ledger_totals ORDER BY currency").all();
      const fromPostingsLifetime = db
        .prepare("SELECT '*' AS currency, SUM(base_debit) AS debit FROM postings UNION ALL SELECT currency, SUM(debit) FROM postings GROUP BY currency ORDER BY currency")
        .all();
      expect(lifetime).toEqual(fromPostingsLifetime);
      const paid = db
        .prepare(
          `SELECT i.id, i.amount_paid, i.base_cleared,
                  (SELECT COALESCE(SUM(amount), 0) FROM payments p WHERE p.invoice_id = i.id AND p.void_entry_id IS NULL) AS sum,
                  (SELECT COALESCE(SUM(base_cleared), 0) FROM payments p WHERE p.invoice_id = i.id AND p.void_entry_id IS NULL) AS base_sum
             FROM invoices i`,
        )
        .all() as any[];
      expect(paid.length).toBeGreaterThan(0);
      for (const row of paid) {
        expect(row.amount_paid, row.id).toBe(row.sum);
        expect(row.base_cleared, row.id).toBe(row.base_sum);
      }
    } finally {
      db.close();
    }
  });
});
