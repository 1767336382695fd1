import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { commitChange } from "../http/business-write.js";
import type { AppEnv } from "../http/context.js";
import { BUSINESS_READ_ERRORS, BUSINESS_WRITE_ERRORS, bearer, businessIdParam, errorResponses, json, jsonBody, optionalJsonBody, notModified } from "../http/openapi.js";
import { requires } from "../http/pipeline.js";
import { emptyBodyIsNone } from "../http/request-body.js";
import { assertIfMatch, resourceResponse } from "../http/resource.js";
import { decodeCursor, encodeCursor, pageSchema, toPage } from "../platform/pagination.js";
import { registerInvoiceRoutes } from "./invoices-routes.js";
import { registerReportRoutes } from "./reports-routes.js";
import * as schema from "./schema.js";
import * as service from "./service.js";
import * as store from "./store.js";

const security = bearer;
const read = requires("finance:read");
const write = requires("finance:write");

/** Every finance route: the chart of accounts, the journal, the ledger, rates, invoices, payments, reports. */
export function registerFinanceRoutes(app: OpenAPIHono<AppEnv>): void {
  registerAccountRoutes(app);
  registerJournalRoutes(app);
  registerRateRoutes(app);
  registerInvoiceRoutes(app);
  registerReportRoutes(app);
}

