/**
 * Accounting through HTTP against the real server: the chart of accounts, the journal, the ledger,
 * exchange rates, invoices, payments and the statements.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountsByKey, allPages, type Client, client, createBusiness, createCustomer, registerUser } from "./support/api.js";
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
  accounts: Record<string, { id: string; code: string; type: string }>;
  base: string;
}

async function setup(baseCurrency = "USD"): Promise<Setup> {
  const owner = await registerUser(api, "Finance Owner");
  const businessId = await createBusiness(api, owner.token, "Books Inc", baseCurrency);
  return { token: owner.token, businessId, accounts: await accountsByKey(api, owner.token, businessId), base: `/businesses/${businessId}` };
}

const line = (accountId: string, debit: number, credit: number, extra: Record<string, unknown> = {}) => ({ accountId, debit, credit, ...extra });

async function trialBalance(s: Setup, asOf = "2099-12-31") {
  const tb = await api.get(`${s.base}/reports/trial-balance?asOf=${asOf}`, { token: s.token });
  expect(tb.status, tb.text).toBe(200);
  return tb.body;
}


/** Every account's balance recomputed from the journal's postings, and checked against the trial balance. */
async function assertLedgerConsistent(s: Setup) {
  const entries = await allPages(api, `${s.base}/journal-entries`, s.token);
  const balances = new Map<string, number>();
  let debits = 0;
  let credits = 0;
  for (const e of entries) {
    const perCurrency = new Map<string, number>();
    let entryBase = 0;
    for (const l of e.lines) {
      perCurrency.set(l.currency, (perCurrency.get(l.currency) ?? 0) + l.debit - l.credit);
      entryBase += l.baseDebit - l.baseCredit;
      balances.set(l.accountId, (balances.get(l.accountId) ?? 0) + l.baseDebit - l.baseCredit);
      debits += l.baseDebit;
      credits += l.baseCredit;
    }
    for (const [currency, diff] of perCurrency) expect(diff, `${e.id} ${currency}`).toBe(0);
    expect(entryBase, e.id).toBe(0);
  }
  expect(debits).toBe(credits);
  const tb = await trialBalance(s);
  expect(tb.totals.debit).toBe(tb.totals.credit);
  const fromReport = new Map<string, number>(tb.accounts.map((a: any) => [a.accountId, a.debit - a.credit]));
  for (const [accountId, balance] of balances) expect(fromReport.get(accountId) ?? 0, accountId).toBe(balance);
  for (const [accountId, balance] of fromReport) expect(balances.get(accountId) ?? 0, accountId).toBe(balance);
  return { entries, balances };
}

describe("chart of accounts", () => {
  it("starts every business with a standard chart", async () => {
    const s = await setup();
    for (const key of ["cash", "receivable", "tax_payable", "equity", "retained_earnings", "revenue", "fx_gain_loss"]) {
      expect(s.accounts[key], key).toBeDefined();
    }
    expect(s.accounts.receivable).toMatchObject({ code: "1100", type: "asset", currency: null, archived: false });
    expect(s.accounts.tax_payable!.type).toBe("liability");
    expect(s.accounts.revenue!.type).toBe("revenue");
    expect(Object.values(s.accounts).some((a) => a.type === "expense")).toBe(true);
    // codes are unique and the list is in code order
    const codes = (await allPages(api, `${s.base}/accounts`, s.token)).map((a) => a.code);
    expect(codes).toEqual([...codes].sort());
    expect(new Set(codes).size).toBe(codes.length);
  });

  it("creates, updates with If-Match, archives and deletes accounts; codes stay unique", async () => {
    const s = await setup();
    const created = await api.post(`${s.base}/accounts`, { code: "6300", name: "Software", type: "expense" }, { token: s.token });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ code: "6300", name: "Software", type: "expense", currency: null, systemKey: null, archived: false });
    const got = await api.get(`${s.base}/accounts/${created.body.id}`, { token: s.token });
    expect(got.body).toEqual(created.body);
    expect(got.headers.get("etag")).toBe(created.headers.get("etag"));

    expect((await api.post(`${s.base}/accounts`, { code: "6300", name: "Again", type: "expense" }, { token: s.token })).status).toBe(409);
    for (const bad of [
      { code: "6301", name: "x", type: "nonsense" },
      { code: "6301", name: "x", type: "expense", currency: "XYZ" },
      { code: "", name: "x", type: "expense" },
      { code: "6301", name: "x", type: "expense", extra: true },
    ]) {
      expect((await api.post(`${s.base}/accounts`, bad, { token: s.token })).status, JSON.stringify(bad)).toBe(400);
    }

    const etag = created.headers.get("etag")!;
    const renamed = await api.patch(`${s.base}/accounts/${created.body.id}`, { name: "Software subscriptions" }, { token: s.token, headers: { "If-Match": etag } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("Software subscriptions");
    expect((await api.patch(`${s.base}/accounts/${created.body.id}`, { name: "Stale" }, { token: s.token, headers: { "If-Match": etag } })).status).toBe(412);
    expect((await api.patch(`${s.base}/accounts/${created.body.id}`, { code: "1000" }, { token: s.token })).status).toBe(409);

    const archived = await api.patch(`${s.base}/accounts/${created.body.id}`, { archived: true }, { token: s.token });
    expect(archived.body.archived).toBe(true);
    const active = await allPages(api, `${s.base}/accounts?archived=false`, s.token);
    expect(active.map((a) => a.id)).not.toContain(created.body.id);
    expect((await allPages(api, `${s.base}/accounts?archived=true`, s.token)).map((a) => a.id)).toEqual([created.body.id]);
    // an archived account takes no postings
    const onArchived = await api.post(
      `${s.base}/journal-entries`,
      { date: "2025-01-10", lines: [line(created.body.id, 100, 0), line(s.accounts.cash!.id, 0, 100)] },
      { token: s.token },
    );
    expect(onArchived.status).toBe(422);

    // standard accounts cannot be archived, retyped or deleted
    expect((await api.patch(`${s.base}/accounts/${s.accounts.receivable!.id}`, { archived: true }, { token: s.token })).status).toBe(422);
    expect((await api.delete(`${s.base}/accounts/${s.accounts.receivable!.id}`, { token: s.token })).status).toBe(422);
    expect((await api.delete(`${s.base}/accounts/${created.body.id}`, { token: s.token })).status).toBe(204);
    expect((await api.get(`${s.base}/accounts/${created.body.id}`, { token: s.token })).status).toBe(404);
  });

  it("refuses to delete or retype an account with postings", async () => {
    const s = await setup();
    const acc = await api.post(`${s.base}/accounts`, { code: "6400", name: "Travel", type: "expense" }, { token: s.token });
    const posted = await api.post(
      `${s.base}/journal-entries`,
      { date: "2025-02-01", lines: [line(acc.body.id, 500, 0), line(s.accounts.cash!.id, 0, 500)] },
      { token: s.token },
    );
    expect(posted.status, posted.text).toBe(201);
    expect((await api.delete(`${s.base}/accounts/${acc.body.id}`, { token: s.token })).status).toBe(422);
    expect((await api.patch(`${s.base}/accounts/${acc.body.id}`, { type: "asset" }, { token: s.token })).status).toBe(422);
    expect((await api.get(`${s.base}/accounts/${acc.body.id}`, { token: s.token })).status).toBe(200);
  });

  it("checks permissions: viewers and sales read, accountants write", async () => {
    const s = await setup();
    const viewer = await registerUser(api, "Viewer");
    const sales = await registerUser(api, "Sales");
    const accountant = await registerUser(api, "Accountant");
    for (const [u, role] of [[viewer, "viewer"], [sales, "sales"], [accountant, "accountant"]] as const) {
      expect((await api.post(`${s.base}/members`, { email: u.email, role }, { token: s.token })).status).toBe(201);
    }
    const body = { code: "6500", name: "Fees", type: "expense" };
    expect((await api.get(`${s.base}/accounts`, { token: viewer.token })).status).toBe(200);
    expect((await api.get(`${s.base}/reports/trial-balance`, { token: sales.token })).status).toBe(200);
    expect((await api.post(`${s.base}/accounts`, body, { token: viewer.token })).status).toBe(403);
    expect((await api.post(`${s.base}/accounts`, body, { token: sales.token })).status).toBe(403);
    expect((await api.post(`${s.base}/journal-entries`, { date: "2025-01-01", lines: [] }, { token: sales.token })).status).toBe(403);
    expect((await api.post(`${s.base}/accounts`, body, { token: accountant.token })).status).toBe(201);
  });
});

