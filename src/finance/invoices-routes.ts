import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { commitChange } from "../http/business-write.js";
import type { AppEnv } from "../http/context.js";
import { BUSINESS_READ_ERRORS, BUSINESS_WRITE_ERRORS, bearer, businessIdParam, emptyBody, errorResponses, json, jsonBody, optionalJsonBody, notModified } from "../http/openapi.js";
import { requires } from "../http/pipeline.js";
import { emptyBodyIsNone } from "../http/request-body.js";
import { assertIfMatch, resourceResponse } from "../http/resource.js";
import { decodeCursor, pageSchema, toPage } from "../platform/pagination.js";
import * as schema from "./schema.js";
import * as service from "./service.js";
import * as store from "./store.js";

const security = bearer;
const read = requires("finance:read");
const write = requires("finance:write");

export function registerInvoiceRoutes(app: OpenAPIHono<AppEnv>): void {
  const tags = ["Invoices"];

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/invoices",
      tags,
      security,
      summary: "Invoices, oldest first",
      middleware: [read],
      request: { params: businessIdParam, query: schema.invoiceListQuery },
      responses: { 200: json(pageSchema(schema.invoice), "A page of invoices"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor, status, customerId } = c.req.valid("query");
      const after = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? "";
      const { rows, view } = service.listInvoices(c.get("scope"), { limit, after, status, customerId });
      return c.json(toPage(rows, limit, (r) => [r.id], view), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/invoices",
      tags,
      security,
      summary: "Create a draft invoice",
      description:
        "Per line: net = quantity × unitPrice and tax = net × taxRate / 100, each rounded half away from zero to the minor unit. Nothing is posted until the invoice is issued.",
      middleware: [write],
      request: { params: businessIdParam, body: jsonBody(schema.createInvoiceBody) },
      responses: { 201: json(schema.invoice, "Created"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 201, (rec) => service.createInvoice(c.get("scope"), rec, c.req.valid("json"))),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/invoices/{invoiceId}",
      tags,
      security,
      summary: "One invoice",
      middleware: [read],
      request: { params: schema.invoiceIdParam },
      responses: { 200: json(schema.invoice, "The invoice"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => resourceResponse(c, service.currentInvoice(c.get("scope"), c.req.valid("param").invoiceId)),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/businesses/{businessId}/invoices/{invoiceId}",
      tags,
      security,
      summary: "Edit a draft invoice (issued invoices never change: 422)",
      middleware: [write],
      request: { params: schema.invoiceIdParam, body: jsonBody(schema.updateInvoiceBody) },
      responses: { 200: json(schema.invoice, "Updated"), ...errorResponses(...BUSINESS_WRITE_ERRORS, 412) },
    }),
    (c) => {
      const { invoiceId } = c.req.valid("param");
      assertIfMatch(c, service.currentInvoice(c.get("scope"), invoiceId));
      return commitChange(c, 200, (rec) => service.updateInvoice(c.get("scope"), rec, invoiceId, c.req.valid("json")));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/invoices/{invoiceId}/issue",
      tags,
      security,
      summary: "Number the invoice and post it",
      description: "Assigns the next number (INV-000001, without gaps) and posts receivable against revenue and tax payable at the issue date's rate.",
      middleware: [write, emptyBodyIsNone],
      request: { params: schema.invoiceIdParam, body: optionalJsonBody(emptyBody) },
      responses: { 200: json(schema.invoice, "Issued"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 200, (rec) => service.issueInvoice(c.get("scope"), rec, c.req.valid("param").invoiceId)),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/invoices/{invoiceId}/void",
      tags,
      security,
      summary: "Void an unpaid invoice (posts the reversal)",
      middleware: [write, emptyBodyIsNone],
      request: { params: schema.invoiceIdParam, body: optionalJsonBody(schema.voidBody) },
      responses: { 200: json(schema.invoice, "Voided"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 200, (rec) => service.voidInvoice(c.get("scope"), rec, c.req.valid("param").invoiceId, c.req.valid("json"))),
  );

  const paymentTags = ["Payments"];

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/payments",
      tags: paymentTags,
      security,
      summary: "Payments, oldest first",
      middleware: [read],
      request: { params: businessIdParam, query: schema.paymentListQuery },
      responses: { 200: json(pageSchema(schema.payment), "A page of payments"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor, invoiceId } = c.req.valid("query");
      const after = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? "";
      const scope = c.get("scope");
      const rows = store.listPayments(scope.db, { after, limit: limit + 1, invoiceId });
      return c.json(toPage(rows, limit, (r) => [r.id], (r) => service.paymentView(scope.baseCurrency, r)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/payments",
      tags: paymentTags,
      security,
      summary: "Receive a payment against an issued invoice",
      description:
        "Partial payments are allowed; more than the amount due is 422, however many payments arrive at once. Posts cash against receivable; for a foreign-currency invoice paid at another rate, the difference is a realised FX gain or loss.",
      middleware: [write],
      request: { params: businessIdParam, body: jsonBody(schema.createPaymentBody) },
      responses: { 201: json(schema.payment, "Received"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 201, (rec) => service.createPayment(c.get("scope"), rec, c.req.valid("json"))),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/payments/{paymentId}",
      tags: paymentTags,
      security,
      summary: "One payment",
      middleware: [read],
      request: { params: schema.paymentIdParam },
      responses: { 200: json(schema.payment, "The payment"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => resourceResponse(c, service.currentPayment(c.get("scope"), c.req.valid("param").paymentId)),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/payments/{paymentId}/void",
      tags: paymentTags,
      security,
      summary: "Void a payment with a reversing entry",
      middleware: [write, emptyBodyIsNone],
      request: { params: schema.paymentIdParam, body: optionalJsonBody(schema.voidBody) },
      responses: { 200: json(schema.payment, "Voided"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 200, (rec) => service.voidPayment(c.get("scope"), rec, c.req.valid("param").paymentId, c.req.valid("json"))),
  );
}
