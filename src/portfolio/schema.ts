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
  .refine((text) => parseRate(text) !== undefined, `must be a positive decimal string with at most ${RATE_LIMITS.maxScale} decimals`)
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

export const portfolioBusiness = z
  .object({
    businessId: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    baseCurrency: z.string(),
    status: z.enum(["included", "missing_rate"]).openapi({ description: "`missing_rate`: no rate to the requested currency; left out of the totals." }),
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
      .array(z.object({ from: z.string(), to: z.string(), businessIds: z.array(z.string()) }))
      .openapi({ description: "Pairs with no rate on or before asOf; their businesses are left out of the totals." }),
  })
  .openapi("Portfolio");
