/**
 * The findings of the outside finance audit, each as a black-box test through HTTP against the real
 * server: bodies of action routes, void dates, the account a payment goes into, rates of journal
 * entries, customers in use, rounding of partial foreign payments, problem details and the lock date.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountsByKey, allPages, type Client, client, createBusiness, createCustomer, registerUser } from "./support/api.js";
import { expectProblem } from "./support/problem.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
});
afterAll(async () => {
  await server.stop();
  removeDataDir(server.dataDir);
});

interface Setup {
  token: string;
  businessId: string;
  base: string;
  accounts: Record<string, { id: string; code: string; type: string }>;
  customer: string;
}

async function setup(baseCurrency = "USD"): Promise<Setup> {
  const owner = await registerUser(api, "Audit Owner");
  const businessId = await createBusiness(api, owner.token, "Audited Inc", baseCurrency);
  const accounts = await accountsByKey(api, owner.token, businessId);
  const customer = await createCustomer(api, owner.token, businessId, "Audit Customer");
  return { token: owner.token, businessId, base: `/businesses/${businessId}`, accounts, customer };
}

async function draft(s: Setup, o: { currency?: string; issueDate?: string; unitPrice?: number; exchangeRate?: string } = {}) {
  const res = await api.post(
    `${s.base}/invoices`,
    {
      customerId: s.customer,
      currency: o.currency ?? "USD",
      issueDate: o.issueDate ?? "2026-03-01",
      dueDate: "2026-03-31",
      ...(o.exchangeRate ? { exchangeRate: o.exchangeRate } : {}),
      lines: [{ description: "Work", quantity: "1", unitPrice: o.unitPrice ?? 1000, taxRate: "0" }],
    },
    { token: s.token },
  );
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string };
}

async function issued(s: Setup, o: Parameters<typeof draft>[1] = {}) {
  const inv = await draft(s, o);
  const res = await api.post(`${s.base}/invoices/${inv.id}/issue`, undefined, { token: s.token });
  expect(res.status, res.text).toBe(200);
  return res.body as { id: string; issueEntryId: string };
}

const rawPost = (path: string, token: string, rawBody: string) =>
  api.request("POST", path, { token, rawBody, headers: { "Content-Type": "application/json" } });

const entries = async (s: Setup) => allPages(api, `${s.base}/journal-entries`, s.token);

describe("action routes take a strict, optional body", () => {
  it("refuses malformed JSON and unknown fields on issue, and issues nothing; no body or {} still issue", async () => {
    const s = await setup();
    const inv = await draft(s);
    expectProblem(await rawPost(`${s.base}/invoices/${inv.id}/issue`, s.token, '{"issueDate": "2026-05-01", broken'), 400);
    expectProblem(await api.post(`${s.base}/invoices/${inv.id}/issue`, { foo: 1 }, { token: s.token }), 400, "foo");
    expectProblem(await api.post(`${s.base}/invoices/${inv.id}/issue`, { issueDate: "2026-05-01" }, { token: s.token }), 400, "issueDate");
    expect((await api.get(`${s.base}/invoices/${inv.id}`, { token: s.token })).body).toMatchObject({ status: "draft", number: null });
    expect(await entries(s)).toEqual([]);

    const withEmpty = await api.post(`${s.base}/invoices/${inv.id}/issue`, {}, { token: s.token });
    expect(withEmpty.status, withEmpty.text).toBe(200);
    expect(withEmpty.body).toMatchObject({ status: "issued", number: "INV-000001" });
    const other = await draft(s);
    const withNone = await api.post(`${s.base}/invoices/${other.id}/issue`, undefined, { token: s.token });
    expect(withNone.status, withNone.text).toBe(200);
  });

  it("refuses malformed JSON and unknown fields on the other action routes too", async () => {
    const s = await setup();
    const inv = await issued(s);
    const pay = await api.post(`${s.base}/payments`, { invoiceId: inv.id, amount: 100, date: "2026-03-02" }, { token: s.token });
    const manual = await api.post(
      `${s.base}/journal-entries`,
      { date: "2026-03-01", lines: [{ accountId: s.accounts.cash!.id, debit: 5 }, { accountId: s.accounts.equity!.id, credit: 5 }] },
      { token: s.token },
    );
    for (const path of [`/invoices/${inv.id}/void`, `/payments/${pay.body.id}/void`, `/journal-entries/${manual.body.id}/reverse`]) {
      expectProblem(await rawPost(`${s.base}${path}`, s.token, "{broken"), 400);
      expectProblem(await api.post(`${s.base}${path}`, { foo: 1 }, { token: s.token }), 400, "foo");
    }
    expect((await api.get(`${s.base}/payments/${pay.body.id}`, { token: s.token })).body.status).toBe("posted");
    expect((await api.get(`${s.base}/journal-entries/${manual.body.id}`, { token: s.token })).body.reversedBy).toBeNull();
  });
});

describe("void dates", () => {
  it("refuses an invoice void dated before its payments' voids, which would leave a negative receivable", async () => {
    const s = await setup();
    const inv = await issued(s, { issueDate: "2026-03-01", unitPrice: 1000 });
    const pay = await api.post(`${s.base}/payments`, { invoiceId: inv.id, amount: 300, date: "2026-03-10" }, { token: s.token });
    expect(pay.status, pay.text).toBe(201);
    expect((await api.post(`${s.base}/payments/${pay.body.id}/void`, { date: "2026-03-20" }, { token: s.token })).status).toBe(200);

    expectProblem(await api.post(`${s.base}/invoices/${inv.id}/void`, { date: "2026-03-12" }, { token: s.token }), 422, "date");
    // no date: the void would be dated like the issue, before the payment's void
    expectProblem(await api.post(`${s.base}/invoices/${inv.id}/void`, undefined, { token: s.token }), 422, "date");
    expect((await api.get(`${s.base}/invoices/${inv.id}`, { token: s.token })).body.status).toBe("issued");

    const voided = await api.post(`${s.base}/invoices/${inv.id}/void`, { date: "2026-03-20" }, { token: s.token });
    expect(voided.status, voided.text).toBe(200);
    const sheet = await api.get(`${s.base}/reports/balance-sheet?asOf=2026-03-15`, { token: s.token });
    const amount = (id: string) => sheet.body.assets.find((a: any) => a.accountId === id)?.amount ?? 0;
    expect(amount(s.accounts.cash!.id)).toBe(300);
    expect(amount(s.accounts.receivable!.id)).toBe(700);
    const aging = await api.get(`${s.base}/reports/ar-aging?asOf=2026-03-15`, { token: s.token });
    expect(aging.body.totals.total).toBe(700);
  });

  it("refuses a payment void dated before the payment, and an invoice void dated before the issue", async () => {
    const s = await setup();
    const inv = await issued(s, { issueDate: "2026-03-01" });
    const pay = await api.post(`${s.base}/payments`, { invoiceId: inv.id, amount: 300, date: "2026-03-10" }, { token: s.token });
    expectProblem(await api.post(`${s.base}/payments/${pay.body.id}/void`, { date: "2026-03-09" }, { token: s.token }), 422, "date");
    expect((await api.post(`${s.base}/payments/${pay.body.id}/void`, undefined, { token: s.token })).status).toBe(200);
    const other = await issued(s, { issueDate: "2026-03-01" });
    expectProblem(await api.post(`${s.base}/invoices/${other.id}/void`, { date: "2026-02-28" }, { token: s.token }), 422, "date");
  });
});

describe("the account a payment goes into", () => {
  it("refuses the receivable and tax payable accounts; another asset account is fine", async () => {
    const s = await setup();
    const inv = await issued(s);
    for (const key of ["receivable", "tax_payable"]) {
      const res = await api.post(`${s.base}/payments`, { invoiceId: inv.id, amount: 100, date: "2026-03-02", accountId: s.accounts[key]!.id }, { token: s.token });
      expectProblem(res, 422, "accountId");
    }
    expect((await api.get(`${s.base}/invoices/${inv.id}`, { token: s.token })).body).toMatchObject({ amountPaid: 0, amountDue: 1000 });
    expect(await allPages(api, `${s.base}/payments`, s.token)).toEqual([]);
    expect(await entries(s)).toHaveLength(1);

    const bank = await api.post(`${s.base}/accounts`, { code: "1010", name: "Bank", type: "asset" }, { token: s.token });
    const res = await api.post(`${s.base}/payments`, { invoiceId: inv.id, amount: 100, date: "2026-03-02", accountId: bank.body.id }, { token: s.token });
    expect(res.status, res.text).toBe(201);
    expect(res.body.accountId).toBe(bank.body.id);
  });
});

describe("rates given with a journal entry", () => {
  it("refuses a base-currency rate other than 1 and a currency listed twice, and posts nothing", async () => {
    const s = await setup();
    const cash = s.accounts.cash!.id;
    const rent = s.accounts["6200"]!.id;
    const usd = { date: "2026-03-01", lines: [{ accountId: rent, debit: 100 }, { accountId: cash, credit: 100 }] };
    expectProblem(await api.post(`${s.base}/journal-entries`, { ...usd, exchangeRates: [{ currency: "USD", rate: "2" }] }, { token: s.token }), 422, "exchangeRates.0.rate");
    const eur = { date: "2026-03-01", lines: [{ accountId: rent, debit: 100, currency: "EUR" }, { accountId: cash, credit: 100, currency: "EUR" }] };
    const twice = await api.post(`${s.base}/journal-entries`, { ...eur, exchangeRates: [{ currency: "EUR", rate: "1.5" }, { currency: "EUR", rate: "2" }] }, { token: s.token });
    expectProblem(twice, 400, "exchangeRates.1.currency");
    expect(await entries(s)).toEqual([]);
    // the base currency at 1 says nothing new: accepted
    const one = await api.post(`${s.base}/journal-entries`, { ...usd, exchangeRates: [{ currency: "USD", rate: "1.000" }] }, { token: s.token });
    expect(one.status, one.text).toBe(201);
  });
});

describe("customers in use", () => {
  it("refuses to delete a CRM company that any invoice names as customer, draft or void included", async () => {
    const s = await setup();
    const inv = await draft(s);
    const refused = await api.delete(`${s.base}/companies/${s.customer}`, { token: s.token });
    expectProblem(refused, 422, "companyId");
    expect(refused.body.detail).toMatch(/invoice/);
    await api.post(`${s.base}/invoices/${inv.id}/void`, undefined, { token: s.token });
    expectProblem(await api.delete(`${s.base}/companies/${s.customer}`, { token: s.token }), 422, "companyId");
    expect((await api.get(`${s.base}/companies/${s.customer}`, { token: s.token })).status).toBe(200);
    // a company no invoice names is deleted as before
    const free = await createCustomer(api, s.token, s.businessId, "Never invoiced");
    expect((await api.delete(`${s.base}/companies/${free}`, { token: s.token })).status).toBe(204);
  });
});

describe("partial payments of foreign invoices", () => {
  it("clear the receivable cumulatively: same-rate payments book no FX and AR aging agrees with the ledger", async () => {
    const s = await setup("USD");
    // ¥3 at 0.005 = 1.5 cents → 2 cents
    const inv = await issued(s, { currency: "JPY", unitPrice: 3, exchangeRate: "0.005" });
    expect((await api.get(`${s.base}/invoices/${inv.id}`, { token: s.token })).body).toMatchObject({ total: 3, baseTotal: 2 });
    const receivableAsOf = async (asOf: string) => {
      const tb = await api.get(`${s.base}/reports/trial-balance?asOf=${asOf}`, { token: s.token });
      const row = tb.body.accounts.find((a: any) => a.accountId === s.accounts.receivable!.id);
      return row ? row.debit - row.credit : 0;
    };
    const payments = [];
    for (const date of ["2026-03-02", "2026-03-03", "2026-03-04"]) {
      const pay = await api.post(`${s.base}/payments`, { invoiceId: inv.id, amount: 1, date, exchangeRate: "0.005" }, { token: s.token });
      expect(pay.status, pay.text).toBe(201);
      expect(pay.body.realisedFx, date).toBe(0);
      payments.push(pay.body);
      const aging = await api.get(`${s.base}/reports/ar-aging?asOf=${date}`, { token: s.token });
      expect(aging.body.totals.total, date).toBe(await receivableAsOf(date));
    }
    // round(1 × 0.5) = 1, round(2 × 0.5) − 1 = 0, the rest: 1
    expect(payments.map((p) => p.baseAmount)).toEqual([1, 0, 1]);
    expect(await receivableAsOf("2026-03-03")).toBe(1);
    expect(await receivableAsOf("2026-03-04")).toBe(0);
    const tb = await api.get(`${s.base}/reports/trial-balance?asOf=2026-12-31`, { token: s.token });
    expect(tb.body.accounts.find((a: any) => a.accountId === s.accounts.fx_gain_loss!.id)).toBeUndefined();
  });

  it("book FX only on what another rate changes", async () => {
    const s = await setup("USD");
    const inv = await issued(s, { currency: "JPY", unitPrice: 3, exchangeRate: "0.005" });
    const first = await api.post(`${s.base}/payments`, { invoiceId: inv.id, amount: 1, date: "2026-03-02", exchangeRate: "0.005" }, { token: s.token });
    expect(first.body).toMatchObject({ baseAmount: 1, realisedFx: 0 });
    // ¥1 at 0.012 = 1.2 → 1 cent received; it clears round(¥2 × 0.5) − 1 = 0 cents, so the cent is FX
    const second = await api.post(`${s.base}/payments`, { invoiceId: inv.id, amount: 1, date: "2026-03-03", exchangeRate: "0.012" }, { token: s.token });
    expect(second.body).toMatchObject({ baseAmount: 1, realisedFx: 1 });
  });
});

describe("problem details", () => {
  it("name the field or the route's subject in errors for every refusal of a state or rule", async () => {
    const s = await setup();
    const inv = await issued(s);
    expectProblem(await api.patch(`${s.base}/invoices/${inv.id}`, { memo: "late" }, { token: s.token }), 422, "invoiceId");
    expectProblem(await api.post(`${s.base}/invoices/${inv.id}/issue`, undefined, { token: s.token }), 422, "invoiceId");
    const reversed = await api.post(`${s.base}/journal-entries/${inv.issueEntryId}/reverse`, {}, { token: s.token });
    expectProblem(reversed, 422, "entryId");
    expect(reversed.body.detail).toContain("belongs to an invoice");

    const pay = await api.post(`${s.base}/payments`, { invoiceId: inv.id, amount: 100, date: "2026-03-02" }, { token: s.token });
    expect((await api.post(`${s.base}/payments/${pay.body.id}/void`, undefined, { token: s.token })).status).toBe(200);
    expectProblem(await api.post(`${s.base}/payments/${pay.body.id}/void`, undefined, { token: s.token }), 422, "paymentId");
    const payReversal = await api.post(`${s.base}/journal-entries/${pay.body.entryId}/reverse`, {}, { token: s.token });
    expect(payReversal.body.detail).toContain("belongs to a payment");
    expect((await api.post(`${s.base}/invoices/${inv.id}/void`, { date: "2026-03-02" }, { token: s.token })).status).toBe(200);
    expectProblem(await api.post(`${s.base}/invoices/${inv.id}/void`, { date: "2026-03-02" }, { token: s.token }), 422, "invoiceId");

    expectProblem(await api.delete(`${s.base}/accounts/${s.accounts.cash!.id}`, { token: s.token }), 422, "accountId");
    expectProblem(await api.patch(`${s.base}/accounts/${s.accounts.cash!.id}`, { archived: true }, { token: s.token }), 422, "archived");
    const travel = await api.post(`${s.base}/accounts`, { code: "6400", name: "Travel", type: "expense" }, { token: s.token });
    await api.post(
      `${s.base}/journal-entries`,
      { date: "2026-03-01", lines: [{ accountId: travel.body.id, debit: 5 }, { accountId: s.accounts.cash!.id, credit: 5 }] },
      { token: s.token },
    );
    expectProblem(await api.delete(`${s.base}/accounts/${travel.body.id}`, { token: s.token }), 422, "accountId");
    expectProblem(await api.post(`${s.base}/accounts`, { code: "6400", name: "Again", type: "expense" }, { token: s.token }), 409, "code");
    expectProblem(await api.patch(`${s.base}/accounts/${travel.body.id}`, { code: "1000" }, { token: s.token }), 409, "code");
  });

  it("say what a quantity's real limit is", async () => {
    const s = await setup();
    const res = await api.post(
      `${s.base}/invoices`,
      { customerId: s.customer, currency: "USD", issueDate: "2026-03-01", dueDate: "2026-03-31", lines: [{ description: "x", quantity: "1000000000", unitPrice: 1, taxRate: "0" }] },
      { token: s.token },
    );
    expectProblem(res, 400, "lines.0.quantity");
    expect(res.body.errors[0].message).toMatch(/9 integer digits/);
  });
});

describe("the lock date", () => {
  it("moves later for an accountant; moving it earlier or clearing it takes an owner or admin", async () => {
    const s = await setup();
    const [accountant, admin] = [await registerUser(api, "Accountant"), await registerUser(api, "Admin")];
    for (const [u, role] of [[accountant, "accountant"], [admin, "admin"]] as const) {
      expect((await api.post(`${s.base}/members`, { email: u.email, role }, { token: s.token })).status).toBe(201);
    }
    const lock = (token: string, lockDate: string | null) => api.patch(`${s.base}/ledger-settings`, { lockDate }, { token });
    expect((await lock(accountant.token, "2026-01-31")).status).toBe(200);
    expect((await lock(accountant.token, "2026-02-28")).status).toBe(200);
    expect((await lock(accountant.token, "2026-02-28")).status).toBe(200);
    for (const earlier of ["2026-01-31", null]) {
      const refused = await lock(accountant.token, earlier);
      expect(refused.status, refused.text).toBe(403);
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
      expect(refused.body.detail).toMatch(/owner or an admin/);
    }
    expect((await api.get(`${s.base}/ledger-settings`, { token: s.token })).body.lockDate).toBe("2026-02-28");
    expect((await lock(admin.token, "2026-01-31")).body.lockDate).toBe("2026-01-31");
    expect((await lock(s.token, null)).body.lockDate).toBeNull();
  });
});

describe("numbers written with a fraction or exponent", () => {
  it("are refused before JSON.parse can round them into whole amounts, and nothing is posted", async () => {
    const s = await setup();
    const invoice = await issued(s);
    const post = (path: string, text: string) =>
      fetch(`${server.url}/api/v1${s.base}${path}`, { method: "POST", headers: { Authorization: `Bearer ${s.token}`, "Content-Type": "application/json" }, body: text });
    const refused = [
      ["/payments", `{"invoiceId":"${invoice.id}","amount":1.0000000000000001,"date":"2026-03-05"}`, "amount"],
      ["/payments", `{"invoiceId":"${invoice.id}","amount":1e2,"date":"2026-03-05"}`, "amount"],
      [
        "/invoices",
        `{"customerId":"${s.customer}","currency":"USD","issueDate":"2026-03-01","dueDate":"2026-03-31","lines":[{"description":"x","quantity":"1","unitPrice":999.9999999999999999,"taxRate":"0"}]}`,
        "lines.0.unitPrice",
      ],
    ] as const;
    for (const [path, text, field] of refused) {
      const res = await post(path, text);
      expect(res.status, text).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe(field);
    }
    expect((await api.get(`${s.base}/payments`, { token: s.token })).body.data).toEqual([]);
    expect((await api.get(`${s.base}/invoices`, { token: s.token })).body.data).toHaveLength(1);
    // the same amounts written as integers, and decimals inside strings, are fine
    const fine = await post("/payments", `{"invoiceId":"${invoice.id}","amount":1,"date":"2026-03-05"}`);
    expect(fine.status).toBe(201);
  });
});

describe("the ledger's capacity", () => {
  it("refuses an entry that would take lifetime postings past 2^53 − 1 minor units, and every total stays exact", async () => {
    const s = await setup();
    const max = 10_000_000_000_000; // one line's limit
    const entry = (lines: number, amount = max) => ({
      date: "2026-03-01",
      lines: [
        ...Array.from({ length: lines }, () => ({ accountId: s.accounts.cash!.id, debit: amount })),
        ...Array.from({ length: lines }, () => ({ accountId: s.accounts.equity!.id, credit: amount })),
      ],
    });
    // 3 × 250 + 150 lines of 10^13: 9 × 10^15 in all, 7,199,254,740,991 below the capacity
    for (const lines of [250, 250, 250, 150]) {
      const res = await api.post(`${s.base}/journal-entries`, entry(lines), { token: s.token });
      expect(res.status, res.text).toBe(201);
    }
    expectProblem(await api.post(`${s.base}/journal-entries`, entry(1), { token: s.token }), 422, "lines");
    const last = await api.post(`${s.base}/journal-entries`, entry(1, 7_199_254_740_991), { token: s.token });
    expect(last.status, last.text).toBe(201);
    expectProblem(await api.post(`${s.base}/journal-entries`, entry(1, 1), { token: s.token }), 422, "lines");
    // refused after the entry's rows were written: with a key, the rows are undone and the refusal kept
    const keyed = { token: s.token, headers: { "Idempotency-Key": "past-capacity" } };
    expectProblem(await api.post(`${s.base}/journal-entries`, entry(1, 1), keyed), 422, "lines");
    const repeat = await api.post(`${s.base}/journal-entries`, entry(1, 1), keyed);
    expectProblem(repeat, 422, "lines");
    expect(repeat.headers.get("idempotent-replayed")).toBe("true");
    expect(await entries(s)).toHaveLength(5);
    const tb = await api.get(`${s.base}/reports/trial-balance?asOf=2026-12-31`, { token: s.token });
    expect(tb.body.totals).toEqual({ debit: Number.MAX_SAFE_INTEGER, credit: Number.MAX_SAFE_INTEGER });
    const sheet = await api.get(`${s.base}/reports/balance-sheet?asOf=2026-12-31`, { token: s.token });
    expect(sheet.body.totals.assets).toBe(Number.MAX_SAFE_INTEGER);
    expect(sheet.body.balanced).toBe(true);
  });
});
