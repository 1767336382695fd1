import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../http/context.js";
import { bearer, errorResponses, json, jsonBody } from "../http/openapi.js";
import { usersOnly } from "../http/pipeline.js";
import { pageSchema } from "../platform/pagination.js";
import { badRequest, forbidden } from "../platform/problem.js";
import type { MetricsRegistry } from "../platform/metrics.js";
import { isoNow } from "../platform/time.js";
import { daysBetween, today } from "../finance/ledger.js";
import { portfolioCache } from "./figures-cache.js";
import * as schema from "./schema.js";
import * as service from "./service.js";
import * as statements from "./statements.js";

const security = bearer;

function userIdOf(c: AppContext): string {
  const principal = c.get("principal");
  if (principal.kind !== "user") throw forbidden("API keys act inside their business; this route is for people.");
  return principal.userId;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `businessIds=a,b` → distinct ids in the order given; a malformed list is 400. */
function parseBusinessIds(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const ids = [...new Set(text.split(",").map((s) => s.trim()))];
  if (ids.length === 0 || ids.length > schema.MAX_FILTER_IDS || ids.some((id) => !ID.test(id))) {
    throw badRequest(`businessIds must be 1–${schema.MAX_FILTER_IDS} comma-separated business ids.`, [{ path: "query.businessIds", message: "malformed" }]);
  }
  return ids;
}

export function registerPortfolioRoutes(app: OpenAPIHono<AppEnv>, metrics: MetricsRegistry): void {
  const figuresCache = portfolioCache(metrics);
  app.openapi(
    createRoute({
      method: "get",
      path: "/exchange-rates",
      tags: ["Portfolio"],
      security,
      summary: "Your exchange-rate table (for the portfolio), ordered by base, quote, date",
      middleware: [usersOnly],
      request: { query: schema.userExchangeRateListQuery },
      responses: { 200: json(pageSchema(schema.userExchangeRate), "A page of your rates"), ...errorResponses(400, 401, 403, 429) },
    }),
    (c) => c.json(service.listUserRates(c.get("coreDb"), userIdOf(c), c.req.valid("query")), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/exchange-rates",
      tags: ["Portfolio"],
      security,
      summary: "Set a rate of yours: 1 base = rate quote on a date (replaces that day's rate of the pair)",
      middleware: [usersOnly],
      request: { body: jsonBody(schema.setUserExchangeRateBody) },
      responses: {
        201: json(schema.userExchangeRate, "Added"),
        200: json(schema.userExchangeRate, "Replaced the pair's rate on that date"),
        ...errorResponses(400, 401, 403, 413, 415, 422, 429),
      },
    }),
    (c) => {
      const result = service.setUserRate(c.get("coreDb"), userIdOf(c), c.req.valid("json"), isoNow());
      return result.created ? c.json(result.rate, 201) : c.json(result.rate, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/portfolio",
      tags: ["Portfolio"],
      security,
      summary: "Every business you belong to: this month's and the year's figures, cash, receivables, pipeline — converted and totalled",
      description:
        "Each business is read from its own database. Figures are in its base currency and translated into `currency` with the newest rate of your exchange-rate table on or before today; a business without a rate is flagged `missing_rate` and left out of the totals.",
      middleware: [usersOnly],
      request: { query: schema.portfolioQuery },
      responses: { 200: json(schema.portfolio, "The portfolio"), ...errorResponses(400, 401, 403, 404, 429) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const result = service.portfolio(
        c.get("deps"),
        c.get("coreDb"),
        c.get("meter"),
        { userId: userIdOf(c), requestId: c.get("requestId") },
        { currency: q.currency, businessIds: parseBusinessIds(q.businessIds) },
        figuresCache,
      );
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/portfolio/profit-and-loss",
      tags: ["Portfolio"],
      security,
      summary: "Consolidated profit and loss of your businesses, translated at the period's average rate, inter-company sales eliminated",
      description:
        "Each business's profit and loss in its base currency and translated at the average of the rates in force on each day of the period (your exchange-rate table); a business without a rate on some day of the period is flagged `missing_rate` and left out. The consolidation adds lines up by account type and code and eliminates inter-company revenue and expenses where both businesses are included (decision 0041).",
      middleware: [usersOnly],
      request: { query: schema.consolidatedPnlQuery },
      responses: { 200: json(schema.consolidatedPnl, "The consolidated profit and loss"), ...errorResponses(400, 401, 403, 404, 429) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const to = q.to ?? today();
      const from = q.from ?? `${to.slice(0, 4)}-01-01`;
      if (from > to) throw badRequest("`from` is after `to`.", [{ path: "query.from", message: "after to" }]);
      if (daysBetween(from, to) + 1 > schema.MAX_PERIOD_DAYS) {
        throw badRequest(`A period is at most ${schema.MAX_PERIOD_DAYS} days.`, [{ path: "query.from", message: "period too long" }]);
      }
      const result = statements.consolidatedProfitAndLoss(
        c.get("deps"),
        c.get("coreDb"),
        c.get("meter"),
        { userId: userIdOf(c), requestId: c.get("requestId") },
        { currency: q.currency, from, to, businessIds: parseBusinessIds(q.businessIds) },
        figuresCache,
      );
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/portfolio/balance-sheet",
      tags: ["Portfolio"],
      security,
      summary: "Consolidated balance sheet of your businesses at the closing rate, with the translation reserve and inter-company balances eliminated",
      description:
        "Assets, liabilities and equity accounts at the rate in force on `asOf`, this year's earnings at the year-to-date average rate, earlier earnings at the closing rate; the translation reserve makes each translated sheet balance. A business without a rate on some day from 1 January to `asOf` is flagged `missing_rate` and left out (decision 0041).",
      middleware: [usersOnly],
      request: { query: schema.consolidatedBalanceSheetQuery },
      responses: { 200: json(schema.consolidatedBalanceSheet, "The consolidated balance sheet"), ...errorResponses(400, 401, 403, 404, 429) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const result = statements.consolidatedBalanceSheet(
        c.get("deps"),
        c.get("coreDb"),
        c.get("meter"),
        { userId: userIdOf(c), requestId: c.get("requestId") },
        { currency: q.currency, asOf: q.asOf ?? today(), businessIds: parseBusinessIds(q.businessIds) },
        figuresCache,
      );
      return c.json(result, 200);
    },
  );
}
