import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.js";
import { BUSINESS_READ_ERRORS, bearer, businessIdParam, errorResponses, json } from "../http/openapi.js";
import { requires } from "../http/pipeline.js";
import { badRequest } from "../platform/problem.js";
import { today } from "./ledger.js";
import * as reports from "./reports.js";
import * as schema from "./schema.js";

const tags = ["Reports"];
const security = bearer;
const read = requires("finance:read");

/** A period defaults to the year to date; `from` after `to` is 400. */
function period(q: { from?: string; to?: string }): { from: string; to: string } {
  const to = q.to ?? today();
  const from = q.from ?? `${to.slice(0, 4)}-01-01`;
  if (from > to) throw badRequest("`from` must not be after `to`.", [{ path: "query.from", message: "after to" }]);
  return { from, to };
}

export function registerReportRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/reports/trial-balance",
      tags,
      security,
      summary: "Trial balance as of a date, in the base currency",
      middleware: [read],
      request: { params: businessIdParam, query: schema.asOfQuery },
      responses: { 200: json(schema.trialBalance, "Every account with a balance; debits equal credits"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => c.json(reports.trialBalance(c.get("scope"), c.req.valid("query").asOf ?? today()), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/reports/profit-and-loss",
      tags,
      security,
      summary: "Profit and loss for a period, in the base currency",
      middleware: [read],
      request: { params: businessIdParam, query: schema.periodQuery },
      responses: { 200: json(schema.profitAndLoss, "Revenue, expenses and net income"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { from, to } = period(c.req.valid("query"));
      return c.json(reports.profitAndLoss(c.get("scope"), from, to), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/reports/general-ledger",
      tags,
      security,
      summary: "General ledger per account for a period: opening, debits, credits, closing",
      description: "Each account's postings with running balances are at GET /accounts/{accountId}/ledger.",
      middleware: [read],
      request: { params: businessIdParam, query: schema.periodQuery },
      responses: { 200: json(schema.generalLedgerReport, "Every account with activity or a balance"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { from, to } = period(c.req.valid("query"));
      return c.json(reports.generalLedger(c.get("scope"), from, to), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/reports/balance-sheet",
      tags,
      security,
      summary: "Balance sheet as of a date, in the base currency",
      middleware: [read],
      request: { params: businessIdParam, query: schema.asOfQuery },
      responses: { 200: json(schema.balanceSheet, "Assets = liabilities + equity (including current earnings)"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => c.json(reports.balanceSheet(c.get("scope"), c.req.valid("query").asOf ?? today()), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/reports/ar-aging",
      tags,
      security,
      summary: "Receivables by customer and days past due, in the base currency",
      middleware: [read],
      request: { params: businessIdParam, query: schema.asOfQuery },
      responses: { 200: json(schema.arAging, "Current, 1–30, 31–60, 61–90, 90+ days past due"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => c.json(reports.arAging(c.get("scope"), c.req.valid("query").asOf ?? today()), 200),
  );
}
