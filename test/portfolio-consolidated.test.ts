/**
 * Consolidated statements through HTTP against the real server, with figures computed by hand: three
 * businesses in USD, EUR and GBP, journal entries, invoices and a payment on chosen dates in 2026, the
 * founder's rates on chosen dates so that the March average, the year-to-date average and the closing
 * rate all differ; an inter-company sale marked on both sides (a linked customer company in Alpha, a
 * counterparty business on Beta's journal entries). Also: the warm-up after sign-in.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cacheCounters, createBusiness, registerUser } from "./support/api.js";
import { accountsOf, issueInvoice, ok, serverForTests } from "./support/portfolio.js";

const api = serverForTests();

const entry = (token: string, businessId: string, body: object) => ok(api.post(`/businesses/${businessId}/journal-entries`, body, { token }));
const dr = (accountId: string, amount: number) => ({ accountId, debit: amount, credit: 0 });
const cr = (accountId: string, amount: number) => ({ accountId, debit: 0, credit: amount });

/** A USD invoice of one untaxed line, due on its issue date; returns its id. */
const issueUsdInvoice = (token: string, businessId: string, customerId: string, issueDate: string, unitPrice: number) =>
  issueInvoice(api, token, businessId, customerId, "USD", issueDate, issueDate, { description: "Work", quantity: "1", unitPrice, taxRate: "0" });

async function metricsText() {
  return (await api.get("/metrics")).text;
}
const metricValue = (text: string, name: string, labels: string) => {
  const escaped = labels.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return Number(text.match(new RegExp(`^${name}\\{${escaped}\\} (\\d+)$`, "m"))?.[1] ?? 0);
};
const portfolioCache = async () => (await cacheCounters(api, "portfolio")).portfolio!;

const line = (type: string, code: string, name: string, amount: number) => ({ type, code, name, amount });

