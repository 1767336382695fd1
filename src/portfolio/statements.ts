import type { MemberBusinessRow } from "../businesses/store.js";
// every sum and difference of amounts here is exact or a 422 (addExact, sumExact): across businesses and
// currencies a figure can pass 2^53 − 1 minor units even though no single ledger's can
import { addExact, sumExact } from "../finance/money.js";
import * as reports from "../finance/reports.js";
import type { AppDeps, BusinessScope } from "../http/context.js";
import type { DbMeter, Db } from "../platform/sql.js";
import { averageRate, formatRatio, type Ratio, type RateSegment, rateSchedule, ratioOf, translateAt } from "./average.js";
import type { RateUsed, StoredRate } from "./conversion.js";
import type { BusinessFiguresCache } from "./figures-cache.js";
import { addMissingRate, businessHeading, chosenBusinesses, type MissingRates, missingRatesList, readBusiness } from "./service.js";
import * as store from "./store.js";

/**
 * Consolidated statements across chosen businesses of the caller (decision 0041): each business's own
 * statement in its base currency (cached per business, parameters and event sequence), translated into
 * the requested currency — profit and loss at the period's average rate, the balance sheet at the closing
 * rate with this year's earnings at the year-to-date average and the difference in a translation reserve
 * — then added up by account, with inter-company amounts eliminated where both sides are in the set.
 */

export interface Line {
  accountId: string;
  code: string;
  name: string;
  type: string;
  amount: number;
}

export interface IntercompanyAmounts {
  counterpartyBusinessId: string;
  revenue: number;
  expenses: number;
  receivables: number;
  payables: number;
}

// ---- one business, base currency (what the cache keeps)

/**
 * Which amounts of the marked entries are inter-company: revenue accounts (credit − debit); expense
 * accounts other than realised FX (debit − credit); the receivable account (debit − credit); liability
 * accounts other than tax payable (credit − debit). Cash, tax and FX lines are not amounts owed between
 * the two businesses.
 */
export function intercompanyOf(rows: readonly store.IntercompanyTotalsRow[]): IntercompanyAmounts[] {
  const by = new Map<string, IntercompanyAmounts>();
  for (const r of rows) {
    const ic = by.get(r.counterparty) ?? { counterpartyBusinessId: r.counterparty, revenue: 0, expenses: 0, receivables: 0, payables: 0 };
    if (r.type === "revenue") ic.revenue = addExact(ic.revenue, r.credit, -r.debit);
    else if (r.type === "expense" && r.system_key !== "fx_gain_loss") ic.expenses = addExact(ic.expenses, r.debit, -r.credit);
    else if (r.system_key === "receivable") ic.receivables = addExact(ic.receivables, r.debit, -r.credit);
    else if (r.type === "liability" && r.system_key !== "tax_payable") ic.payables = addExact(ic.payables, r.credit, -r.debit);
    by.set(r.counterparty, ic);
  }
  return [...by.values()].sort((a, b) => a.counterpartyBusinessId.localeCompare(b.counterpartyBusinessId));
}

export interface PnlBase {
  currency: string;
  revenue: Line[];
  expenses: Line[];
  totals: { revenue: number; expenses: number; netIncome: number };
  intercompany: { counterpartyBusinessId: string; revenue: number; expenses: number }[];
}

export function profitAndLossBase(scope: BusinessScope, from: string, to: string): PnlBase {
  const pl = reports.profitAndLoss(scope, from, to);
  return {
    currency: scope.baseCurrency,
    revenue: pl.revenue,
    expenses: pl.expenses,
    totals: pl.totals,
    intercompany: intercompanyOf(store.intercompanyTotals(scope.db, from, to))
      .filter((ic) => ic.revenue !== 0 || ic.expenses !== 0)
      .map(({ counterpartyBusinessId, revenue, expenses }) => ({ counterpartyBusinessId, revenue, expenses })),
  };
}

