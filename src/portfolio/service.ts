import * as businesses from "../businesses/store.js";
import * as crmStore from "../crm/store.js";
import { RATE_LIMITS, today } from "../finance/ledger.js";
import { addExact, convert, formatDecimal, parseDecimal, sumExact, toSafeNumber } from "../finance/money.js";
import * as reports from "../finance/reports.js";
import * as financeStore from "../finance/store.js";
import type { AppDeps, BusinessScope } from "../http/context.js";
import { decodeCursor, encodeCursor, type Page } from "../platform/pagination.js";
import { notFound, unprocessable } from "../platform/problem.js";
import { Db, type DbMeter } from "../platform/sql.js";
import { chooseRate, parseRate, type RateUsed, translate } from "./conversion.js";
import type { BusinessFiguresCache } from "./figures-cache.js";
import * as store from "./store.js";

// ---- the user's exchange-rate table (core database)

export const userRateView = (row: store.UserRateRow) => ({
  base: row.base,
  quote: row.quote,
  date: row.date,
  rate: row.rate,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Sets the rate of a pair on a date (replacing that day's rate); `created` tells a new row from a replaced one. */
export function setUserRate(core: Db, userId: string, input: { base: string; quote: string; rate: string; date: string }, at: string) {
  if (input.base === input.quote) {
    throw unprocessable("A currency's rate to itself is always 1.", [{ path: "quote", message: "same as base" }]);
  }
  const rate = formatDecimal(parseRate(input.rate)!);
  return core.transaction(() => {
    const before = store.findUserRate(core, userId, input.base, input.quote, input.date);
    store.upsertUserRate(core, {
      user_id: userId,
      base: input.base,
      quote: input.quote,
      date: input.date,
      rate,
      created_at: before?.created_at ?? at,
      updated_at: at,
    });
    return { created: before === undefined, rate: userRateView(store.findUserRate(core, userId, input.base, input.quote, input.date)!) };
  });
}

export function listUserRates(
  core: Db,
  userId: string,
  q: { limit: number; cursor?: string; base?: string; quote?: string; from?: string; to?: string },
): Page<ReturnType<typeof userRateView>> {
  const after = decodeCursor(q.cursor, ["string", "string", "string"]) as [string, string, string] | undefined;
  const rows = store.listUserRates(core, { userId, after, base: q.base, quote: q.quote, from: q.from, to: q.to, limit: q.limit + 1 });
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page[page.length - 1];
  return { data: page.map(userRateView), nextCursor: more && last ? encodeCursor([last.base, last.quote, last.date]) : null };
}

// ---- one business's figures, read from its own database

const MONEY_KEYS = [
  "revenueThisMonth",
  "expensesThisMonth",
  "netIncomeThisMonth",
  "revenueYearToDate",
  "expensesYearToDate",
  "netIncomeYearToDate",
  "cash",
  "receivables",
  "overdueReceivables",
  "openPipelineValue",
] as const;
type MoneyKey = (typeof MONEY_KEYS)[number];
export type Figures = { currency: string } & Record<MoneyKey, number>;

export interface BusinessFigures {
  figures: Figures;
  newLeadsThisMonth: number;
  pipelineNotConverted: { currency: string; amount: number }[];
}

export interface Period {
  asOf: string;
  monthFrom: string;
  yearFrom: string;
}

export function periodOf(asOf: string): Period {
  return { asOf, monthFrom: `${asOf.slice(0, 7)}-01`, yearFrom: `${asOf.slice(0, 4)}-01-01` };
}

const MAX_PIPELINES = 1_000;

/**
 * The figures of one business in its base currency, through the accounting reports and the CRM's
 * pipeline totals. Read-only and synchronous: no write of this business can interleave.
 */
export function businessFigures(scope: BusinessScope, period: Period): BusinessFigures {
  const db = scope.db;
  const month = reports.profitAndLoss(scope, period.monthFrom, period.asOf).totals;
  const year = reports.profitAndLoss(scope, period.yearFrom, period.asOf).totals;
  const cashIds = new Set(financeStore.systemAccounts(db).filter((a) => a.system_key === "cash").map((a) => a.id));
  const cash = sumExact(reports.balanceSheet(scope, period.asOf).assets.filter((a) => cashIds.has(a.accountId)));
  const aging = reports.arAging(scope, period.asOf).totals;

  // open deals in every pipeline, per currency; foreign ones at the business's own rate table
  const perCurrency = new Map<string, number>();
  for (const pipeline of crmStore.listPipelines(db, "", MAX_PIPELINES)) {
    for (const t of crmStore.stageTotals(db, pipeline.id)) {
      if (t.currency === null || t.amount === null) continue;
      perCurrency.set(t.currency, addExact(perCurrency.get(t.currency) ?? 0, t.amount));
    }
  }
  let openPipelineValue = 0;
  const pipelineNotConverted: BusinessFigures["pipelineNotConverted"] = [];
  for (const [currency, amount] of [...perCurrency].sort(([a], [b]) => a.localeCompare(b))) {
    if (currency === scope.baseCurrency) {
      openPipelineValue = addExact(openPipelineValue, amount);
      continue;
    }
    const row = financeStore.rateOn(db, currency, period.asOf);
    const rate = row ? parseDecimal(row.rate, RATE_LIMITS) : undefined;
    if (rate) openPipelineValue = addExact(openPipelineValue, toSafeNumber(convert(BigInt(amount), currency, scope.baseCurrency, rate)));
    else pipelineNotConverted.push({ currency, amount });
  }

  return {
    figures: {
      currency: scope.baseCurrency,
      revenueThisMonth: month.revenue,
      expensesThisMonth: month.expenses,
      netIncomeThisMonth: month.netIncome,
      revenueYearToDate: year.revenue,
      expensesYearToDate: year.expenses,
      netIncomeYearToDate: year.netIncome,
      cash,
      receivables: aging.total,
      overdueReceivables: addExact(aging.total, -aging.current),
      openPipelineValue,
    },
    newLeadsThisMonth: store.leadsCreatedSince(db, `${period.monthFrom}T00:00:00.000Z`),
    pipelineNotConverted,
  };
}

/** Figures translated with one rate: each amount rounded once; net income is revenue less expenses, so each row adds up. */
export function translateFigures(f: Figures, used: RateUsed): Figures {
  const out = { currency: used.to } as Figures;
  for (const key of MONEY_KEYS) out[key] = translate(f[key], used);
  out.netIncomeThisMonth = addExact(out.revenueThisMonth, -out.expensesThisMonth);
  out.netIncomeYearToDate = addExact(out.revenueYearToDate, -out.expensesYearToDate);
  return out;
}

// ---- the portfolio: fan-out over the caller's memberships

const MEMBERSHIP_PAGE = 500;
const MAX_MEMBERSHIP_PAGES = 200;

export function memberBusinesses(core: Db, userId: string): businesses.MemberBusinessRow[] {
  const out: businesses.MemberBusinessRow[] = [];
  let after = "";
  for (let page = 0; page < MAX_MEMBERSHIP_PAGES; page++) {
    const rows = businesses.listMemberBusinesses(core, userId, after, MEMBERSHIP_PAGE);
    out.push(...rows);
    if (rows.length < MEMBERSHIP_PAGE) break;
    after = rows[rows.length - 1]!.id;
  }
  return out;
}

/** The caller's businesses, or those of `businessIds` in that order: one the caller is not in is 404. */
export function chosenBusinesses(core: Db, userId: string, businessIds: string[] | undefined): businesses.MemberBusinessRow[] {
  const rows = memberBusinesses(core, userId);
  if (businessIds === undefined) return rows;
  const mine = new Map(rows.map((r) => [r.id, r]));
  // a business the caller is not in is "not found", exactly as on its own routes
  if (businessIds.some((id) => !mine.has(id))) throw notFound("No such business.");
  return businessIds.map((id) => mine.get(id)!);
}

/** Runs `read` on a business's own database, borrowed from the pool and released at once. */
export function readBusiness<T>(
  deps: AppDeps,
  meter: DbMeter,
  caller: { userId: string; requestId: string },
  row: businesses.MemberBusinessRow,
  read: (scope: BusinessScope) => T,
): T {
  const handle = deps.businesses.acquire(row.id);
  try {
    return read({
      businessId: row.id,
      name: row.name,
      baseCurrency: row.base_currency,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      role: row.role,
      actor: { type: "user", id: caller.userId },
      requestId: caller.requestId,
      db: new Db(handle.connection, meter),
    });
  } finally {
    handle.release();
  }
}

/** What every portfolio answer says of a business before its figures: who it is and whether a rate let it count. */
export function businessHeading(row: businesses.MemberBusinessRow, included: boolean) {
  return {
    businessId: row.id,
    name: row.name,
    role: row.role,
    baseCurrency: row.base_currency,
    status: included ? ("included" as const) : ("missing_rate" as const),
  };
}

/** Businesses left out for want of a rate, by their base currency. */
export type MissingRates = Map<string, string[]>;

export function addMissingRate(missing: MissingRates, row: businesses.MemberBusinessRow): void {
  missing.set(row.base_currency, [...(missing.get(row.base_currency) ?? []), row.id]);
}

/** The answer's `missingRates`: one entry per base currency with no rate to `to`, in currency order. */
export function missingRatesList(missing: MissingRates, to: string) {
  return [...missing].sort(([a], [b]) => a.localeCompare(b)).map(([from, businessIds]) => ({ from, to, businessIds }));
}

export function portfolio(
  deps: AppDeps,
  core: Db,
  meter: DbMeter,
  caller: { userId: string; requestId: string },
  q: { currency: string; businessIds?: string[] },
  figuresCache: BusinessFiguresCache,
  asOf = today(),
) {
  const rows = chosenBusinesses(core, caller.userId, q.businessIds);
  const period = periodOf(asOf);
  const rateCache = new Map<string, RateUsed | undefined>();
  const rateFor = (from: string) => {
    if (!rateCache.has(from)) {
      const direct = store.userRateOn(core, caller.userId, from, q.currency, asOf);
      const inverse = store.userRateOn(core, caller.userId, q.currency, from, asOf);
      rateCache.set(from, chooseRate(from, q.currency, direct, inverse));
    }
    return rateCache.get(from);
  };

  const totals = { currency: q.currency, businesses: 0, newLeadsThisMonth: 0 } as Figures & { businesses: number; newLeadsThisMonth: number };
  for (const key of MONEY_KEYS) totals[key] = 0;
  const missing: MissingRates = new Map();

  const list = rows.map((row) => {
    const computed = readBusiness(deps, meter, caller, row, (scope) => figuresCache.figures(row.id, period.asOf, scope.db, () => businessFigures(scope, period)));
    const used = rateFor(row.base_currency);
    const converted = used ? translateFigures(computed.figures, used) : null;
    if (converted) {
      totals.businesses += 1;
      totals.newLeadsThisMonth += computed.newLeadsThisMonth;
      for (const key of MONEY_KEYS) totals[key] = addExact(totals[key], converted[key]);
    } else {
      addMissingRate(missing, row);
    }
    return {
      ...businessHeading(row, converted !== null),
      newLeadsThisMonth: computed.newLeadsThisMonth,
      figures: computed.figures,
      converted,
      rate: used ?? null,
      pipelineNotConverted: computed.pipelineNotConverted,
    };
  });

  const rates = [...rateCache.values()].filter((r): r is RateUsed => r !== undefined).sort((a, b) => a.from.localeCompare(b.from));
  return {
    currency: q.currency,
    asOf,
    month: { from: period.monthFrom, to: asOf },
    yearToDate: { from: period.yearFrom, to: asOf },
    businesses: list,
    totals,
    rates,
    missingRates: missingRatesList(missing, q.currency),
  };
}