describe("consolidated statements", () => {
  let t: string;
  let founder: { email: string; userId: string };
  let alpha: string;
  let beta: string;
  let gamma: string;
  let betaAccounts: Record<string, string>;

  beforeAll(async () => {
    const registered = await registerUser(api, "Consolidating founder");
    founder = registered;
    t = registered.token;
    alpha = await createBusiness(api, t, "Alpha", "USD");
    beta = await createBusiness(api, t, "Beta", "EUR");
    gamma = await createBusiness(api, t, "Gamma", "GBP");

    // Alpha (USD): capital 10,000.00; an outside sale 2,000.00 (5 Mar); rent 500.00 (10 Mar); a sale of
    // 3,000.00 to Beta (15 Mar) through a customer company linked to Beta, 1,250.00 of it paid (25 Mar)
    const a = await accountsOf(api, t, alpha);
    await entry(t, alpha, { date: "2026-02-01", memo: "Capital", lines: [dr(a.cash!, 1_000_000), cr(a.equity!, 1_000_000)] });
    const outside = (await ok(api.post(`/businesses/${alpha}/companies`, { name: "Outside Inc" }, { token: t }))).id;
    const betaAsCustomer = await ok(api.post(`/businesses/${alpha}/companies`, { name: "Beta GmbH", linkedBusinessId: beta }, { token: t }));
    expect(betaAsCustomer.linkedBusinessId).toBe(beta);
    await issueUsdInvoice(t, alpha, outside, "2026-03-05", 200_000);
    await entry(t, alpha, { date: "2026-03-10", memo: "Rent", lines: [dr(a["6200"]!, 50_000), cr(a.cash!, 50_000)] });
    const icInvoice = await issueUsdInvoice(t, alpha, betaAsCustomer.id, "2026-03-15", 300_000);
    await ok(api.post(`/businesses/${alpha}/payments`, { invoiceId: icInvoice, amount: 125_000, date: "2026-03-25" }, { token: t }));

    // Beta (EUR): capital 8,000.00 (10 Jan); revenue 4,000.00 (15 Feb); other income 1,000.00 (5 Mar);
    // the purchase from Alpha booked at 2,500.00 (15 Mar) and 1,000.00 of it paid (25 Mar), both marked
    const b = await accountsOf(api, t, beta);
    betaAccounts = b;
    await entry(t, beta, { date: "2026-01-10", memo: "Capital", lines: [dr(b.cash!, 800_000), cr(b.equity!, 800_000)] });
    await entry(t, beta, { date: "2026-02-15", memo: "Sales", lines: [dr(b.cash!, 400_000), cr(b.revenue!, 400_000)] });
    await entry(t, beta, { date: "2026-03-05", memo: "Other", lines: [dr(b.cash!, 100_000), cr(b["4900"]!, 100_000)] });
    const purchase = await entry(t, beta, {
      date: "2026-03-15",
      memo: "Services from Alpha",
      counterpartyBusinessId: alpha,
      lines: [dr(b["6000"]!, 250_000), cr(b["2000"]!, 250_000)],
    });
    expect(purchase.counterpartyBusinessId).toBe(alpha);
    await entry(t, beta, { date: "2026-03-25", memo: "Pay Alpha", counterpartyBusinessId: alpha, lines: [dr(b["2000"]!, 100_000), cr(b.cash!, 100_000)] });

    // Gamma (GBP): a sale of 100.00 on 2 March; no GBP rate yet
    const g = await accountsOf(api, t, gamma);
    await entry(t, gamma, { date: "2026-03-02", memo: "Sale", lines: [dr(g.cash!, 10_000), cr(g.revenue!, 10_000)] });

    // EUR→USD: 1.10 from 15 Dec 2025, 1.20 from 10 Mar, then USD→EUR 0.8 (EUR→USD 1.25) from 20 Mar
    await ok(api.post("/exchange-rates", { base: "EUR", quote: "USD", rate: "1.10", date: "2025-12-15" }, { token: t }));
    await ok(api.post("/exchange-rates", { base: "EUR", quote: "USD", rate: "1.20", date: "2026-03-10" }, { token: t }));
    await ok(api.post("/exchange-rates", { base: "USD", quote: "EUR", rate: "0.8", date: "2026-03-20" }, { token: t }));
    // a GBP rate that starts in the middle of March: some days of the period have none
    await ok(api.post("/exchange-rates", { base: "GBP", quote: "USD", rate: "1.3", date: "2026-03-15" }, { token: t }));
  });

  it("profit and loss: each business at the period's average rate, lines added by account, the inter-company sale eliminated with its mismatch shown", async () => {
    const p = await ok(api.get(`/portfolio/profit-and-loss?currency=USD&from=2026-03-01&to=2026-03-31`, { token: t }), 200);
    expect(p).toMatchObject({ currency: "USD", from: "2026-03-01", to: "2026-03-31" });
    const by = Object.fromEntries(p.businesses.map((x: any) => [x.businessId, x]));

    // Alpha: USD, the identity
    expect(by[alpha].status).toBe("included");
    expect(by[alpha].statement.totals).toEqual({ revenue: 500_000, expenses: 50_000, netIncome: 450_000 });
    expect(by[alpha].statement.intercompany).toEqual([{ counterpartyBusinessId: beta, revenue: 300_000, expenses: 0 }]);
    expect(by[alpha].translated).toEqual({ ...by[alpha].statement, currency: "USD" });
    expect(by[alpha].averageRate).toMatchObject({ rate: "1", exact: "1/1", days: 31 });

    // Beta's March average: 9 days at 1.10, 10 at 1.20, 12 at 1.25 → 36.9 / 31 = 369/310
    expect(by[beta].averageRate).toEqual({
      from: "EUR",
      to: "USD",
      periodFrom: "2026-03-01",
      periodTo: "2026-03-31",
      days: 31,
      rate: "1.1903225806",
      exact: "369/310",
      segments: [
        { firstDay: "2026-03-01", lastDay: "2026-03-09", days: 9, base: "EUR", quote: "USD", rate: "1.1", date: "2025-12-15", inverse: false },
        { firstDay: "2026-03-10", lastDay: "2026-03-19", days: 10, base: "EUR", quote: "USD", rate: "1.2", date: "2026-03-10", inverse: false },
        { firstDay: "2026-03-20", lastDay: "2026-03-31", days: 12, base: "USD", quote: "EUR", rate: "0.8", date: "2026-03-20", inverse: true },
      ],
    });
    expect(by[beta].statement).toMatchObject({
      currency: "EUR",
      revenue: [{ code: "4900", name: "Other income", type: "revenue", amount: 100_000 }],
      expenses: [{ code: "6000", name: "Operating expenses", type: "expense", amount: 250_000 }],
      totals: { revenue: 100_000, expenses: 250_000, netIncome: -150_000 },
      intercompany: [{ counterpartyBusinessId: alpha, revenue: 0, expenses: 250_000 }],
    });
    // 1,000.00 × 369/310 = 1,190.32258… → 1,190.32; 2,500.00 × 369/310 = 2,975.80645… → 2,975.81
    expect(by[beta].translated).toMatchObject({
      currency: "USD",
      revenue: [{ code: "4900", amount: 119_032 }],
      expenses: [{ code: "6000", amount: 297_581 }],
      totals: { revenue: 119_032, expenses: 297_581, netIncome: -178_549 },
      intercompany: [{ counterpartyBusinessId: alpha, revenue: 0, expenses: 297_581 }],
    });

    // Gamma: GBP has no rate on 1–14 March → flagged and left out, never 1:1
    expect(by[gamma]).toMatchObject({ status: "missing_rate", translated: null, averageRate: null, statement: { totals: { revenue: 10_000 } } });
    expect(p.missingRates).toEqual([{ from: "GBP", to: "USD", businessIds: [gamma] }]);
    expect(p.rates.map((r: any) => r.from)).toEqual(["EUR", "USD"]);

    expect(p.consolidated).toEqual({
      currency: "USD",
      businesses: 2,
      revenue: [line("revenue", "4000", "Sales revenue", 500_000), line("revenue", "4900", "Other income", 119_032)],
      expenses: [line("expense", "6000", "Operating expenses", 297_581), line("expense", "6200", "Rent", 50_000)],
      // Alpha sold 3,000.00; Beta's 2,500.00 € at the average rate is 2,975.81 $: 24.19 $ do not match
      eliminations: [{ sellerBusinessId: alpha, buyerBusinessId: beta, revenue: 300_000, expenses: 297_581, difference: 2_419 }],
      totals: {
        revenueBeforeEliminations: 619_032,
        expensesBeforeEliminations: 347_581,
        eliminatedRevenue: 300_000,
        eliminatedExpenses: 297_581,
        eliminationDifference: 2_419,
        revenue: 319_032,
        expenses: 50_000,
        netIncome: 269_032,
      },
    });

    // only one side in the chosen set: nothing is eliminated
    const alone = await ok(api.get(`/portfolio/profit-and-loss?currency=USD&from=2026-03-01&to=2026-03-31&businessIds=${alpha}`, { token: t }), 200);
    expect(alone.consolidated.eliminations).toEqual([]);
    expect(alone.consolidated.totals).toMatchObject({ revenue: 500_000, expenses: 50_000, netIncome: 450_000 });
  });

  it("balance sheet: closing rate, this year's earnings at the year-to-date average, the translation reserve, receivable and payable eliminated — and it balances", async () => {
    const s = await ok(api.get(`/portfolio/balance-sheet?currency=USD&asOf=2026-03-31`, { token: t }), 200);
    expect(s).toMatchObject({ currency: "USD", asOf: "2026-03-31", yearToDate: { from: "2026-01-01", to: "2026-03-31" } });
    const by = Object.fromEntries(s.businesses.map((x: any) => [x.businessId, x]));

    expect(by[alpha].statement).toEqual({
      currency: "USD",
      assets: [
        { accountId: expect.any(String), code: "1000", name: "Cash", type: "asset", amount: 1_075_000 },
        { accountId: expect.any(String), code: "1100", name: "Accounts receivable", type: "asset", amount: 375_000 },
      ],
      liabilities: [],
      equity: [{ accountId: expect.any(String), code: "3000", name: "Owner's equity", type: "equity", amount: 1_000_000 }],
      earnings: { priorYears: 0, yearToDate: 450_000 },
      translationReserve: 0,
      totals: { assets: 1_450_000, liabilities: 0, equity: 1_450_000, liabilitiesAndEquity: 1_450_000 },
      intercompany: [{ counterpartyBusinessId: beta, receivables: 175_000, payables: 0 }],
    });

    // Beta: closing rate 1/0.8 = 1.25; year to date 68 days at 1.10, 10 at 1.20, 12 at 1.25 → 101.8 / 90 = 509/450
    expect(by[beta].closingRate).toEqual({ from: "EUR", to: "USD", base: "USD", quote: "EUR", rate: "0.8", date: "2026-03-20", inverse: true });
    expect(by[beta].yearToDateAverageRate).toMatchObject({ exact: "509/450", rate: "1.1311111111", days: 90 });
    expect(by[beta].statement).toMatchObject({
      assets: [{ code: "1000", amount: 1_200_000 }],
      liabilities: [{ code: "2000", amount: 150_000 }],
      equity: [{ code: "3000", amount: 800_000 }],
      earnings: { priorYears: 0, yearToDate: 250_000 },
      totals: { assets: 1_200_000, liabilitiesAndEquity: 1_200_000 },
      intercompany: [{ counterpartyBusinessId: alpha, receivables: 0, payables: 150_000 }],
    });
    // 12,000.00 × 1.25; 1,500.00 × 1.25; 8,000.00 × 1.25; 2,500.00 × 509/450 = 2,827.777… → 2,827.78;
    // reserve = 15,000.00 − 1,875.00 − 10,000.00 − 2,827.78 = 297.22
    expect(by[beta].translated).toMatchObject({
      currency: "USD",
      assets: [{ code: "1000", amount: 1_500_000 }],
      liabilities: [{ code: "2000", amount: 187_500 }],
      equity: [{ code: "3000", amount: 1_000_000 }],
      earnings: { priorYears: 0, yearToDate: 282_778 },
      translationReserve: 29_722,
      totals: { assets: 1_500_000, liabilities: 187_500, equity: 1_312_500, liabilitiesAndEquity: 1_500_000 },
      intercompany: [{ counterpartyBusinessId: alpha, receivables: 0, payables: 187_500 }],
    });
    expect(by[gamma]).toMatchObject({ status: "missing_rate", translated: null, closingRate: null });
    expect(s.missingRates).toEqual([{ from: "GBP", to: "USD", businessIds: [gamma] }]);

    expect(s.consolidated).toEqual({
      currency: "USD",
      businesses: 2,
      assets: [line("asset", "1000", "Cash", 2_575_000), line("asset", "1100", "Accounts receivable", 375_000)],
      liabilities: [line("liability", "2000", "Accounts payable", 187_500)],
      equity: [line("equity", "3000", "Owner's equity", 2_000_000)],
      earnings: { priorYears: 0, yearToDate: 732_778 },
      translationReserve: 29_722,
      // Alpha is owed 1,750.00 $; Beta owes 1,500.00 € = 1,875.00 $ at the closing rate: 125.00 $ apart
      eliminations: [{ creditorBusinessId: alpha, debtorBusinessId: beta, receivables: 175_000, payables: 187_500, difference: -12_500 }],
      eliminationDifference: 12_500,
      totals: {
        assetsBeforeEliminations: 2_950_000,
        liabilitiesBeforeEliminations: 187_500,
        eliminatedReceivables: 175_000,
        eliminatedPayables: 187_500,
        assets: 2_775_000,
        liabilities: 0,
        equity: 2_775_000,
        liabilitiesAndEquity: 2_775_000,
      },
      balanced: true,
    });
  });

  it("includes a business once its rate covers every day, and a reversal of a marked entry takes the elimination back", async () => {
    // a GBP rate in force from before the year: 1–14 March at 1.25, 15–31 March at 1.30 → 39.6 / 31
    await ok(api.post("/exchange-rates", { base: "GBP", quote: "USD", rate: "1.25", date: "2025-06-01" }, { token: t }));
    const p = await ok(api.get(`/portfolio/profit-and-loss?currency=USD&from=2026-03-01&to=2026-03-31`, { token: t }), 200);
    expect(p.missingRates).toEqual([]);
    const g = p.businesses.find((x: any) => x.businessId === gamma);
    expect(g.averageRate).toMatchObject({ exact: "198/155", days: 31 });
    // 100.00 £ × 198/155 = 127.7419… $ → 127.74 $; the 4000 line keeps the first business's name
    expect(g.translated.totals).toEqual({ revenue: 12_774, expenses: 0, netIncome: 12_774 });
    expect(p.consolidated.revenue).toEqual([line("revenue", "4000", "Sales revenue", 512_774), line("revenue", "4900", "Other income", 119_032)]);
    expect(p.consolidated.totals).toMatchObject({ revenue: 331_806, netIncome: 281_806 });
    expect(p.consolidated.businesses).toBe(3);

    // Beta reverses its payment to Alpha (a marked entry): its payable grows back by 1,000.00 € in the elimination
    const list = await ok(api.get(`/businesses/${beta}/journal-entries?from=2026-03-25&to=2026-03-25`, { token: t }), 200);
    const payment = list.data.find((e: any) => e.memo === "Pay Alpha");
    expect(payment.counterpartyBusinessId).toBe(alpha);
    await ok(api.post(`/businesses/${beta}/journal-entries/${payment.id}/reverse`, { date: "2026-03-26" }, { token: t }));
    const s = await ok(api.get(`/portfolio/balance-sheet?currency=USD&asOf=2026-03-31`, { token: t }), 200);
    const betaNow = s.businesses.find((x: any) => x.businessId === beta);
    expect(betaNow.statement.intercompany).toEqual([{ counterpartyBusinessId: alpha, receivables: 0, payables: 250_000 }]);
    expect(s.consolidated.eliminations).toEqual([
      { creditorBusinessId: alpha, debtorBusinessId: beta, receivables: 175_000, payables: 312_500, difference: -137_500 },
    ]);
    expect(s.consolidated.totals.assets).toBe(s.consolidated.totals.liabilitiesAndEquity);
    expect(s.consolidated.balanced).toBe(true);
    // Beta's sheet: 13,000.00 € of cash now, 2,500.00 € payable
    expect(betaNow.translated.totals.assets).toBe(betaNow.translated.totals.liabilitiesAndEquity);
  });

  it("serves repeated statements from the per-business cache, and never a figure older than a business's last commit", async () => {
    const query = `/portfolio/profit-and-loss?currency=USD&from=2026-03-01&to=2026-03-31&businessIds=${alpha},${beta}`;
    const first = await ok(api.get(query, { token: t }), 200);
    const before = await portfolioCache();
    const again = await ok(api.get(query, { token: t }), 200);
    expect(again).toEqual(first);
    const after = await portfolioCache();
    expect(after.hits - before.hits).toBe(2);
    expect(after.misses - before.misses).toBe(0);

    // a committed change in Beta: Beta's statement is recomputed at once, Alpha's still comes from the cache
    await entry(t, beta, { date: "2026-03-20", memo: "More income", lines: [dr(betaAccounts.cash!, 50_000), cr(betaAccounts["4900"]!, 50_000)] });
    const fresh = await ok(api.get(query, { token: t }), 200);
    const changed = await portfolioCache();
    expect(changed.misses - after.misses).toBe(1);
    expect(changed.hits - after.hits).toBe(1);
    expect(fresh.businesses.find((x: any) => x.businessId === beta).statement.totals.revenue).toBe(150_000);
    // 1,500.00 € × 369/310 = 1,785.48387… → 1,785.48 $
    expect(fresh.businesses.find((x: any) => x.businessId === beta).translated.totals.revenue).toBe(178_548);
  });

  it("fans out over the caller's memberships only: a removed member loses the business at once", async () => {
    const other = await registerUser(api, "Partner");
    const shared = await createBusiness(api, other.token, "Shared", "USD");
    const s = await accountsOf(api, other.token, shared);
    await entry(other.token, shared, { date: "2026-03-03", memo: "Sale", lines: [dr(s.cash!, 70_000), cr(s.revenue!, 70_000)] });
    await ok(api.post(`/businesses/${shared}/members`, { email: founder.email, role: "viewer" }, { token: other.token }));

    const url = `/portfolio/profit-and-loss?currency=USD&from=2026-03-01&to=2026-03-31`;
    const withShared = await ok(api.get(url, { token: t }), 200);
    expect(withShared.businesses.find((x: any) => x.businessId === shared)).toMatchObject({ role: "viewer", status: "included", statement: { totals: { revenue: 70_000 } } });
    expect(withShared.consolidated.businesses).toBe(4);

    expect((await api.delete(`/businesses/${shared}/members/${founder.userId}`, { token: other.token })).status).toBe(204);
    const without = await ok(api.get(url, { token: t }), 200);
    expect(without.businesses.map((x: any) => x.businessId)).not.toContain(shared);
    expect(without.consolidated.businesses).toBe(3);
    expect((await api.get(`${url}&businessIds=${shared}`, { token: t })).status).toBe(404);
    expect((await api.get(`/portfolio/balance-sheet?currency=USD&businessIds=${alpha},${shared}`, { token: t })).status).toBe(404);
    // the partner sees their business, and none of the founder's
    const theirs = await ok(api.get("/portfolio/balance-sheet?currency=USD&asOf=2026-03-31", { token: other.token }), 200);
    expect(theirs.businesses.map((x: any) => x.businessId)).toEqual([shared]);
  });

  it("marks inter-company records only with another business of the acting person: 422 otherwise, never telling whether it exists", async () => {
    const stranger = await registerUser(api, "Stranger");
    const theirs = await createBusiness(api, stranger.token, "Not yours", "USD");
    const post = (body: object) => api.post(`/businesses/${alpha}/companies`, body, { token: t });
    const deleted = await createBusiness(api, t, "Closed down", "USD");
    expect((await api.delete(`/businesses/${deleted}`, { token: t })).status).toBe(204);
    for (const linkedBusinessId of [alpha, theirs, "biz_doesnotexist", deleted]) {
      const res = await post({ name: "Link", linkedBusinessId });
      expect(res.status, linkedBusinessId).toBe(422);
      expect(res.body.errors[0].path).toBe("linkedBusinessId");
    }
    // the message for another's business and for none at all is the same
    const a = await post({ name: "Link", linkedBusinessId: theirs });
    const b = await post({ name: "Link", linkedBusinessId: "biz_doesnotexist" });
    expect(a.body.errors).toEqual(b.body.errors);
    expect((await post({ name: "Link", linkedBusinessId: "bad id!" })).status).toBe(400);

    // PATCH sets and clears the link
    const company = await ok(post({ name: "Later linked" }));
    expect(company.linkedBusinessId).toBeNull();
    const linked = await ok(api.patch(`/businesses/${alpha}/companies/${company.id}`, { linkedBusinessId: gamma }, { token: t }), 200);
    expect(linked.linkedBusinessId).toBe(gamma);
    expect((await api.patch(`/businesses/${alpha}/companies/${company.id}`, { linkedBusinessId: theirs }, { token: t })).status).toBe(422);
    const cleared = await ok(api.patch(`/businesses/${alpha}/companies/${company.id}`, { linkedBusinessId: null }, { token: t }), 200);
    expect(cleared.linkedBusinessId).toBeNull();
    expect((await ok(api.get(`/businesses/${alpha}/companies/${company.id}`, { token: t }), 200)).linkedBusinessId).toBeNull();

    // journal entries: the same rule; an API key acts inside one business and cannot name another
    const lines = [dr(betaAccounts.cash!, 100), cr(betaAccounts.equity!, 100)];
    for (const counterpartyBusinessId of [beta, theirs, "biz_doesnotexist"]) {
      const res = await api.post(`/businesses/${beta}/journal-entries`, { date: "2026-04-01", lines, counterpartyBusinessId }, { token: t });
      expect(res.status, counterpartyBusinessId).toBe(422);
      expect(res.body.errors[0].path).toBe("counterpartyBusinessId");
    }
    const key = (await ok(api.post(`/businesses/${beta}/api-keys`, { name: "books", role: "accountant" }, { token: t }))).key;
    const byKey = await api.post(`/businesses/${beta}/journal-entries`, { date: "2026-04-01", lines, counterpartyBusinessId: alpha }, { token: key });
    expect(byKey.status).toBe(422);
    expect((await api.post(`/businesses/${beta}/journal-entries`, { date: "2026-04-01", lines }, { token: key })).status).toBe(201);
  });

  it("refuses bad input with 400, unknown businesses with 404, API keys with 403, no credentials with 401", async () => {
    for (const q of [
      "",
      "currency=usd",
      "currency=XYZ",
      "currency=USD&from=2026-02-30",
      "currency=USD&from=2026-03-02&to=2026-03-01",
      "currency=USD&from=2000-01-01&to=2026-03-01",
      "currency=USD&asOf=2026-03-01",
      "currency=USD&businessIds=",
      "currency=USD&businessIds=a%20b",
      "currency=USD&other=1",
    ]) {
      const res = await api.get(`/portfolio/profit-and-loss?${q}`, { token: t });
      expect(res.status, q).toBe(400);
      expect(res.headers.get("content-type"), q).toContain("application/problem+json");
    }
    for (const q of ["", "currency=eur", "currency=USD&asOf=2026-13-01", "currency=USD&from=2026-01-01", "currency=USD&businessIds=,"]) {
      expect((await api.get(`/portfolio/balance-sheet?${q}`, { token: t })).status, q).toBe(400);
    }
    expect((await api.get("/portfolio/profit-and-loss?currency=USD&businessIds=biz_doesnotexist", { token: t })).status).toBe(404);
    expect((await api.get("/portfolio/balance-sheet?currency=USD&businessIds=biz_doesnotexist", { token: t })).status).toBe(404);

    // defaults: this year to date; today's balance sheet
    const today = new Date().toISOString().slice(0, 10);
    const pl = await ok(api.get("/portfolio/profit-and-loss?currency=USD", { token: t }), 200);
    expect(pl).toMatchObject({ from: `${today.slice(0, 4)}-01-01`, to: today });
    const bs = await ok(api.get("/portfolio/balance-sheet?currency=EUR", { token: t }), 200);
    expect(bs).toMatchObject({ asOf: today, currency: "EUR" });
    expect(bs.consolidated.totals.assets).toBe(bs.consolidated.totals.liabilitiesAndEquity);

    const key = (await ok(api.post(`/businesses/${alpha}/api-keys`, { name: "k", role: "viewer" }, { token: t }))).key;
    expect((await api.get("/portfolio/profit-and-loss?currency=USD", { token: key })).status).toBe(403);
    expect((await api.get("/portfolio/balance-sheet?currency=USD", { token: key })).status).toBe(403);
    expect((await api.get("/portfolio/profit-and-loss?currency=USD")).status).toBe(401);
  });
});