export interface BsBase {
  currency: string;
  assets: Line[];
  liabilities: Line[];
  equity: Line[];
  /** Revenue less expenses not closed to an equity account: before this year, and this year to asOf. */
  earnings: { priorYears: number; yearToDate: number };
  translationReserve: number;
  totals: { assets: number; liabilities: number; equity: number; liabilitiesAndEquity: number };
  intercompany: { counterpartyBusinessId: string; receivables: number; payables: number }[];
}

export const yearStartOf = (date: string) => `${date.slice(0, 4)}-01-01`;

export function balanceSheetBase(scope: BusinessScope, asOf: string): BsBase {
  const bs = reports.balanceSheet(scope, asOf);
  const yearToDate = reports.profitAndLoss(scope, yearStartOf(asOf), asOf).totals.netIncome;
  const earnings = { priorYears: bs.currentEarnings - yearToDate, yearToDate };
  return {
    currency: scope.baseCurrency,
    assets: bs.assets,
    liabilities: bs.liabilities,
    equity: bs.equity,
    earnings,
    translationReserve: 0,
    totals: bsTotals(bs.assets, bs.liabilities, bs.equity, earnings, 0),
    intercompany: intercompanyOf(store.intercompanyTotals(scope.db, "", asOf))
      .filter((ic) => ic.receivables !== 0 || ic.payables !== 0)
      .map(({ counterpartyBusinessId, receivables, payables }) => ({ counterpartyBusinessId, receivables, payables })),
  };
}

function bsTotals(assets: Line[], liabilities: Line[], equity: Line[], earnings: BsBase["earnings"], reserve: number) {
  const owed = sumExact(liabilities);
  const e = addExact(sumExact(equity), earnings.priorYears, earnings.yearToDate, reserve);
  return { assets: sumExact(assets), liabilities: owed, equity: e, liabilitiesAndEquity: addExact(owed, e) };
}

// ---- translation, pure

/** A P&L translated at one rate: every amount rounded once; totals are sums of the translated lines. */
export function translatePnl(base: PnlBase, to: string, rate: Ratio): PnlBase {
  const t = (amount: number) => translateAt(amount, base.currency, to, rate);
  const revenue = base.revenue.map((l) => ({ ...l, amount: t(l.amount) }));
  const expenses = base.expenses.map((l) => ({ ...l, amount: t(l.amount) }));
  const earned = sumExact(revenue);
  const spent = sumExact(expenses);
  return {
    currency: to,
    revenue,
    expenses,
    totals: { revenue: earned, expenses: spent, netIncome: addExact(earned, -spent) },
    intercompany: base.intercompany.map((ic) => ({ ...ic, revenue: t(ic.revenue), expenses: t(ic.expenses) })),
  };
}

/**
 * A balance sheet translated at the closing rate, this year's earnings at the year-to-date average; the
 * translation reserve is what makes it balance, so translated assets = liabilities + equity exactly.
 */
export function translateBalanceSheet(base: BsBase, to: string, closing: Ratio, yearToDateAverage: Ratio): BsBase {
  const t = (amount: number) => translateAt(amount, base.currency, to, closing);
  const assets = base.assets.map((l) => ({ ...l, amount: t(l.amount) }));
  const liabilities = base.liabilities.map((l) => ({ ...l, amount: t(l.amount) }));
  const equity = base.equity.map((l) => ({ ...l, amount: t(l.amount) }));
  const earnings = { priorYears: t(base.earnings.priorYears), yearToDate: translateAt(base.earnings.yearToDate, base.currency, to, yearToDateAverage) };
  const reserve = addExact(sumExact(assets), -sumExact(liabilities), -sumExact(equity), -earnings.priorYears, -earnings.yearToDate);
  return {
    currency: to,
    assets,
    liabilities,
    equity,
    earnings,
    translationReserve: reserve,
    totals: bsTotals(assets, liabilities, equity, earnings, reserve),
    intercompany: base.intercompany.map((ic) => ({ ...ic, receivables: t(ic.receivables), payables: t(ic.payables) })),
  };
}

// ---- consolidation, pure

export interface ConsolidatedLine {
  type: string;
  code: string;
  name: string;
  amount: number;
}