describe("journal", () => {
  it("posts balanced entries, refuses unbalanced ones with 422 and posts nothing", async () => {
    const s = await setup();
    const cash = s.accounts.cash!.id;
    const equity = s.accounts.equity!.id;
    const ok = await api.post(`${s.base}/journal-entries`, { date: "2025-01-02", memo: "Capital", lines: [line(cash, 100000, 0), line(equity, 0, 100000)] }, { token: s.token });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toMatchObject({
      date: "2025-01-02",
      memo: "Capital",
      source: { type: "manual", id: null },
      reversalOf: null,
      reversedBy: null,
      baseCurrency: "USD",
      lines: [
        { accountId: cash, currency: "USD", debit: 100000, credit: 0, baseDebit: 100000, baseCredit: 0 },
        { accountId: equity, currency: "USD", debit: 0, credit: 100000, baseDebit: 0, baseCredit: 100000 },
      ],
    });
    const got = await api.get(`${s.base}/journal-entries/${ok.body.id}`, { token: s.token });
    expect(got.body).toEqual(ok.body);

    const unbalanced = await api.post(`${s.base}/journal-entries`, { date: "2025-01-02", lines: [line(cash, 100, 0), line(equity, 0, 99)] }, { token: s.token });
    expect(unbalanced.status).toBe(422);
    expect(unbalanced.headers.get("content-type")).toContain("application/problem+json");
    const unknown = await api.post(`${s.base}/journal-entries`, { date: "2025-01-02", lines: [line("acc_nothing", 100, 0), line(equity, 0, 100)] }, { token: s.token });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].path).toBe("lines.0.accountId");
    for (const bad of [
      { date: "2025-01-02", lines: [line(cash, 10.5, 0), line(equity, 0, 10.5)] }, // fractional minor units
      { date: "2025-01-02", lines: [line(cash, -100, 0), line(equity, 0, -100)] },
      { date: "2025-01-02", lines: [line(cash, 100, 100), line(equity, 100, 100)] }, // both sides
      { date: "2025-01-02", lines: [line(cash, 0, 0), line(equity, 0, 0)] },
      { date: "2025-01-02", lines: [line(cash, 100, 0)] }, // one line
      { date: "2025-02-30", lines: [line(cash, 100, 0), line(equity, 0, 100)] },
      { date: "2025-01-02", lines: [{ accountId: cash, debit: "100" }, { accountId: equity, credit: "100" }] },
      { date: "2025-01-02", lines: [line(cash, 1e14, 0), line(equity, 0, 1e14)] },
      { date: "2025-01-02", lines: [line(cash, 100, 0, { extra: 1 }), line(equity, 0, 100)] },
    ]) {
      const res = await api.post(`${s.base}/journal-entries`, bad, { token: s.token });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    const entries = await allPages(api, `${s.base}/journal-entries`, s.token);
    expect(entries.map((e) => e.id)).toEqual([ok.body.id]);
  });

  it("never changes a posted entry; reversal makes the linked correcting entry, once", async () => {
    const s = await setup();
    const cash = s.accounts.cash!.id;
    const rent = s.accounts["6200"]!.id;
    const entry = await api.post(`${s.base}/journal-entries`, { date: "2025-03-01", lines: [line(rent, 2500, 0), line(cash, 0, 2500)] }, { token: s.token });
    expect((await api.patch(`${s.base}/journal-entries/${entry.body.id}`, { memo: "x" }, { token: s.token })).status).toBe(404);
    expect((await api.delete(`${s.base}/journal-entries/${entry.body.id}`, { token: s.token })).status).toBe(404);

    const reversal = await api.post(`${s.base}/journal-entries/${entry.body.id}/reverse`, undefined, { token: s.token });
    expect(reversal.status, reversal.text).toBe(201);
    expect(reversal.body).toMatchObject({
      date: "2025-03-01",
      reversalOf: entry.body.id,
      source: { type: "reversal", id: entry.body.id },
      lines: [
        { accountId: rent, debit: 0, credit: 2500 },
        { accountId: cash, debit: 2500, credit: 0 },
      ],
    });
    const original = await api.get(`${s.base}/journal-entries/${entry.body.id}`, { token: s.token });
    expect(original.body).toEqual({ ...entry.body, reversedBy: reversal.body.id });
    expect((await api.post(`${s.base}/journal-entries/${entry.body.id}/reverse`, {}, { token: s.token })).status).toBe(422);
    expect((await api.post(`${s.base}/journal-entries/${reversal.body.id}/reverse`, {}, { token: s.token })).status).toBe(422);
    expect((await api.post(`${s.base}/journal-entries/jnl_nothing/reverse`, {}, { token: s.token })).status).toBe(404);
    const tb = await trialBalance(s);
    expect(tb.accounts).toEqual([]);
    await assertLedgerConsistent(s);
    // entries posted by hand are audited as themselves
    const audit = (await allPages(api, `${s.base}/audit`, s.token)).filter((e) => e.targetType === "journal_entry");
    expect(audit.map((e) => [e.action, e.targetId])).toEqual([
      ["journal_entry.posted", entry.body.id],
      ["journal_entry.posted", reversal.body.id],
      ["journal_entry.reversed", entry.body.id],
    ]);
  });

  it("refuses postings on or before the lock date", async () => {
    const s = await setup();
    const cash = s.accounts.cash!.id;
    const equity = s.accounts.equity!.id;
    const early = await api.post(`${s.base}/journal-entries`, { date: "2025-01-15", lines: [line(cash, 100, 0), line(equity, 0, 100)] }, { token: s.token });
    expect(early.status).toBe(201);
    const locked = await api.patch(`${s.base}/ledger-settings`, { lockDate: "2025-01-31" }, { token: s.token });
    expect(locked.status).toBe(200);
    expect(locked.body).toMatchObject({ lockDate: "2025-01-31", baseCurrency: "USD", nextInvoiceNumber: "INV-000001" });
    for (const date of ["2025-01-31", "2024-12-01"]) {
      const res = await api.post(`${s.base}/journal-entries`, { date, lines: [line(cash, 100, 0), line(equity, 0, 100)] }, { token: s.token });
      expect(res.status, date).toBe(422);
    }
    // a reversal dated in the locked period is refused; dated after it, accepted
    expect((await api.post(`${s.base}/journal-entries/${early.body.id}/reverse`, {}, { token: s.token })).status).toBe(422);
    const reversal = await api.post(`${s.base}/journal-entries/${early.body.id}/reverse`, { date: "2025-02-01" }, { token: s.token });
    expect(reversal.status).toBe(201);
    expect((await api.post(`${s.base}/journal-entries`, { date: "2025-02-01", lines: [line(cash, 100, 0), line(equity, 0, 100)] }, { token: s.token })).status).toBe(201);
    expect((await api.patch(`${s.base}/ledger-settings`, { lockDate: null }, { token: s.token })).body.lockDate).toBeNull();
    expect((await api.post(`${s.base}/journal-entries`, { date: "2025-01-31", lines: [line(cash, 100, 0), line(equity, 0, 100)] }, { token: s.token })).status).toBe(201);
  });

  it("lists with filters and pages; the general ledger keeps running balances", async () => {
    const s = await setup();
    const cash = s.accounts.cash!.id;
    const equity = s.accounts.equity!.id;
    const rent = s.accounts["6200"]!.id;
    await api.post(`${s.base}/journal-entries`, { date: "2025-01-01", lines: [line(cash, 10000, 0), line(equity, 0, 10000)] }, { token: s.token });
    for (let i = 1; i <= 6; i++) {
      const res = await api.post(`${s.base}/journal-entries`, { date: `2025-0${i}-15`, lines: [line(rent, 1000, 0), line(cash, 0, 1000)] }, { token: s.token });
      expect(res.status).toBe(201);
    }
    expect(await allPages(api, `${s.base}/journal-entries`, s.token)).toHaveLength(7);
    expect(await allPages(api, `${s.base}/journal-entries?accountId=${equity}`, s.token)).toHaveLength(1);
    const q2 = await allPages(api, `${s.base}/journal-entries?from=2025-04-01&to=2025-06-30`, s.token);
    expect(q2.map((e) => e.date)).toEqual(["2025-04-15", "2025-05-15", "2025-06-15"]);
    expect(await allPages(api, `${s.base}/journal-entries?source=invoice`, s.token)).toEqual([]);

    // cash: +10000, then −1000 six times; pages of two carry the balance across
    const rows: any[] = [];
    let cursor: string | null = null;
    let opening: number | undefined;
    for (let i = 0; i < 10; i++) {
      const page: any = await api.get(`${s.base}/accounts/${cash}/ledger?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: s.token });
      expect(page.status).toBe(200);
      opening ??= page.body.openingBalance;
      if (rows.length > 0) expect(page.body.openingBalance).toBe(rows[rows.length - 1].balance);
      rows.push(...page.body.data);
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(opening).toBe(0);
    expect(rows.map((r) => r.balance)).toEqual([10000, 9000, 8000, 7000, 6000, 5000, 4000]);
    const fromApril = await api.get(`${s.base}/accounts/${cash}/ledger?from=2025-04-01`, { token: s.token });
    expect(fromApril.body.openingBalance).toBe(7000);
    expect(fromApril.body.data.map((r: any) => r.balance)).toEqual([6000, 5000, 4000]);
    // equity is credit-normal: its balance is positive
    const equityLedger = await api.get(`${s.base}/accounts/${equity}/ledger`, { token: s.token });
    expect(equityLedger.body.data.map((r: any) => r.balance)).toEqual([10000]);
    // by account, in pages of two: every entry touching cash once, in date order, even one with two cash lines
    const twoLines = await api.post(
      `${s.base}/journal-entries`,
      { date: "2025-03-20", lines: [line(cash, 300, 0), line(cash, 200, 0), line(equity, 0, 500)] },
      { token: s.token },
    );
    expect(twoLines.status).toBe(201);
    const seen: any[] = [];
    let next: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: any = await api.get(`${s.base}/journal-entries?accountId=${cash}&limit=2${next ? `&cursor=${next}` : ""}`, { token: s.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.data);
      next = page.body.nextCursor;
      if (!next) break;
    }
    expect(seen.map((e) => e.date)).toEqual(["2025-01-01", "2025-01-15", "2025-02-15", "2025-03-15", "2025-03-20", "2025-04-15", "2025-05-15", "2025-06-15"]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(8);
    const reversedTwo = await api.post(`${s.base}/journal-entries/${twoLines.body.id}/reverse`, {}, { token: s.token });
    expect(reversedTwo.status).toBe(201);
    expect((await allPages(api, `${s.base}/journal-entries?accountId=${cash}&source=reversal`, s.token)).map((e) => e.id)).toEqual([reversedTwo.body.id]);
    await assertLedgerConsistent(s);
  });

  it("replays a posting with its Idempotency-Key instead of posting twice", async () => {
    const s = await setup();
    const body = { date: "2025-01-05", lines: [line(s.accounts.cash!.id, 700, 0), line(s.accounts.equity!.id, 0, 700)] };
    const headers = { "Idempotency-Key": "post-once" };
    const first = await api.post(`${s.base}/journal-entries`, body, { token: s.token, headers });
    const again = await api.post(`${s.base}/journal-entries`, body, { token: s.token, headers });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await api.post(`${s.base}/journal-entries`, { ...body, memo: "other" }, { token: s.token, headers })).status).toBe(409);
    expect(await allPages(api, `${s.base}/journal-entries`, s.token)).toHaveLength(1);
  });
});

describe("invoices and payments", () => {
  it("computes lines per the rounding rule, edits drafts only, issues with gapless numbers and posts AR, revenue and tax", async () => {
    const s = await setup();
    const customer = await createCustomer(api, s.token, s.businessId);
    const draft = await api.post(
      `${s.base}/invoices`,
      {
        customerId: customer,
        currency: "USD",
        issueDate: "2025-01-10",
        dueDate: "2025-02-09",
        lines: [
          { description: "Widgets", quantity: "3", unitPrice: 333, taxRate: "8.875" }, // 999, tax 88.66 → 89
          { description: "Half an hour", quantity: "0.5", unitPrice: 12345, taxRate: "0" }, // 6172.5 → 6173
        ],
      },
      { token: s.token },
    );
    expect(draft.status, draft.text).toBe(201);
    expect(draft.body).toMatchObject({
      number: null,
      status: "draft",
      subtotal: 999 + 6173,
      taxTotal: 89,
      total: 999 + 6173 + 89,
      amountPaid: 0,
      issueEntryId: null,
      lines: [
        { description: "Widgets", quantity: "3", unitPrice: 333, taxRate: "8.875", net: 999, tax: 89 },
        { description: "Half an hour", quantity: "0.5", unitPrice: 12345, taxRate: "0", net: 6173, tax: 0 },
      ],
    });
    const edited = await api.patch(
      `${s.base}/invoices/${draft.body.id}`,
      { lines: [{ description: "Widgets", quantity: "2", unitPrice: 5000, taxRate: "10" }] },
      { token: s.token, headers: { "If-Match": draft.headers.get("etag")! } },
    );
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({ subtotal: 10000, taxTotal: 1000, total: 11000 });
    // nothing posted for a draft
    expect(await allPages(api, `${s.base}/journal-entries`, s.token)).toEqual([]);

    const issued = await api.post(`${s.base}/invoices/${draft.body.id}/issue`, undefined, { token: s.token });
    expect(issued.status, issued.text).toBe(200);
    expect(issued.body).toMatchObject({ number: "INV-000001", status: "issued", amountDue: 11000, exchangeRate: "1", baseTotal: 11000 });
    const entry = await api.get(`${s.base}/journal-entries/${issued.body.issueEntryId}`, { token: s.token });
    expect(entry.body).toMatchObject({ date: "2025-01-10", source: { type: "invoice", id: draft.body.id } });
    expect(entry.body.lines).toEqual([
      { accountId: s.accounts.receivable!.id, currency: "USD", debit: 11000, credit: 0, baseDebit: 11000, baseCredit: 0 },
      { accountId: s.accounts.revenue!.id, currency: "USD", debit: 0, credit: 10000, baseDebit: 0, baseCredit: 10000 },
      { accountId: s.accounts.tax_payable!.id, currency: "USD", debit: 0, credit: 1000, baseDebit: 0, baseCredit: 1000 },
    ]);
    // issued invoices never change, and are issued once
    expect((await api.patch(`${s.base}/invoices/${draft.body.id}`, { memo: "late edit" }, { token: s.token })).status).toBe(422);
    expect((await api.post(`${s.base}/invoices/${draft.body.id}/issue`, undefined, { token: s.token })).status).toBe(422);
    // its entry cannot be reversed through the journal
    expect((await api.post(`${s.base}/journal-entries/${issued.body.issueEntryId}/reverse`, {}, { token: s.token })).status).toBe(422);

    // numbering is gapless: a draft that fails to issue takes no number
    const zero = await api.post(
      `${s.base}/invoices`,
      { customerId: customer, currency: "USD", issueDate: "2025-01-11", dueDate: "2025-01-11", lines: [{ description: "Free", quantity: "1", unitPrice: 0, taxRate: "0" }] },
      { token: s.token },
    );
    expect((await api.post(`${s.base}/invoices/${zero.body.id}/issue`, undefined, { token: s.token })).status).toBe(422);
    const second = await api.post(
      `${s.base}/invoices`,
      { customerId: customer, currency: "USD", issueDate: "2025-01-12", dueDate: "2025-01-20", lines: [{ description: "B", quantity: "1", unitPrice: 100, taxRate: "0" }] },
      { token: s.token },
    );
    const secondIssued = await api.post(`${s.base}/invoices/${second.body.id}/issue`, undefined, { token: s.token });
    expect(secondIssued.body.number).toBe("INV-000002");
    const tb = await trialBalance(s);
    expect(tb.totals).toEqual({ debit: 11100, credit: 11100 });
    await assertLedgerConsistent(s);
  });

  it("refuses bad invoice input: unknown or foreign customers, floats, negative quantities, inverted dates", async () => {
    const s = await setup();
    const other = await setup();
    const customer = await createCustomer(api, s.token, s.businessId);
    const foreign = await createCustomer(api, other.token, other.businessId, "Someone else's customer");
    const good = { customerId: customer, currency: "USD", issueDate: "2025-01-10", dueDate: "2025-02-09", lines: [{ description: "A", quantity: "1", unitPrice: 100, taxRate: "5" }] };
    const withLine = (l: Record<string, unknown>) => ({ ...good, lines: [{ ...good.lines[0], ...l }] });
    expect((await api.post(`${s.base}/invoices`, { ...good, customerId: foreign }, { token: s.token })).status).toBe(422);
    expect((await api.post(`${s.base}/invoices`, { ...good, customerId: "cmp_nothing" }, { token: s.token })).status).toBe(422);
    expect((await api.post(`${s.base}/invoices`, { ...good, dueDate: "2025-01-01" }, { token: s.token })).status).toBe(422);
    expect((await api.post(`${s.base}/invoices`, { ...good, exchangeRate: "1.2" }, { token: s.token })).status).toBe(422);
    for (const bad of [
      withLine({ quantity: "-1" }),
      withLine({ quantity: "0" }),
      withLine({ quantity: 1.5 }),
      withLine({ quantity: "1e3" }),
      withLine({ unitPrice: 10.5 }),
      withLine({ unitPrice: -1 }),
      withLine({ taxRate: "101" }),
      withLine({ taxRate: 8.875 }),
      { ...good, currency: "XXX" },
      { ...good, lines: [] },
    ]) {
      expect((await api.post(`${s.base}/invoices`, bad, { token: s.token })).status, JSON.stringify(bad)).toBe(400);
    }
    expect(await allPages(api, `${s.base}/invoices`, s.token)).toEqual([]);
  });

  it("takes partial payments, refuses overpayment, voids payments and unpaid invoices through reversing entries", async () => {
    const s = await setup();
    const customer = await createCustomer(api, s.token, s.businessId);
    const inv = await api.post(
      `${s.base}/invoices`,
      { customerId: customer, currency: "USD", issueDate: "2025-03-01", dueDate: "2025-03-31", lines: [{ description: "Work", quantity: "1", unitPrice: 10000, taxRate: "0" }] },
      { token: s.token },
    );
    // no payment against a draft
    expect((await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 100, date: "2025-03-05" }, { token: s.token })).status).toBe(422);
    await api.post(`${s.base}/invoices/${inv.body.id}/issue`, undefined, { token: s.token });

    const p1 = await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 4000, date: "2025-03-05" }, { token: s.token, headers: { "Idempotency-Key": "pay-1" } });
    expect(p1.status, p1.text).toBe(201);
    expect(p1.body).toMatchObject({ amount: 4000, currency: "USD", status: "posted", baseAmount: 4000, realisedFx: 0, accountId: s.accounts.cash!.id });
    const replay = await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 4000, date: "2025-03-05" }, { token: s.token, headers: { "Idempotency-Key": "pay-1" } });
    expect(replay.body).toEqual(p1.body);
    let current = await api.get(`${s.base}/invoices/${inv.body.id}`, { token: s.token });
    expect(current.body).toMatchObject({ status: "partially_paid", amountPaid: 4000, amountDue: 6000 });

    const over = await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 6001, date: "2025-03-06" }, { token: s.token });
    expect(over.status).toBe(422);
    expect(over.body.errors[0].path).toBe("amount");
    expect((await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 0, date: "2025-03-06" }, { token: s.token })).status).toBe(400);
    expect((await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 10.5, date: "2025-03-06" }, { token: s.token })).status).toBe(400);
    expect((await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 100, date: "2025-02-28" }, { token: s.token })).status).toBe(422);
    // a USD invoice in a USD business has no other rate
    expect((await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 100, date: "2025-03-06", exchangeRate: "2" }, { token: s.token })).status).toBe(422);

    const p2 = await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 6000, date: "2025-03-20" }, { token: s.token });
    expect(p2.status).toBe(201);
    current = await api.get(`${s.base}/invoices/${inv.body.id}`, { token: s.token });
    expect(current.body).toMatchObject({ status: "paid", amountPaid: 10000, amountDue: 0, overdue: false });
    expect((await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 1, date: "2025-03-21" }, { token: s.token })).status).toBe(422);
    // a paid invoice cannot be voided
    expect((await api.post(`${s.base}/invoices/${inv.body.id}/void`, undefined, { token: s.token })).status).toBe(422);

    const voided = await api.post(`${s.base}/payments/${p2.body.id}/void`, undefined, { token: s.token });
    expect(voided.status, voided.text).toBe(200);
    expect(voided.body).toMatchObject({ status: "void", voidEntryId: expect.any(String) });
    expect((await api.post(`${s.base}/payments/${p2.body.id}/void`, undefined, { token: s.token })).status).toBe(422);
    const reversal = await api.get(`${s.base}/journal-entries/${voided.body.voidEntryId}`, { token: s.token });
    expect(reversal.body).toMatchObject({ reversalOf: p2.body.entryId, date: "2025-03-20" });
    current = await api.get(`${s.base}/invoices/${inv.body.id}`, { token: s.token });
    expect(current.body).toMatchObject({ status: "partially_paid", amountDue: 6000 });
    expect((await allPages(api, `${s.base}/payments?invoiceId=${inv.body.id}`, s.token)).map((p) => p.status)).toEqual(["posted", "void"]);

    await api.post(`${s.base}/payments/${p1.body.id}/void`, { date: "2025-04-01" }, { token: s.token });
    const voidedInvoice = await api.post(`${s.base}/invoices/${inv.body.id}/void`, { date: "2025-04-02" }, { token: s.token });
    expect(voidedInvoice.status, voidedInvoice.text).toBe(200);
    expect(voidedInvoice.body).toMatchObject({ status: "void", number: "INV-000001", amountDue: 0 });
    expect((await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 1, date: "2025-04-03" }, { token: s.token })).status).toBe(422);
    // everything reversed: receivable and cash are back to zero
    const { balances } = await assertLedgerConsistent(s);
    expect(balances.get(s.accounts.receivable!.id)).toBe(0);
    expect(balances.get(s.accounts.cash!.id)).toBe(0);
    expect((await trialBalance(s)).accounts).toEqual([]);
    // one audit entry per thing done: a document's entries are named in its own, not audited apart
    const audit = await allPages(api, `${s.base}/audit`, s.token);
    expect(audit.filter((e) => e.targetType === "journal_entry")).toEqual([]);
    expect(audit.filter((e) => ["invoice", "payment"].includes(e.targetType)).map((e) => e.action)).toEqual([
      "invoice.created",
      "invoice.issued",
      "payment.created",
      "payment.created",
      "payment.voided",
      "payment.voided",
      "invoice.voided",
    ]);
    const named = (action: string, id: string) => audit.find((e) => e.action === action && e.targetId === id).changes.entryId;
    expect(named("payment.created", p2.body.id)).toBe(p2.body.entryId);
    expect(named("payment.voided", p2.body.id)).toBe(voided.body.voidEntryId);
    expect(named("invoice.issued", inv.body.id)).toBe((await api.get(`${s.base}/journal-entries?source=invoice`, { token: s.token })).body.data[0].id);
    expect(named("invoice.voided", inv.body.id)).toBe(voidedInvoice.body.voidEntryId);
  });

  it("derives overdue from the due date and filters by status", async () => {
    const s = await setup();
    const customer = await createCustomer(api, s.token, s.businessId);
    const make = async (dueDate: string) => {
      const inv = await api.post(
        `${s.base}/invoices`,
        { customerId: customer, currency: "USD", issueDate: "2020-01-01", dueDate, lines: [{ description: "x", quantity: "1", unitPrice: 500, taxRate: "0" }] },
        { token: s.token },
      );
      return (await api.post(`${s.base}/invoices/${inv.body.id}/issue`, undefined, { token: s.token })).body;
    };
    const late = await make("2020-02-01");
    const notYet = await make("2999-01-01");
    expect(late).toMatchObject({ status: "issued", overdue: true });
    expect(notYet).toMatchObject({ status: "issued", overdue: false });
    expect((await allPages(api, `${s.base}/invoices?status=overdue`, s.token)).map((i) => i.id)).toEqual([late.id]);
    expect((await allPages(api, `${s.base}/invoices?status=issued`, s.token)).map((i) => i.id)).toEqual([late.id, notYet.id]);
    expect((await allPages(api, `${s.base}/invoices?customerId=${customer}`, s.token))).toHaveLength(2);
    expect((await api.get(`${s.base}/invoices?status=nonsense`, { token: s.token })).status).toBe(400);
  });
});

describe("multi-currency", () => {
  it("issues a foreign invoice at its issue-date rate and realises the FX gain when paid at another rate", async () => {
    const s = await setup("USD");
    const customer = await createCustomer(api, s.token, s.businessId);
    const body = { customerId: customer, currency: "EUR", issueDate: "2025-05-01", dueDate: "2025-05-31", lines: [{ description: "Consulting", quantity: "1", unitPrice: 100000, taxRate: "0" }] };
    const inv = await api.post(`${s.base}/invoices`, body, { token: s.token });
    expect(inv.status, inv.text).toBe(201);
    // no rate yet: 422, nothing posted
    expect((await api.post(`${s.base}/invoices/${inv.body.id}/issue`, undefined, { token: s.token })).status).toBe(422);
    expect((await api.post(`${s.base}/exchange-rates`, { currency: "USD", date: "2025-04-30", rate: "1" }, { token: s.token })).status).toBe(422);
    expect((await api.post(`${s.base}/exchange-rates`, { currency: "EUR", date: "2025-04-30", rate: 1.1 }, { token: s.token })).status).toBe(400);
    expect((await api.post(`${s.base}/exchange-rates`, { currency: "EUR", date: "2025-04-30", rate: "0" }, { token: s.token })).status).toBe(400);
    const rate = await api.post(`${s.base}/exchange-rates`, { currency: "EUR", date: "2025-04-30", rate: "1.10" }, { token: s.token });
    expect(rate.status, rate.text).toBe(201);
    expect(rate.body).toMatchObject({ currency: "EUR", date: "2025-04-30", rate: "1.1", baseCurrency: "USD" });
    await api.post(`${s.base}/exchange-rates`, { currency: "EUR", date: "2025-06-01", rate: "1.2" }, { token: s.token });
    expect((await allPages(api, `${s.base}/exchange-rates?currency=EUR`, s.token)).map((r) => r.rate)).toEqual(["1.1", "1.2"]);

    const issued = await api.post(`${s.base}/invoices/${inv.body.id}/issue`, undefined, { token: s.token });
    expect(issued.status, issued.text).toBe(200);
    expect(issued.body).toMatchObject({ exchangeRate: "1.1", baseTotal: 110000, currency: "EUR", total: 100000 });

    // half paid in May at 1.1 (no FX), half in June at 1.2: a gain of 0.1 × 500 = 50 USD
    const may = await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 50000, date: "2025-05-15" }, { token: s.token });
    expect(may.body).toMatchObject({ exchangeRate: "1.1", baseAmount: 55000, realisedFx: 0 });
    const june = await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 50000, date: "2025-06-15" }, { token: s.token });
    expect(june.body).toMatchObject({ exchangeRate: "1.2", baseAmount: 60000, realisedFx: 5000 });
    const entry = await api.get(`${s.base}/journal-entries/${june.body.entryId}`, { token: s.token });
    expect(entry.body.lines).toEqual([
      { accountId: s.accounts.cash!.id, currency: "EUR", debit: 50000, credit: 0, baseDebit: 60000, baseCredit: 0 },
      { accountId: s.accounts.receivable!.id, currency: "EUR", debit: 0, credit: 50000, baseDebit: 0, baseCredit: 55000 },
      { accountId: s.accounts.fx_gain_loss!.id, currency: "EUR", debit: 0, credit: 0, baseDebit: 0, baseCredit: 5000 },
    ]);
    const { balances } = await assertLedgerConsistent(s);
    expect(balances.get(s.accounts.receivable!.id)).toBe(0);
    const pnl = await api.get(`${s.base}/reports/profit-and-loss?from=2025-01-01&to=2025-12-31`, { token: s.token });
    expect(pnl.body.totals).toEqual({ revenue: 110000, expenses: -5000, netIncome: 115000 });
  });

  it("converts across exponents: a JPY invoice in a USD business, paid at a worse rate, realises a loss", async () => {
    const s = await setup("USD");
    const customer = await createCustomer(api, s.token, s.businessId);
    const inv = await api.post(
      `${s.base}/invoices`,
      { customerId: customer, currency: "JPY", issueDate: "2025-08-01", dueDate: "2025-08-31", exchangeRate: "0.0067", lines: [{ description: "Licence", quantity: "1", unitPrice: 10000, taxRate: "10" }] },
      { token: s.token },
    );
    expect(inv.body).toMatchObject({ subtotal: 10000, taxTotal: 1000, total: 11000 });
    const issued = await api.post(`${s.base}/invoices/${inv.body.id}/issue`, undefined, { token: s.token });
    // ¥11,000 × 0.0067 = $73.70
    expect(issued.body).toMatchObject({ exchangeRate: "0.0067", baseTotal: 7370 });
    const entry = await api.get(`${s.base}/journal-entries/${issued.body.issueEntryId}`, { token: s.token });
    expect(entry.body.lines.map((l: any) => [l.currency, l.debit, l.credit, l.baseDebit, l.baseCredit])).toEqual([
      ["JPY", 11000, 0, 7370, 0],
      ["JPY", 0, 10000, 0, 6700],
      ["JPY", 0, 1000, 0, 670],
    ]);
    const paid = await api.post(`${s.base}/payments`, { invoiceId: inv.body.id, amount: 11000, date: "2025-08-20", exchangeRate: "0.0065" }, { token: s.token });
    expect(paid.status, paid.text).toBe(201);
    // ¥11,000 × 0.0065 = $71.50: a loss of $2.20
    expect(paid.body).toMatchObject({ baseAmount: 7150, realisedFx: -220, status: "posted" });
    const { balances } = await assertLedgerConsistent(s);
    expect(balances.get(s.accounts.receivable!.id)).toBe(0);
    expect(balances.get(s.accounts.fx_gain_loss!.id)).toBe(220);
  });

  it("converts foreign journal lines at the rate given, allocating base amounts so the entry balances exactly", async () => {
    const s = await setup("USD");
    const eurCash = await api.post(`${s.base}/accounts`, { code: "1010", name: "EUR bank", type: "asset", currency: "EUR" }, { token: s.token });
    const equity = s.accounts.equity!.id;
    const rent = s.accounts["6200"]!.id;
    const body = {
      date: "2025-07-01",
      lines: [line(rent, 1, 0, { currency: "EUR" }), line(rent, 1, 0, { currency: "EUR" }), line(rent, 1, 0, { currency: "EUR" }), line(eurCash.body.id, 0, 3)],
      exchangeRates: [{ currency: "EUR", rate: "1.5" }],
    };
    const posted = await api.post(`${s.base}/journal-entries`, body, { token: s.token });
    expect(posted.status, posted.text).toBe(201);
    // 3 cents × 1.5 = 4.5 → 5 cents; split 2/2/1 over the three debits
    expect(posted.body.lines.map((l: any) => [l.baseDebit, l.baseCredit])).toEqual([[2, 0], [2, 0], [1, 0], [0, 5]]);
    // the answer is built from the lines as posted: it shows what the ledger holds
    expect((await api.get(`${s.base}/journal-entries/${posted.body.id}`, { token: s.token })).body).toEqual(posted.body);
    // a EUR-only account refuses another currency
    const wrong = await api.post(`${s.base}/journal-entries`, { date: "2025-07-01", lines: [line(eurCash.body.id, 100, 0, { currency: "USD" }), line(equity, 0, 100)] }, { token: s.token });
    expect(wrong.status).toBe(422);
    // no rate in the table for GBP
    const noRate = await api.post(`${s.base}/journal-entries`, { date: "2025-07-01", lines: [line(rent, 100, 0, { currency: "GBP" }), line(equity, 0, 100, { currency: "GBP" })] }, { token: s.token });
    expect(noRate.status).toBe(422);
    await assertLedgerConsistent(s);
  });
});

describe("statements", () => {
  it("produce a balanced trial balance, P&L, balance sheet with current earnings, and AR aging", async () => {
    const s = await setup();
    const cash = s.accounts.cash!.id;
    const customer = await createCustomer(api, s.token, s.businessId, "Aging Co");
    await api.post(`${s.base}/journal-entries`, { date: "2025-01-01", lines: [line(cash, 50000, 0), line(s.accounts.equity!.id, 0, 50000)] }, { token: s.token });
    await api.post(`${s.base}/journal-entries`, { date: "2025-01-20", lines: [line(s.accounts["6200"]!.id, 12000, 0), line(cash, 0, 12000)] }, { token: s.token });
    const invoice = async (issueDate: string, dueDate: string, unitPrice: number) => {
      const inv = await api.post(
        `${s.base}/invoices`,
        { customerId: customer, currency: "USD", issueDate, dueDate, lines: [{ description: "x", quantity: "1", unitPrice, taxRate: "10" }] },
        { token: s.token },
      );
      return (await api.post(`${s.base}/invoices/${inv.body.id}/issue`, undefined, { token: s.token })).body;
    };
    await invoice("2025-01-01", "2025-01-31", 1000); // 1100, 90+ days late on 2025-06-30 (150 days)
    const b = await invoice("2025-04-01", "2025-05-15", 2000); // 2200, 46 days late → 31–60
    await invoice("2025-06-01", "2025-06-20", 3000); // 3300, 10 days late → 1–30
    await invoice("2025-06-15", "2025-07-15", 4000); // 4400, current
    await api.post(`${s.base}/payments`, { invoiceId: b.id, amount: 200, date: "2025-06-01" }, { token: s.token });

    const tb = await trialBalance(s, "2025-06-30");
    expect(tb).toMatchObject({ asOf: "2025-06-30", currency: "USD" });
    expect(tb.totals.debit).toBe(tb.totals.credit);
    const pnl = await api.get(`${s.base}/reports/profit-and-loss?from=2025-01-01&to=2025-06-30`, { token: s.token });
    expect(pnl.status).toBe(200);
    expect(pnl.body.totals).toEqual({ revenue: 10000, expenses: 12000, netIncome: -2000 });
    const sheet = await api.get(`${s.base}/reports/balance-sheet?asOf=2025-06-30`, { token: s.token });
    expect(sheet.body).toMatchObject({ balanced: true, currentEarnings: -2000 });
    expect(sheet.body.totals.assets).toBe(50000 - 12000 + 11000);
    expect(sheet.body.totals.liabilities).toBe(1000);
    expect(sheet.body.totals.assets).toBe(sheet.body.totals.liabilitiesAndEquity);

    const gl = await api.get(`${s.base}/reports/general-ledger?from=2025-02-01&to=2025-06-30`, { token: s.token });
    expect(gl.status, gl.text).toBe(200);
    expect(gl.body.accounts.find((a: any) => a.accountId === cash)).toMatchObject({ opening: 38000, debit: 200, credit: 0, closing: 38200 });
    expect(gl.body.accounts.find((a: any) => a.accountId === s.accounts.receivable!.id)).toMatchObject({ opening: 1100, debit: 9900, credit: 200, closing: 10800 });
    expect(gl.body.totals.debit).toBe(gl.body.totals.credit);

    const aging = await api.get(`${s.base}/reports/ar-aging?asOf=2025-06-30`, { token: s.token });
    expect(aging.status, aging.text).toBe(200);
    expect(aging.body.totals).toEqual({ current: 4400, days1to30: 3300, days31to60: 2000, days61to90: 0, days90plus: 1100, total: 10800 });
    expect(aging.body.customers).toEqual([
      { customerId: customer, customerName: "Aging Co", invoices: 4, current: 4400, days1to30: 3300, days31to60: 2000, days61to90: 0, days90plus: 1100, total: 10800 },
    ]);
    // as of an earlier date, later invoices and payments do not exist yet
    const earlier = await api.get(`${s.base}/reports/ar-aging?asOf=2025-04-30`, { token: s.token });
    expect(earlier.body.totals).toMatchObject({ current: 2200, days90plus: 0, days61to90: 1100, total: 3300 });
    expect((await api.get(`${s.base}/reports/trial-balance?asOf=2025-13-01`, { token: s.token })).status).toBe(400);
    expect((await api.get(`${s.base}/reports/profit-and-loss?from=2025-02-01&to=2025-01-01`, { token: s.token })).status).toBe(400);
    await assertLedgerConsistent(s);
  });
});