function registerAccountRoutes(app: OpenAPIHono<AppEnv>): void {
  const tags = ["Accounts"];

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/accounts",
      tags,
      security,
      summary: "The chart of accounts, by code",
      middleware: [read],
      request: { params: businessIdParam, query: schema.accountListQuery },
      responses: { 200: json(pageSchema(schema.account), "A page of accounts"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor, type, archived } = c.req.valid("query");
      const after = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? "";
      const rows = store.listAccounts(c.get("scope").db, { after, limit: limit + 1, type, archived });
      return c.json(toPage(rows, limit, (r) => [r.code], service.accountView), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/accounts",
      tags,
      security,
      summary: "Add an account to the chart",
      middleware: [write],
      request: { params: businessIdParam, body: jsonBody(schema.createAccountBody) },
      responses: { 201: json(schema.account, "Created"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 201, (rec) => service.createAccount(rec, c.req.valid("json"))),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/accounts/{accountId}",
      tags,
      security,
      summary: "One account",
      middleware: [read],
      request: { params: schema.accountIdParam },
      responses: { 200: json(schema.account, "The account"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => resourceResponse(c, service.accountView(service.requireAccount(c.get("scope").db, c.req.valid("param").accountId))),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/businesses/{businessId}/accounts/{accountId}",
      tags,
      security,
      summary: "Rename, recode, archive or unarchive an account",
      description: "Type and currency change only while the account has no postings; standard accounts keep their type and currency and stay active.",
      middleware: [write],
      request: { params: schema.accountIdParam, body: jsonBody(schema.updateAccountBody) },
      responses: { 200: json(schema.account, "Updated"), ...errorResponses(...BUSINESS_WRITE_ERRORS, 412) },
    }),
    (c) => {
      const { accountId } = c.req.valid("param");
      assertIfMatch(c, service.accountView(service.requireAccount(c.get("scope").db, accountId)));
      return commitChange(c, 200, (rec) => service.updateAccount(rec, accountId, c.req.valid("json")));
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/businesses/{businessId}/accounts/{accountId}",
      tags,
      security,
      summary: "Delete an account that never had postings",
      middleware: [write],
      request: { params: schema.accountIdParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(...BUSINESS_READ_ERRORS, 412, 422) },
    }),
    (c) => {
      const { accountId } = c.req.valid("param");
      assertIfMatch(c, service.accountView(service.requireAccount(c.get("scope").db, accountId)));
      return commitChange(c, 204, (rec) => service.deleteAccount(rec, accountId));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/accounts/{accountId}/ledger",
      tags,
      security,
      summary: "General ledger of one account, with running balances",
      middleware: [read],
      request: { params: schema.accountIdParam, query: schema.ledgerQuery },
      responses: { 200: json(schema.ledgerPage, "Postings in date order"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor, from, to } = c.req.valid("query");
      const after = decodeCursor(cursor, ["string", "number"]) as [string, number] | undefined;
      const page = service.accountLedger(c.get("scope"), c.req.valid("param").accountId, { limit, after, from, to });
      return c.json({ ...page, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
    },
  );
}

function registerJournalRoutes(app: OpenAPIHono<AppEnv>): void {
  const tags = ["Journal"];

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/journal-entries",
      tags,
      security,
      summary: "Journal entries by date",
      middleware: [read],
      request: { params: businessIdParam, query: schema.journalListQuery },
      responses: { 200: json(pageSchema(schema.journalEntry), "A page of entries"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor, from, to, accountId, source } = c.req.valid("query");
      const after = decodeCursor(cursor, ["string", "number"]) as [string, number] | undefined;
      const { rows, view } = service.listJournalEntries(c.get("scope"), { limit, after, from, to, accountId, source });
      return c.json(toPage(rows, limit, (r) => [r.date, r.seq], view), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/journal-entries",
      tags,
      security,
      summary: "Post a balanced journal entry",
      description:
        "Each currency's debits must equal its credits (else 422). Foreign-currency lines are converted at the business's rate on the entry's date (or the rates given), and their base amounts allocated so the entry balances in the base currency too. Posted entries never change.",
      middleware: [write],
      request: { params: businessIdParam, body: jsonBody(schema.createJournalEntryBody) },
      responses: { 201: json(schema.journalEntry, "Posted"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 201, (rec) => service.createJournalEntry(c.get("scope"), rec, c.req.valid("json"), c.get("coreDb"))),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/journal-entries/{entryId}",
      tags,
      security,
      summary: "One journal entry",
      middleware: [read],
      request: { params: schema.entryIdParam },
      responses: { 200: json(schema.journalEntry, "The entry"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => resourceResponse(c, service.currentEntry(c.get("scope"), c.req.valid("param").entryId)),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/journal-entries/{entryId}/reverse",
      tags,
      security,
      summary: "Post the correcting entry of a manual entry",
      description: "Entries of invoices and payments are reversed by voiding the invoice or payment.",
      middleware: [write, emptyBodyIsNone],
      request: { params: schema.entryIdParam, body: optionalJsonBody(schema.reverseBody) },
      responses: { 201: json(schema.journalEntry, "The reversing entry"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 201, (rec) => service.reverseJournalEntry(c.get("scope"), rec, c.req.valid("param").entryId, c.req.valid("json"))),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/ledger-settings",
      tags,
      security,
      summary: "The lock date and the next invoice number",
      middleware: [read],
      request: { params: businessIdParam },
      responses: { 200: json(schema.ledgerSettings, "Settings"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => resourceResponse(c, service.settingsView(c.get("scope"))),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/businesses/{businessId}/ledger-settings",
      tags,
      security,
      summary: "Lock the books up to a date (null unlocks)",
      middleware: [write],
      request: { params: businessIdParam, body: jsonBody(schema.updateLedgerSettingsBody) },
      responses: { 200: json(schema.ledgerSettings, "Updated"), ...errorResponses(...BUSINESS_WRITE_ERRORS, 412) },
    }),
    (c) => {
      assertIfMatch(c, service.settingsView(c.get("scope")));
      return commitChange(c, 200, (rec) => service.setLockDate(c.get("scope"), rec, c.req.valid("json").lockDate));
    },
  );
}

function registerRateRoutes(app: OpenAPIHono<AppEnv>): void {
  const tags = ["Exchange rates"];

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/exchange-rates",
      tags,
      security,
      summary: "The business's exchange rates, by currency and date",
      middleware: [read],
      request: { params: businessIdParam, query: schema.exchangeRateListQuery },
      responses: { 200: json(pageSchema(schema.exchangeRateRecord), "A page of rates"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor, currency, from, to } = c.req.valid("query");
      const after = decodeCursor(cursor, ["string", "string"]) as [string, string] | undefined;
      const scope = c.get("scope");
      const rows = store.listRates(scope.db, {
        afterCurrency: after?.[0] ?? "",
        afterDate: after?.[1] ?? "",
        currency,
        from: from ?? "",
        to: to ?? "9999-12-31",
        limit: limit + 1,
      });
      return c.json(toPage(rows, limit, (r) => [r.currency, r.date], (r) => service.rateView(scope.baseCurrency, r)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/exchange-rates",
      tags,
      security,
      summary: "Set the rate of a currency from a date on",
      description: "1 unit of `currency` = `rate` units of the base currency. Setting the same currency and date again replaces the rate; issued invoices and posted payments keep the rate they used.",
      middleware: [write],
      request: { params: businessIdParam, body: jsonBody(schema.createExchangeRateBody) },
      responses: { 201: json(schema.exchangeRateRecord, "Set"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 201, (rec) => service.setRate(c.get("scope"), rec, c.req.valid("json"))),
  );
}