describe("warm-up after sign-in", () => {
  it("computes the person's business figures in the background, so that the first portfolio view is a cache hit", async () => {
    const founder = await registerUser(api, "Warm founder");
    const one = await createBusiness(api, founder.token, "Warm one", "USD");
    await createBusiness(api, founder.token, "Warm two", "EUR");
    const a = await accountsOf(api, founder.token, one);
    await entry(founder.token, one, { date: new Date().toISOString().slice(0, 10), memo: "Capital", lines: [dr(a.cash!, 5_000), cr(a.equity!, 5_000)] });

    const warmed = async () => metricValue(await metricsText(), "coreflow_portfolio_warmups_total", 'outcome="computed"');
    const cachedOutcome = async () => metricValue(await metricsText(), "coreflow_portfolio_warmups_total", 'outcome="cached"');
    const computedBefore = await warmed();
    const login = await api.post("/auth/login", { email: founder.email, password: founder.password });
    expect(login.status, login.text).toBe(200);

    // wait (bounded) until the background work has handled both businesses
    let computed = computedBefore;
    for (let i = 0; i < 200 && computed < computedBefore + 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      computed = await warmed();
    }
    expect(computed - computedBefore).toBe(2);

    const before = await portfolioCache();
    const res = await api.get("/portfolio?currency=USD", { token: login.body.accessToken });
    expect(res.status, res.text).toBe(200);
    expect(res.body.businesses.find((b: any) => b.businessId === one).figures.cash).toBe(5_000);
    const after = await portfolioCache();
    expect(after.hits - before.hits).toBe(2);
    expect(after.misses - before.misses).toBe(0);

    // a second sign-in finds them cached and computes nothing
    const cachedBefore = await cachedOutcome();
    expect((await api.post("/auth/login", { email: founder.email, password: founder.password })).status).toBe(200);
    let cached = cachedBefore;
    for (let i = 0; i < 200 && cached < cachedBefore + 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      cached = await cachedOutcome();
    }
    expect(cached - cachedBefore).toBe(2);
    expect(await warmed()).toBe(computed);
  });
});