/** Lines of several businesses added up by account type and code; the name is the first business's. */
export function combineLines(lists: readonly (readonly Line[])[]): ConsolidatedLine[] {
  const by = new Map<string, ConsolidatedLine>();
  for (const lines of lists) {
    for (const l of lines) {
      const key = `${l.type}\u0000${l.code}`;
      const line = by.get(key);
      if (line) line.amount = addExact(line.amount, l.amount);
      else by.set(key, { type: l.type, code: l.code, name: l.name, amount: l.amount });
    }
  }
  return [...by.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

export interface Included<S> {
  businessId: string;
  translated: S;
}

/**
 * Each ordered pair of businesses in the set with what the first shows against the second (`own`, e.g. sold)
 * and what the second shows against the first (`counterparty`, e.g. bought); pairs where both are 0 are left out.
 */
function intercompanyPairs<I extends { counterpartyBusinessId: string }>(
  included: readonly Included<{ intercompany: I[] }>[],
  own: (ic: I) => number,
  counterparty: (ic: I) => number,
) {
  const pairs: [businessId: string, counterpartyBusinessId: string, own: number, counterparty: number][] = [];
  for (const first of included) {
    for (const second of included) {
      if (first.businessId === second.businessId) continue;
      const ours = first.translated.intercompany.find((ic) => ic.counterpartyBusinessId === second.businessId);
      const theirs = second.translated.intercompany.find((ic) => ic.counterpartyBusinessId === first.businessId);
      const shown = ours ? own(ours) : 0;
      const shownBack = theirs ? counterparty(theirs) : 0;
      if (shown === 0 && shownBack === 0) continue;
      pairs.push([first.businessId, second.businessId, shown, shownBack]);
    }
  }
  return pairs;
}

export function consolidatePnl(currency: string, included: readonly Included<PnlBase>[]) {
  const revenue = combineLines(included.map((b) => b.translated.revenue));
  const expenses = combineLines(included.map((b) => b.translated.expenses));
  const eliminations = intercompanyPairs(included, (ic) => ic.revenue, (ic) => ic.expenses).map(
    ([seller, buyer, sold, bought]) => ({ sellerBusinessId: seller, buyerBusinessId: buyer, revenue: sold, expenses: bought, difference: addExact(sold, -bought) }),
  );
  const eliminatedRevenue = addExact(...eliminations.map((e) => e.revenue));
  const eliminatedExpenses = addExact(...eliminations.map((e) => e.expenses));
  const revenueBeforeEliminations = sumExact(revenue);
  const expensesBeforeEliminations = sumExact(expenses);
  const totalRevenue = addExact(revenueBeforeEliminations, -eliminatedRevenue);
  const totalExpenses = addExact(expensesBeforeEliminations, -eliminatedExpenses);
  return {
    currency,
    businesses: included.length,
    revenue,
    expenses,
    eliminations,
    totals: {
      revenueBeforeEliminations,
      expensesBeforeEliminations,
      eliminatedRevenue,
      eliminatedExpenses,
      eliminationDifference: addExact(eliminatedRevenue, -eliminatedExpenses),
      revenue: totalRevenue,
      expenses: totalExpenses,
      netIncome: addExact(totalRevenue, -totalExpenses),
    },
  };
}

export function consolidateBalanceSheet(currency: string, included: readonly Included<BsBase>[]) {
  const assets = combineLines(included.map((b) => b.translated.assets));
  const liabilities = combineLines(included.map((b) => b.translated.liabilities));
  const equity = combineLines(included.map((b) => b.translated.equity));
  const earnings = {
    priorYears: addExact(...included.map((b) => b.translated.earnings.priorYears)),
    yearToDate: addExact(...included.map((b) => b.translated.earnings.yearToDate)),
  };
  const translationReserve = addExact(...included.map((b) => b.translated.translationReserve));
  const eliminations = intercompanyPairs(included, (ic) => ic.receivables, (ic) => ic.payables).map(
    ([creditor, debtor, owed, owes]) => ({ creditorBusinessId: creditor, debtorBusinessId: debtor, receivables: owed, payables: owes, difference: addExact(owed, -owes) }),
  );
  const eliminatedReceivables = addExact(...eliminations.map((e) => e.receivables));
  const eliminatedPayables = addExact(...eliminations.map((e) => e.payables));
  // a receivable that does not match its payable leaves the gap in equity, shown on its own line
  const eliminationDifference = addExact(eliminatedPayables, -eliminatedReceivables);
  const assetsBeforeEliminations = sumExact(assets);
  const liabilitiesBeforeEliminations = sumExact(liabilities);
  const totalAssets = addExact(assetsBeforeEliminations, -eliminatedReceivables);
  const totalLiabilities = addExact(liabilitiesBeforeEliminations, -eliminatedPayables);
  const totalEquity = addExact(sumExact(equity), earnings.priorYears, earnings.yearToDate, translationReserve, eliminationDifference);
  const liabilitiesAndEquity = addExact(totalLiabilities, totalEquity);
  return {
    currency,
    businesses: included.length,
    assets,
    liabilities,
    equity,
    earnings,
    translationReserve,
    eliminations,
    eliminationDifference,
    totals: {
      assetsBeforeEliminations,
      liabilitiesBeforeEliminations,
      eliminatedReceivables,
      eliminatedPayables,
      assets: totalAssets,
      liabilities: totalLiabilities,
      equity: totalEquity,
      liabilitiesAndEquity,
    },
    balanced: totalAssets === liabilitiesAndEquity,
  };
}

// ---- rates from the caller's table

export interface AverageRateView {
  from: string;
  to: string;
  periodFrom: string;
  periodTo: string;
  days: number;
  rate: string;
  exact: string;
  segments: { firstDay: string; lastDay: string; days: number; base: string; quote: string; rate: string; date: string | null; inverse: boolean }[];
}

/** The schedule of the pair from → to over [from, to] in the caller's table, or undefined when a day has no rate. */
export function scheduleFor(core: Db, userId: string, currencyFrom: string, currencyTo: string, from: string, to: string): RateSegment[] | undefined {
  if (currencyFrom === currencyTo) return rateSchedule(currencyFrom, currencyTo, from, to, [], []);
  const pair = (base: string, quote: string): StoredRate[] => {
    const first = store.userRateOn(core, userId, base, quote, from);
    return [...(first ? [first] : []), ...store.userRatesBetween(core, userId, base, quote, from, to)];
  };
  return rateSchedule(currencyFrom, currencyTo, from, to, pair(currencyFrom, currencyTo), pair(currencyTo, currencyFrom));
}

export function averageView(segments: RateSegment[]): { view: AverageRateView; ratio: Ratio } {
  const ratio = averageRate(segments);
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  return {
    ratio,
    view: {
      from: first.rate.from,
      to: first.rate.to,
      periodFrom: first.from,
      periodTo: last.to,
      days: segments.reduce((s, x) => s + x.days, 0),
      rate: formatRatio(ratio),
      exact: `${ratio.num}/${ratio.den}`,
      segments: segments.map((s) => ({
        firstDay: s.from,
        lastDay: s.to,
        days: s.days,
        base: s.rate.base,
        quote: s.rate.quote,
        rate: s.rate.rate,
        date: s.rate.date,
        inverse: s.rate.inverse,
      })),
    },
  };
}

// ---- the two statements: fan-out over the chosen businesses

interface Caller {
  userId: string;
  requestId: string;
}

/**
 * Each chosen business's statement in its base currency, and translated where its currency has a rate:
 * the translated ones are `included` in the consolidation, the others listed in `missingRates`.
 */
function translateEach<S, R>(
  deps: AppDeps,
  core: Db,
  meter: DbMeter,
  caller: Caller,
  q: { currency: string; businessIds?: string[] },
  how: { read: (scope: BusinessScope, row: MemberBusinessRow) => S; rateFor: (currency: string) => R | undefined; translate: (statement: S, rate: R) => S },
) {
  const missing: MissingRates = new Map();
  const included: Included<S>[] = [];
  const businesses = chosenBusinesses(core, caller.userId, q.businessIds).map((row) => {
    const statement = readBusiness(deps, meter, caller, row, (scope) => how.read(scope, row));
    const rate = how.rateFor(row.base_currency);
    const translated = rate ? how.translate(statement, rate) : null;
    if (translated) included.push({ businessId: row.id, translated });
    else addMissingRate(missing, row);
    return { heading: businessHeading(row, translated !== null), statement, translated, rate };
  });
  return { businesses, included, missingRates: missingRatesList(missing, q.currency) };
}

export function consolidatedProfitAndLoss(
  deps: AppDeps,
  core: Db,
  meter: DbMeter,
  caller: Caller,
  q: { currency: string; from: string; to: string; businessIds?: string[] },
  cache: BusinessFiguresCache,
) {
  const rates = new Map<string, ReturnType<typeof averageView> | undefined>();
  const rateFor = (currency: string) => {
    if (!rates.has(currency)) {
      const segments = scheduleFor(core, caller.userId, currency, q.currency, q.from, q.to);
      rates.set(currency, segments ? averageView(segments) : undefined);
    }
    return rates.get(currency);
  };
  const { businesses, included, missingRates } = translateEach(deps, core, meter, caller, q, {
    read: (scope, row) => cache.lookup(row.id, `pl:${q.from}:${q.to}`, scope.db, () => profitAndLossBase(scope, q.from, q.to)),
    rateFor,
    translate: (statement, rate) => translatePnl(statement, q.currency, rate.ratio),
  });
  return {
    currency: q.currency,
    from: q.from,
    to: q.to,
    businesses: businesses.map(({ heading, statement, translated, rate }) => ({ ...heading, statement, translated, averageRate: rate?.view ?? null })),
    consolidated: consolidatePnl(q.currency, included),
    rates: [...rates.values()].filter((r) => r !== undefined).map((r) => r.view).sort((a, b) => a.from.localeCompare(b.from)),
    missingRates,
  };
}

export function consolidatedBalanceSheet(
  deps: AppDeps,
  core: Db,
  meter: DbMeter,
  caller: Caller,
  q: { currency: string; asOf: string; businessIds?: string[] },
  cache: BusinessFiguresCache,
) {
  const yearFrom = yearStartOf(q.asOf);
  const rates = new Map<string, { closing: RateUsed; closingRatio: Ratio; average: ReturnType<typeof averageView> } | undefined>();
  const rateFor = (currency: string) => {
    if (!rates.has(currency)) {
      // the year to date's schedule: its last stretch is the rate in force on asOf, the closing rate
      const segments = scheduleFor(core, caller.userId, currency, q.currency, yearFrom, q.asOf);
      const closing = segments?.[segments.length - 1]?.rate;
      rates.set(currency, segments && closing ? { closing, closingRatio: ratioOf(closing), average: averageView(segments) } : undefined);
    }
    return rates.get(currency);
  };
  const { businesses, included, missingRates } = translateEach(deps, core, meter, caller, q, {
    read: (scope, row) => cache.lookup(row.id, `bs:${q.asOf}`, scope.db, () => balanceSheetBase(scope, q.asOf)),
    rateFor,
    translate: (statement, rate) => translateBalanceSheet(statement, q.currency, rate.closingRatio, rate.average.ratio),
  });
  const used = [...rates.values()].filter((r) => r !== undefined).sort((a, b) => a.closing.from.localeCompare(b.closing.from));
  return {
    currency: q.currency,
    asOf: q.asOf,
    yearToDate: { from: yearFrom, to: q.asOf },
    businesses: businesses.map(({ heading, statement, translated, rate }) => ({
      ...heading,
      statement,
      translated,
      closingRate: rate?.closing ?? null,
      yearToDateAverageRate: rate?.average.view ?? null,
    })),
    consolidated: consolidateBalanceSheet(q.currency, included),
    rates: used.map((r) => ({ closing: r.closing, yearToDateAverage: r.average.view })),
    missingRates,
  };
}
