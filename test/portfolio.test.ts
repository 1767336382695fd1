/**
 * The portfolio through HTTP against the real server: the user's exchange-rate table, and the
 * fan-out over the caller's businesses with figures built from real invoices, payments, journal
 * entries, deals and leads — each business in its own currency, translated, and totalled.
 */
import { describe, expect, it } from "vitest";
import { createBusiness, registerUser } from "./support/api.js";
import { accountsOf, issueInvoice, ok, serverForTests } from "./support/portfolio.js";

const api = serverForTests();

// Dates relative to the server's "today" (UTC), with the month and year edges accounted for.
const DAY = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
const yesterday = addDays(today, -1);
const monthStart = `${today.slice(0, 7)}-01`;
const yearStart = `${today.slice(0, 4)}-01-01`;
const yesterdayInMonth = yesterday >= monthStart;
const yesterdayInYear = yesterday >= yearStart;

const portfolio = (token: string, query: string) => api.get(`/portfolio?${query}`, { token });

describe("the user's exchange-rate table", () => {
  it("sets, replaces, lists and pages a user's own rates, and refuses bad rates and currencies", async () => {
    const user = await registerUser(api, "Rates");
    const other = await registerUser(api, "Someone else");
    const first = await api.post("/exchange-rates", { base: "EUR", quote: "USD", rate: "1.0800", date: "2026-01-02" }, { token: user.token });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ base: "EUR", quote: "USD", rate: "1.08", date: "2026-01-02" });
    // the same pair and date replaces the rate
    const again = await api.post("/exchange-rates", { base: "EUR", quote: "USD", rate: "1.09", date: "2026-01-02" }, { token: user.token });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ rate: "1.09", createdAt: first.body.createdAt });
    await ok(api.post("/exchange-rates", { base: "EUR", quote: "USD", rate: "1.1", date: "2026-01-03" }, { token: user.token }));
    await ok(api.post("/exchange-rates", { base: "GBP", quote: "JPY", rate: "190.25", date: "2026-01-01" }, { token: user.token }));
    await ok(api.post("/exchange-rates", { base: "CHF", quote: "USD", rate: "1.13", date: "2026-01-01" }, { token: user.token }));

    const seen: any[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: any = await ok(api.get(`/exchange-rates?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: user.token }), 200);
      seen.push(...page.data);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen.map((r) => `${r.base}/${r.quote}@${r.date}=${r.rate}`)).toEqual([
      "CHF/USD@2026-01-01=1.13",
      "EUR/USD@2026-01-02=1.09",
      "EUR/USD@2026-01-03=1.1",
      "GBP/JPY@2026-01-01=190.25",
    ]);
    const usd = await ok(api.get("/exchange-rates?quote=USD&from=2026-01-02", { token: user.token }), 200);
    expect(usd.data.map((r: any) => r.date)).toEqual(["2026-01-02", "2026-01-03"]);
    const eur = await ok(api.get("/exchange-rates?base=EUR&to=2026-01-02", { token: user.token }), 200);
    expect(eur.data.map((r: any) => r.rate)).toEqual(["1.09"]);
    // another user's table is their own
    expect((await ok(api.get("/exchange-rates", { token: other.token }), 200)).data).toEqual([]);

    const good = { base: "EUR", quote: "USD", rate: "1.1", date: "2026-02-01" };
    for (const bad of [
      { ...good, rate: "0" },
      { ...good, rate: "0.000" },
      { ...good, rate: "-1.1" },
      { ...good, rate: 1.1 },
      { ...good, rate: "1e3" },
      { ...good, rate: "abc" },
      { ...good, rate: "" },
      { ...good, rate: "1.12345678901" },
      { ...good, base: "XXY" },
      { ...good, base: "eur" },
      { ...good, quote: "US" },
      { ...good, date: "2026-02-30" },
      { ...good, extra: true },
      { base: "EUR", quote: "USD", date: "2026-02-01" },
    ]) {
      const res = await api.post("/exchange-rates", bad, { token: user.token });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await api.post("/exchange-rates", { ...good, quote: "EUR" }, { token: user.token })).status).toBe(422);
    expect((await api.get("/exchange-rates?base=ZZZ", { token: user.token })).status).toBe(400);
    expect((await api.get("/exchange-rates?cursor=nonsense", { token: user.token })).status).toBe(400);
    expect((await ok(api.get("/exchange-rates?base=EUR&from=2026-02-01", { token: user.token }), 200)).data).toEqual([]);
    expect((await api.get("/exchange-rates")).status).toBe(401);
  });
});

describe("the portfolio", () => {
  it("shows every business of the caller in its currency and translated, with totals, the rates used and missing rates flagged", async () => {
    const founder = await registerUser(api, "Founder");
    const t = founder.token;
    const alpha = await createBusiness(api, t, "Alpha", "USD");
    const beta = await createBusiness(api, t, "Beta", "EUR");
    const gamma = await createBusiness(api, t, "Gamma", "JPY");

    // Alpha (USD): 1,000.00 + 10 % tax today (30 days), 200.00 yesterday due yesterday (overdue),
    // 300.00 paid today, rent 150.00 paid in cash, an open deal of 5,000.00, a won one, two leads
    const a = await accountsOf(api, t, alpha);
    const alphaCustomer = (await ok(api.post(`/businesses/${alpha}/companies`, { name: "Customer A" }, { token: t }))).id;
    const inv1 = await issueInvoice(api, t, alpha, alphaCustomer, "USD", today, addDays(today, 30), { description: "Consulting", quantity: "2", unitPrice: 50000, taxRate: "10" });
    await issueInvoice(api, t, alpha, alphaCustomer, "USD", yesterday, yesterday, { description: "Setup", quantity: "1", unitPrice: 20000, taxRate: "0" });
    await ok(api.post(`/businesses/${alpha}/payments`, { invoiceId: inv1, amount: 30000, date: today }, { token: t }));
    await ok(
      api.post(
        `/businesses/${alpha}/journal-entries`,
        { date: today, memo: "Rent", lines: [{ accountId: a["6200"], debit: 15000, credit: 0 }, { accountId: a.cash, debit: 0, credit: 15000 }] },
        { token: t },
      ),
    );
    await ok(api.post(`/businesses/${alpha}/deals`, { name: "Big one", value: 500000, currency: "USD" }, { token: t }));
    await ok(api.post(`/businesses/${alpha}/deals`, { name: "Done", value: 70000, currency: "USD", status: "won" }, { token: t }));
    await ok(api.post(`/businesses/${alpha}/leads`, { title: "Lead 1" }, { token: t }));
    await ok(api.post(`/businesses/${alpha}/leads`, { title: "Lead 2" }, { token: t }));

    // Beta (EUR): 3 × 33.33 + 20 % tax (99.99 + 20.00 = 119.99) today, paid in full; salaries 50.00;
    // an open deal of 100.00 EUR and one of 200.00 USD (no USD rate in Beta's own table yet); one lead
    const b = await accountsOf(api, t, beta);
    const betaCustomer = (await ok(api.post(`/businesses/${beta}/companies`, { name: "Customer B" }, { token: t }))).id;
    const inv3 = await issueInvoice(api, t, beta, betaCustomer, "EUR", today, addDays(today, 14), { description: "Widgets", quantity: "3", unitPrice: 3333, taxRate: "20" });
    await ok(api.post(`/businesses/${beta}/payments`, { invoiceId: inv3, amount: 11999, date: today }, { token: t }));
    await ok(
      api.post(
        `/businesses/${beta}/journal-entries`,
        { date: today, memo: "Pay", lines: [{ accountId: b["6100"], debit: 5000, credit: 0 }, { accountId: b.cash, debit: 0, credit: 5000 }] },
        { token: t },
      ),
    );
    await ok(api.post(`/businesses/${beta}/deals`, { name: "Euro deal", value: 10000, currency: "EUR" }, { token: t }));
    await ok(api.post(`/businesses/${beta}/deals`, { name: "Dollar deal", value: 20000, currency: "USD" }, { token: t }));
    await ok(api.post(`/businesses/${beta}/leads`, { title: "Lead B" }, { token: t }));

    // Gamma (JPY): one lead, no rate to USD
    await ok(api.post(`/businesses/${gamma}/leads`, { title: "Lead G" }, { token: t }));

    // the founder's rates: EUR→USD, newest on or before today wins; a future one is ignored
    await ok(api.post("/exchange-rates", { base: "EUR", quote: "USD", rate: "1.5", date: "2020-01-01" }, { token: t }));
    await ok(api.post("/exchange-rates", { base: "EUR", quote: "USD", rate: "1.0834", date: yesterday }, { token: t }));
    await ok(api.post("/exchange-rates", { base: "EUR", quote: "USD", rate: "9.9", date: addDays(today, 2) }, { token: t }));

    const res = await portfolio(t, "currency=USD");
    expect(res.status, res.text).toBe(200);
    const p = res.body;
    expect(p).toMatchObject({ currency: "USD", asOf: today, month: { from: monthStart, to: today }, yearToDate: { from: yearStart, to: today } });
    expect(p.businesses.map((x: any) => x.name).sort()).toEqual(["Alpha", "Beta", "Gamma"]);
    const byName = Object.fromEntries(p.businesses.map((x: any) => [x.name, x]));

    const alphaRevenueMonth = 100000 + (yesterdayInMonth ? 20000 : 0);
    const alphaRevenueYear = 100000 + (yesterdayInYear ? 20000 : 0);
    const alphaFigures = {
      currency: "USD",
      revenueThisMonth: alphaRevenueMonth,
      expensesThisMonth: 15000,
      netIncomeThisMonth: alphaRevenueMonth - 15000,
      revenueYearToDate: alphaRevenueYear,
      expensesYearToDate: 15000,
      netIncomeYearToDate: alphaRevenueYear - 15000,
      cash: 30000 - 15000,
      receivables: 110000 - 30000 + 20000,
      overdueReceivables: 20000,
      openPipelineValue: 500000,
    };
    expect(byName.Alpha).toEqual({
      businessId: alpha,
      name: "Alpha",
      role: "owner",
      baseCurrency: "USD",
      status: "included",
      newLeadsThisMonth: 2,
      figures: alphaFigures,
      converted: alphaFigures,
      rate: { from: "USD", to: "USD", base: "USD", quote: "USD", rate: "1", date: null, inverse: false },
      pipelineNotConverted: [],
    });

    // Beta at 1.0834: 99.99 → 108.329166 → 108.33; 50.00 → 54.17; cash 69.99 → 75.827166 → 75.83; deals 100.00 → 108.34
    const betaRate = { from: "EUR", to: "USD", base: "EUR", quote: "USD", rate: "1.0834", date: yesterday, inverse: false };
    expect(byName.Beta).toEqual({
      businessId: beta,
      name: "Beta",
      role: "owner",
      baseCurrency: "EUR",
      status: "included",
      newLeadsThisMonth: 1,
      figures: {
        currency: "EUR",
        revenueThisMonth: 9999,
        expensesThisMonth: 5000,
        netIncomeThisMonth: 4999,
        revenueYearToDate: 9999,
        expensesYearToDate: 5000,
        netIncomeYearToDate: 4999,
        cash: 11999 - 5000,
        receivables: 0,
        overdueReceivables: 0,
        openPipelineValue: 10000,
      },
      converted: {
        currency: "USD",
        revenueThisMonth: 10833,
        expensesThisMonth: 5417,
        netIncomeThisMonth: 5416,
        revenueYearToDate: 10833,
        expensesYearToDate: 5417,
        netIncomeYearToDate: 5416,
        cash: 7583,
        receivables: 0,
        overdueReceivables: 0,
        openPipelineValue: 10834,
      },
      rate: betaRate,
      pipelineNotConverted: [{ currency: "USD", amount: 20000 }],
    });

    expect(byName.Gamma).toMatchObject({ status: "missing_rate", baseCurrency: "JPY", converted: null, rate: null, newLeadsThisMonth: 1 });
    expect(byName.Gamma.figures).toMatchObject({ currency: "JPY", revenueYearToDate: 0, cash: 0 });

    // totals: Alpha and Beta only; Gamma is flagged, not counted at 1:1
    expect(p.totals).toEqual({
      currency: "USD",
      businesses: 2,
      newLeadsThisMonth: 3,
      revenueThisMonth: alphaRevenueMonth + 10833,
      expensesThisMonth: 15000 + 5417,
      netIncomeThisMonth: alphaRevenueMonth - 15000 + 5416,
      revenueYearToDate: alphaRevenueYear + 10833,
      expensesYearToDate: 15000 + 5417,
      netIncomeYearToDate: alphaRevenueYear - 15000 + 5416,
      cash: 15000 + 7583,
      receivables: 100000,
      overdueReceivables: 20000,
      openPipelineValue: 500000 + 10834,
    });
    expect(p.rates).toEqual([betaRate, { from: "USD", to: "USD", base: "USD", quote: "USD", rate: "1", date: null, inverse: false }]);
    expect(p.missingRates).toEqual([{ from: "JPY", to: "USD", businessIds: [gamma] }]);

    // Beta's own rate table converts its dollar deal (1 USD = 0.92 EUR): 100.00 + 184.00 EUR
    await ok(api.post(`/businesses/${beta}/exchange-rates`, { currency: "USD", date: today, rate: "0.92" }, { token: t }));
    // and a JPY rate stated the other way round (1 USD = 150 JPY) includes Gamma
    await ok(api.post("/exchange-rates", { base: "USD", quote: "JPY", rate: "150", date: today }, { token: t }));
    const after = (await ok(portfolio(t, "currency=USD"), 200)) as any;
    const beta2 = after.businesses.find((x: any) => x.businessId === beta);
    expect(beta2.figures.openPipelineValue).toBe(28400);
    expect(beta2.converted.openPipelineValue).toBe(30769); // 284.00 × 1.0834 = 307.6856
    expect(beta2.pipelineNotConverted).toEqual([]);
    const gamma2 = after.businesses.find((x: any) => x.businessId === gamma);
    expect(gamma2).toMatchObject({ status: "included", rate: { from: "JPY", to: "USD", base: "USD", quote: "JPY", rate: "150", date: today, inverse: true } });
    expect(after.missingRates).toEqual([]);
    expect(after.totals).toMatchObject({ businesses: 3, newLeadsThisMonth: 4, openPipelineValue: 500000 + 30769 });

    // the same portfolio in EUR: Alpha's dollars divided by 1.0834 (the EUR→USD rate used inversely)
    const inEur = (await ok(portfolio(t, "currency=EUR"), 200)) as any;
    const alphaEur = inEur.businesses.find((x: any) => x.businessId === alpha);
    expect(alphaEur.rate).toEqual({ from: "USD", to: "EUR", base: "EUR", quote: "USD", rate: "1.0834", date: yesterday, inverse: true });
    expect(alphaEur.converted).toMatchObject({ cash: 13845, receivables: 92302, overdueReceivables: 18460, openPipelineValue: 461510 });
    // 150.00 / 1.0834 = 138.4530…; 15000 / 1.0834 = 13845.30 → 13845; 20000 → 18460.40 → 18460; 500000 → 461510.06 → 461510
    expect(alphaEur.converted.expensesThisMonth).toBe(13845);
    expect(inEur.businesses.find((x: any) => x.businessId === beta).converted).toEqual({ ...beta2.figures });
    // Gamma: no JPY↔EUR rate
    expect(inEur.missingRates).toEqual([{ from: "JPY", to: "EUR", businessIds: [gamma] }]);

    // a filter picks businesses, in the order given
    const filtered = (await ok(portfolio(t, `currency=USD&businessIds=${beta},${alpha}`), 200)) as any;
    expect(filtered.businesses.map((x: any) => x.businessId)).toEqual([beta, alpha]);
    expect(filtered.totals.businesses).toBe(2);
    expect(filtered.rates.map((r: any) => r.from)).toEqual(["EUR", "USD"]);
  });

  it("fans out over the caller's memberships only: another's business never appears, and a removed member loses it at once", async () => {
    const founder = await registerUser(api, "Member");
    const other = await registerUser(api, "Other founder");
    const mine = await createBusiness(api, founder.token, "Mine", "USD");
    const shared = await createBusiness(api, other.token, "Shared", "USD");
    const secret = await createBusiness(api, other.token, "Secret", "USD");
    await ok(api.post(`/businesses/${secret}/leads`, { title: "Not yours" }, { token: other.token }));
    await ok(api.post(`/businesses/${shared}/members`, { email: founder.email, role: "viewer" }, { token: other.token }));

    const before = (await ok(portfolio(founder.token, "currency=USD"), 200)) as any;
    expect(before.businesses.map((x: any) => [x.businessId, x.role]).sort()).toEqual([
      [mine, "owner"],
      [shared, "viewer"],
    ].sort());
    expect(JSON.stringify(before)).not.toContain(secret);
    expect((await portfolio(founder.token, `currency=USD&businessIds=${secret}`)).status).toBe(404);
    expect((await portfolio(founder.token, `currency=USD&businessIds=${mine},${secret}`)).status).toBe(404);
    expect((await portfolio(founder.token, "currency=USD&businessIds=biz_doesnotexist")).status).toBe(404);
    expect((await ok(portfolio(founder.token, `currency=USD&businessIds=${shared}`), 200)).businesses.map((x: any) => x.businessId)).toEqual([shared]);

    expect((await api.delete(`/businesses/${shared}/members/${founder.userId}`, { token: other.token })).status).toBe(204);
    const after = (await ok(portfolio(founder.token, "currency=USD"), 200)) as any;
    expect(after.businesses.map((x: any) => x.businessId)).toEqual([mine]);
    expect((await portfolio(founder.token, `currency=USD&businessIds=${shared}`)).status).toBe(404);

    // a deleted business disappears as well
    const gone = await createBusiness(api, founder.token, "Gone", "USD");
    expect((await ok(portfolio(founder.token, "currency=USD"), 200)).businesses).toHaveLength(2);
    expect((await api.delete(`/businesses/${gone}`, { token: founder.token })).status).toBe(204);
    expect((await ok(portfolio(founder.token, "currency=USD"), 200)).businesses.map((x: any) => x.businessId)).toEqual([mine]);

    // the other founder sees their own two
    expect((await ok(portfolio(other.token, "currency=USD"), 200)).businesses.map((x: any) => x.businessId).sort()).toEqual([shared, secret].sort());
  });

  it("refuses unknown or malformed currencies and filters with 400, API keys with 403, no credentials with 401", async () => {
    const user = await registerUser(api, "Bad input");
    const biz = await createBusiness(api, user.token, "Biz", "USD");
    for (const q of ["", "currency=", "currency=usd", "currency=US", "currency=XYZ", "currency=USDD", "currency=USD&other=1", "currency=USD&businessIds=", "currency=USD&businessIds=a%20b", "currency=USD&businessIds=,"]) {
      const res = await portfolio(user.token, q);
      expect(res.status, q).toBe(400);
      expect(res.headers.get("content-type"), q).toContain("application/problem+json");
    }
    // no businesses at all: an empty portfolio, zero totals
    const lonely = await registerUser(api, "No businesses");
    const empty = (await ok(portfolio(lonely.token, "currency=GBP"), 200)) as any;
    expect(empty).toMatchObject({ businesses: [], rates: [], missingRates: [], totals: { currency: "GBP", businesses: 0, cash: 0 } });

    const key = (await ok(api.post(`/businesses/${biz}/api-keys`, { name: "k", role: "viewer" }, { token: user.token }))).key;
    expect((await portfolio(key, "currency=USD")).status).toBe(403);
    expect((await api.get("/exchange-rates", { token: key })).status).toBe(403);
    expect((await api.post("/exchange-rates", { base: "EUR", quote: "USD", rate: "1.1", date: today }, { token: key })).status).toBe(403);
    expect((await api.get("/portfolio?currency=USD")).status).toBe(401);
  });
});

describe("figures beyond exact", () => {
  it("answers 422, not 500, when a translated or consolidated figure would pass 2^53 − 1 minor units", async () => {
    const user = await registerUser(api, "Very large");
    const t = user.token;
    // 2.7 × 10^13 fils of revenue in a KWD business: within its own ledger's bounds; in IDR at
    // 1 KWD = 50,000 IDR that is 1.35 × 10^17 sen, past 2^53 − 1
    const kwd = await createBusiness(api, t, "Kuwait", "KWD");
    const k = await accountsOf(api, t, kwd);
    for (let i = 0; i < 3; i++) {
      await ok(api.post(`/businesses/${kwd}/journal-entries`, { date: "2026-01-05", memo: "Sale", lines: [{ accountId: k.cash, debit: 9_000_000_000_000 }, { accountId: k.revenue, credit: 9_000_000_000_000 }] }, { token: t }));
    }
    await ok(api.post("/exchange-rates", { base: "KWD", quote: "IDR", rate: "50000", date: "2026-01-01" }, { token: t }));
    await ok(api.post("/exchange-rates", { base: "KWD", quote: "USD", rate: "3.25", date: "2026-01-01" }, { token: t }));
    const paths = ["/portfolio?currency=IDR", "/portfolio/profit-and-loss?currency=IDR&from=2026-01-01&to=2026-01-31", "/portfolio/balance-sheet?currency=IDR&asOf=2026-01-31"];
    for (const path of paths) {
      const res = await api.get(path, { token: t });
      expect(res.status, path).toBe(422);
      expect(res.headers.get("content-type"), path).toContain("application/problem+json");
      expect(res.body.detail, path).toMatch(/9,007,199,254,740,991 minor units/);
      expect(res.body.errors, path).toEqual([{ path: "amount", message: "beyond 2^53 − 1 minor units" }]);
    }
    // the same figures in USD are exact and shown: 2.7 × 10^10 KWD × 3.25 = 8.775 × 10^10 USD, in cents
    const usd = await ok(api.get("/portfolio/balance-sheet?currency=USD&asOf=2026-01-31", { token: t }), 200);
    expect(usd.consolidated.totals.assets).toBe(8_775_000_000_000);
    expect(usd.consolidated.balanced).toBe(true);
  });
});

describe("the portfolio cache", () => {
  it("answers a repeat from the cache, and never serves a figure older than the business's last commit", async () => {
    const owner = await registerUser(api, "Cached founder");
    const t = owner.token;
    const id = await createBusiness(api, t, "Cached", "USD");
    const a = await accountsOf(api, t, id);
    const entry = (amount: number) =>
      ok(api.post(`/businesses/${id}/journal-entries`, { date: today, memo: "Capital", lines: [{ accountId: a.cash, debit: amount, credit: 0 }, { accountId: a.equity, debit: 0, credit: amount }] }, { token: t }));
    const cacheCounters = async () => {
      const text = (await api.get("/metrics")).text;
      const read = (name: string) => Number(text.match(new RegExp(`^${name}\\{cache="portfolio"\\} (\\d+)$`, "m"))?.[1] ?? Number.NaN);
      return { hits: read("coreflow_cache_hits_total"), misses: read("coreflow_cache_misses_total") };
    };
    const statements = (res: { headers: Headers }) => Number(res.headers.get("server-timing")?.match(/desc="(\d+) statements"/)?.[1] ?? 0);
    const cashOf = (res: any) => res.body.businesses.find((b: { businessId: string }) => b.businessId === id).figures.cash;

    await entry(10000);
    const before = await cacheCounters();
    const cold = await portfolio(t, "currency=USD");
    expect(cold.status, cold.text).toBe(200);
    expect(cashOf(cold)).toBe(10000);
    const warm = await portfolio(t, "currency=USD");
    expect(warm.body).toEqual(cold.body);
    const after = await cacheCounters();
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
    expect(statements(warm)).toBeLessThan(statements(cold));
    expect((await api.get("/metrics")).text).toMatch(/^coreflow_cache_evictions_total\{cache="portfolio"\} \d+$/m);

    // a committed change to the business: the next read recomputes, at once
    await entry(2500);
    const fresh = await portfolio(t, "currency=USD");
    expect(cashOf(fresh)).toBe(12500);
    expect((await cacheCounters()).misses - after.misses).toBe(1);
  });
});
