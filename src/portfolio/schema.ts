import { z } from "@hono/zod-openapi";
import { currencyCode } from "../businesses/schema.js";
import { ROLES } from "../businesses/roles.js";
import { calendarDate } from "../finance/schema.js";
import { RATE_LIMITS } from "../finance/ledger.js";
import { pageQuery } from "../platform/pagination.js";
import { parseRate } from "./conversion.js";

// ---- the user's exchange-rate table

export const rateText = z
  .string()
  .max(40)
  .refine((text) => parseRate(text) !== undefined, `must be a positive decimal string of at most ${RATE_LIMITS.maxIntegerDigits} integer digits and ${RATE_LIMITS.maxScale} decimals`)
  .openapi({ example: "1.0834", description: "A decimal string, never a binary float: units of `quote` per unit of `base`." });

export const userExchangeRate = z
  .object({
    base: z.string(),
    quote: z.string(),
    date: z.string(),
    rate: z.string().openapi({ description: "1 `base` = `rate` `quote`, as an exact decimal string." }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("UserExchangeRate");

export const setUserExchangeRateBody = z
  .strictObject({ base: currencyCode, quote: currencyCode, rate: rateText, date: calendarDate })
  .openapi("SetUserExchangeRate");

export const userExchangeRateListQuery = pageQuery.extend({
  base: currencyCode.optional(),
  quote: currencyCode.optional(),
  from: calendarDate.optional().openapi({ description: "Rates dated on or after this date." }),
  to: calendarDate.optional().openapi({ description: "Rates dated on or before this date." }),
});

// ---- the portfolio

export const MAX_FILTER_IDS = 100;

export const portfolioQuery = z.strictObject({
  currency: currencyCode.openapi({ description: "The currency to translate every figure and the totals into." }),
  businessIds: z
    .string()
    .max(MAX_FILTER_IDS * 65)
    .optional()
    .openapi({ description: `Comma-separated ids of businesses you belong to (at most ${MAX_FILTER_IDS}); default: all of them.` }),
});

const money = z.number().int().openapi({ description: "Integer minor units of `currency`." });

export const figures = z
  .object({
    currency: z.string(),
    revenueThisMonth: money,
    expensesThisMonth: money,
    netIncomeThisMonth: money,
    revenueYearToDate: money,
    expensesYearToDate: money,
    netIncomeYearToDate: money,
    cash: money.openapi({ description: "Balance of the cash account (system key `cash`) today." }),
    receivables: money.openapi({ description: "Open receivables today (the AR aging total)." }),
    overdueReceivables: money.openapi({ description: "The part of receivables past its due date." }),
    openPipelineValue: money.openapi({ description: "Value of open deals in every pipeline." }),
  })
  .openapi("PortfolioFigures");

export const rateUsed = z
  .object({
    from: z.string(),
    to: z.string(),
    base: z.string(),
    quote: z.string(),
    rate: z.string().openapi({ description: "The stored rate: 1 `base` = `rate` `quote`." }),
    date: z.string().nullable().openapi({ description: "The stored rate's date; null for the identity (same currency)." }),
    inverse: z.boolean().openapi({ description: "True when amounts were divided by the rate (the stored pair is to → from)." }),
  })
  .openapi("PortfolioRate");

const currencyAmount = z.object({ currency: z.string(), amount: z.number().int() });

/** What every portfolio answer says of a business before its figures. */
const businessHeading = z.object({
  businessId: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  baseCurrency: z.string(),
  status: z.enum(["included", "missing_rate"]),
});

/** A pair with no rate, and the businesses left out for it. */
const missingRate = z.object({ from: z.string(), to: z.string(), businessIds: z.array(z.string()) });

export const portfolioBusiness = businessHeading
  .extend({
    status: businessHeading.shape.status.openapi({ description: "`missing_rate`: no rate to the requested currency; left out of the totals." }),
    newLeadsThisMonth: z.number().int(),
    figures: figures.openapi({ description: "In the business's base currency." }),
    converted: figures.nullable().openapi({ description: "In the requested currency; null when the rate is missing." }),
    rate: rateUsed.nullable(),
    pipelineNotConverted: z
      .array(currencyAmount)
      .openapi({ description: "Open deals in a currency the business has no rate for (its own rate table): not in openPipelineValue." }),
  })
  .openapi("PortfolioBusiness");

export const portfolio = z
  .object({
    currency: z.string(),
    asOf: z.string(),
    month: z.object({ from: z.string(), to: z.string() }),
    yearToDate: z.object({ from: z.string(), to: z.string() }),
    businesses: z.array(portfolioBusiness),
    totals: figures.extend({
      businesses: z.number().int().openapi({ description: "How many businesses the totals cover (those with a rate)." }),
      newLeadsThisMonth: z.number().int(),
    }),
    rates: z.array(rateUsed).openapi({ description: "Every rate used, once each." }),
    missingRates: z
      .array(missingRate)
      .openapi({ description: "Pairs with no rate on or before asOf; their businesses are left out of the totals." }),
  })
  .openapi("Portfolio");

// ---- consolidated statements

/** The longest period a consolidated profit and loss covers (about ten years). */
export const MAX_PERIOD_DAYS = 3_660;

const businessIdsFilter = portfolioQuery.shape.businessIds;

export const consolidatedPnlQuery = z.strictObject({
  currency: currencyCode.openapi({ description: "The currency to translate into (presentation currency)." }),
  from: calendarDate.optional().openapi({ description: "First day of the period (inclusive); default: 1 January of `to`'s year." }),
  to: calendarDate.optional().openapi({ description: "Last day of the period (inclusive); default: today (UTC)." }),
  businessIds: businessIdsFilter,
});

export const consolidatedBalanceSheetQuery = z.strictObject({
  currency: currencyCode.openapi({ description: "The currency to translate into (presentation currency)." }),
  asOf: calendarDate.optional().openapi({ description: "The balance sheet's date; default: today (UTC)." }),
  businessIds: businessIdsFilter,
});

const statementLine = z
  .object({ accountId: z.string(), code: z.string(), name: z.string(), type: z.string(), amount: money })
  .openapi("PortfolioStatementLine");
const consolidatedLine = z
  .object({ type: z.string(), code: z.string(), name: z.string().openapi({ description: "The name of the first business (in the order given) with this code." }), amount: money })
  .openapi("PortfolioConsolidatedLine");

const rateSegment = rateUsed.omit({ from: true, to: true }).extend({ firstDay: z.string(), lastDay: z.string(), days: z.number().int() });

export const averageRate = z
  .object({
    from: z.string(),
    to: z.string(),
    periodFrom: z.string(),
    periodTo: z.string(),
    days: z.number().int(),
    rate: z.string().openapi({ description: "The average, rounded to 10 decimals for reading; amounts are translated with `exact`." }),
    exact: z.string().openapi({ description: "The average as an exact fraction numerator/denominator." }),
    segments: z
      .array(rateSegment)
      .openapi({ description: "Each stretch of days with the same rate in force (the newest on or before the day): its first and last day, days and the stored rate." }),
  })
  .openapi("PortfolioAverageRate");

const missingRates = z
  .array(missingRate)
  .openapi({ description: "Pairs without a rate in force on some day the statement needs; those businesses are left out of the consolidation." });

const pnlStatement = z
  .object({
    currency: z.string(),
    revenue: z.array(statementLine),
    expenses: z.array(statementLine),
    totals: z.object({ revenue: money, expenses: money, netIncome: money }),
    intercompany: z.array(z.object({ counterpartyBusinessId: z.string(), revenue: money, expenses: money })),
  })
  .openapi("PortfolioProfitAndLossStatement");

export const consolidatedPnl = z
  .object({
    currency: z.string(),
    from: z.string(),
    to: z.string(),
    businesses: z.array(
      businessHeading.extend({
        statement: pnlStatement.openapi({ description: "In the business's base currency." }),
        translated: pnlStatement.nullable().openapi({ description: "At the period's average rate; null when a rate is missing." }),
        averageRate: averageRate.nullable(),
      }),
    ),
    consolidated: z.object({
      currency: z.string(),
      businesses: z.number().int(),
      revenue: z.array(consolidatedLine),
      expenses: z.array(consolidatedLine),
      eliminations: z.array(
        z.object({ sellerBusinessId: z.string(), buyerBusinessId: z.string(), revenue: money, expenses: money, difference: money }),
      ),
      totals: z.object({
        revenueBeforeEliminations: money,
        expensesBeforeEliminations: money,
        eliminatedRevenue: money,
        eliminatedExpenses: money,
        eliminationDifference: money,
        revenue: money,
        expenses: money,
        netIncome: money,
      }),
    }),
    rates: z.array(averageRate),
    missingRates,
  })
  .openapi("PortfolioConsolidatedProfitAndLoss");

const bsStatement = z
  .object({
    currency: z.string(),
    assets: z.array(statementLine),
    liabilities: z.array(statementLine),
    equity: z.array(statementLine),
    earnings: z.object({ priorYears: money, yearToDate: money }),
    translationReserve: money,
    totals: z.object({ assets: money, liabilities: money, equity: money, liabilitiesAndEquity: money }),
    intercompany: z.array(z.object({ counterpartyBusinessId: z.string(), receivables: money, payables: money })),
  })
  .openapi("PortfolioBalanceSheetStatement");

export const consolidatedBalanceSheet = z
  .object({
    currency: z.string(),
    asOf: z.string(),
    yearToDate: z.object({ from: z.string(), to: z.string() }),
    businesses: z.array(
      businessHeading.extend({
        statement: bsStatement.openapi({ description: "In the business's base currency." }),
        translated: bsStatement.nullable().openapi({ description: "At the closing rate (this year's earnings at the year-to-date average); null when a rate is missing." }),
        closingRate: rateUsed.nullable(),
        yearToDateAverageRate: averageRate.nullable(),
      }),
    ),
    consolidated: z.object({
      currency: z.string(),
      businesses: z.number().int(),
      assets: z.array(consolidatedLine),
      liabilities: z.array(consolidatedLine),
      equity: z.array(consolidatedLine),
      earnings: z.object({ priorYears: money, yearToDate: money }),
      translationReserve: money,
      eliminations: z.array(
        z.object({ creditorBusinessId: z.string(), debtorBusinessId: z.string(), receivables: money, payables: money, difference: money }),
      ),
      eliminationDifference: money.openapi({ description: "Eliminated payables less eliminated receivables, left in equity so that the sheet balances." }),
      totals: z.object({
        assetsBeforeEliminations: money,
        liabilitiesBeforeEliminations: money,
        eliminatedReceivables: money,
        eliminatedPayables: money,
        assets: money,
        liabilities: money,
        equity: money,
        liabilitiesAndEquity: money,
      }),
      balanced: z.boolean(),
    }),
    rates: z.array(z.object({ closing: rateUsed, yearToDateAverage: averageRate })),
    missingRates,
  })
  .openapi("PortfolioConsolidatedBalanceSheet");
