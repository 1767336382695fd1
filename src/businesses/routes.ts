import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { commitChange } from "../http/business-write.js";
import type { AppEnv } from "../http/context.js";
import {
  BUSINESS_READ_ERRORS,
  BUSINESS_WRITE_ERRORS,
  bearer,
  businessIdParam,
  errorResponses,
  json,
  jsonBody,
  notModified,
} from "../http/openapi.js";
import { requires, usersOnly } from "../http/pipeline.js";
import { assertIfMatch, resourceResponse } from "../http/resource.js";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/pagination.js";
import { Db } from "../platform/sql.js";
import { actorOf } from "../http/context.js";
import { isoNow } from "../platform/time.js";
import * as schema from "./schema.js";
import * as service from "./service.js";
import * as store from "./store.js";

const tags = ["Businesses"];
/** These routes change the core database too (0004): core and business commit together. */
const CORE = { coreWrites: true };
const security = bearer;

export function registerBusinessRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses",
      tags,
      security,
      summary: "Create a business; you become its owner",
      middleware: [usersOnly],
      request: { body: jsonBody(schema.createBusinessBody) },
      responses: { 201: json(schema.business, "Created"), ...errorResponses(400, 401, 403, 413, 415, 429) },
    }),
    (c) => {
      const principal = c.get("principal");
      if (principal.kind !== "user") throw new Error("unreachable: usersOnly");
      const row = service.newBusiness(c.req.valid("json"), isoNow());
      const handle = c.get("deps").businesses.acquire(row.id);
      try {
        c.set("scope", {
          businessId: row.id,
          name: row.name,
          baseCurrency: row.base_currency,
          role: "owner",
          actor: actorOf(principal),
          requestId: c.get("requestId"),
          db: new Db(handle.connection, c.get("meter")),
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        });
        return commitChange(c, 201, (rec) => service.registerBusiness(c.get("coreDb"), rec, row, principal.userId), CORE);
      } finally {
        handle.release();
      }
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses",
      tags,
      security,
      summary: "The businesses you belong to",
      request: { query: pageQuery },
      responses: { 200: json(pageSchema(schema.business), "A page of businesses"), ...errorResponses(400, 401, 429) },
    }),
    (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? "";
      const principal = c.get("principal");
      const db = c.get("coreDb");
      let rows: store.MemberBusinessRow[];
      if (principal.kind === "user") {
        rows = store.listMemberBusinesses(db, principal.userId, after, limit + 1);
      } else {
        const business = store.findBusiness(db, principal.businessId);
        rows = business && business.id > after ? [{ ...business, role: principal.role }] : [];
      }
      return c.json(toPage(rows, limit, (r) => [r.id], service.businessView), 200);
    },
  );

  const businessRoute = { tags, security, request: { params: businessIdParam } };

  app.openapi(
    createRoute({
      ...businessRoute,
      method: "get",
      path: "/businesses/{businessId}",
      summary: "One business",
      middleware: [requires("business:read")],
      responses: { 200: json(schema.business, "The business"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => resourceResponse(c, service.scopedBusiness(c.get("scope"))),
  );

  app.openapi(
    createRoute({
      ...businessRoute,
      method: "patch",
      path: "/businesses/{businessId}",
      summary: "Rename a business",
      middleware: [requires("business:update")],
      request: { params: businessIdParam, body: jsonBody(schema.updateBusinessBody) },
      responses: { 200: json(schema.business, "Updated"), ...errorResponses(...BUSINESS_WRITE_ERRORS, 412) },
    }),
    (c) => {
      const core = c.get("coreDb");
      assertIfMatch(c, service.currentBusiness(core, c.get("scope")));
      return commitChange(c, 200, (rec) => service.updateBusiness(core, c.get("scope"), rec, c.req.valid("json")), CORE);
    },
  );

  app.openapi(
    createRoute({
      ...businessRoute,
      method: "delete",
      path: "/businesses/{businessId}",
      summary: "Delete a business (owners only)",
      description: "The business stops being reachable for everyone; its data file is kept.",
      middleware: [requires("business:delete")],
      responses: { 204: { description: "Deleted" }, ...errorResponses(...BUSINESS_READ_ERRORS, 412) },
    }),
    (c) => {
      const core = c.get("coreDb");
      assertIfMatch(c, service.currentBusiness(core, c.get("scope")));
      return commitChange(c, 204, (rec) => service.deleteBusiness(core, c.get("scope"), rec), CORE);
    },
  );

  const members = { tags: ["Members"], security };

  app.openapi(
    createRoute({
      ...members,
      method: "get",
      path: "/businesses/{businessId}/members",
      summary: "Members and their roles",
      middleware: [requires("business:read")],
      request: { params: businessIdParam, query: pageQuery },
      responses: { 200: json(pageSchema(schema.member), "A page of members"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? "";
      const rows = store.listMembers(c.get("coreDb"), c.get("scope").businessId, after, limit + 1);
      return c.json(toPage(rows, limit, (r) => [r.user_id], service.memberView), 200);
    },
  );

  app.openapi(
    createRoute({
      ...members,
      method: "post",
      path: "/businesses/{businessId}/members",
      summary: "Add an existing user with a role",
      middleware: [requires("members:manage")],
      request: { params: businessIdParam, body: jsonBody(schema.addMemberBody) },
      responses: { 201: json(schema.member, "Added"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 201, (rec) => service.addMember(c.get("coreDb"), c.get("scope"), rec, c.req.valid("json")), CORE),
  );

  app.openapi(
    createRoute({
      ...members,
      method: "get",
      path: "/businesses/{businessId}/members/{userId}",
      summary: "One member",
      middleware: [requires("business:read")],
      request: { params: schema.userIdParam },
      responses: { 200: json(schema.member, "The member"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => resourceResponse(c, service.currentMember(c.get("coreDb"), c.get("scope"), c.req.valid("param").userId)),
  );

  app.openapi(
    createRoute({
      ...members,
      method: "patch",
      path: "/businesses/{businessId}/members/{userId}",
      summary: "Change a member's role",
      middleware: [requires("members:manage")],
      request: { params: schema.userIdParam, body: jsonBody(schema.updateMemberBody) },
      responses: { 200: json(schema.member, "Updated"), ...errorResponses(...BUSINESS_WRITE_ERRORS, 412) },
    }),
    (c) => {
      const { userId } = c.req.valid("param");
      const core = c.get("coreDb");
      assertIfMatch(c, service.currentMember(core, c.get("scope"), userId));
      return commitChange(c, 200, (rec) => service.changeMemberRole(core, c.get("scope"), rec, userId, c.req.valid("json").role), CORE);
    },
  );

  app.openapi(
    createRoute({
      ...members,
      method: "delete",
      path: "/businesses/{businessId}/members/{userId}",
      summary: "Remove a member, or leave",
      middleware: [requires("business:read")],
      request: { params: schema.userIdParam },
      responses: { 204: { description: "Removed" }, ...errorResponses(...BUSINESS_READ_ERRORS, 412, 422) },
    }),
    (c) => {
      const { userId } = c.req.valid("param");
      const core = c.get("coreDb");
      assertIfMatch(c, service.currentMember(core, c.get("scope"), userId));
      return commitChange(c, 204, (rec) => service.removeMember(core, c.get("scope"), rec, userId), CORE);
    },
  );

  const keys = { tags: ["API keys"], security, middleware: [requires("api-keys:manage")] };

  app.openapi(
    createRoute({
      ...keys,
      method: "post",
      path: "/businesses/{businessId}/api-keys",
      summary: "Create an API key (the secret is shown once)",
      request: { params: businessIdParam, body: jsonBody(schema.createApiKeyBody) },
      responses: { 201: json(schema.createdApiKey, "Created"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) =>
      commitChange(c, 201, (rec) => service.createApiKey(c.get("coreDb"), c.get("scope"), rec, c.req.valid("json")), {
        coreWrites: true,
        // a repeat under the same Idempotency-Key gets the key without its secret: it is shown once
        stored: (key) => ({ ...key, key: null }),
      }),
  );

  app.openapi(
    createRoute({
      ...keys,
      method: "get",
      path: "/businesses/{businessId}/api-keys",
      summary: "API keys, without their secrets",
      request: { params: businessIdParam, query: pageQuery },
      responses: { 200: json(pageSchema(schema.apiKey), "A page of keys"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? "";
      const rows = store.listApiKeys(c.get("coreDb"), c.get("scope").businessId, after, limit + 1);
      return c.json(toPage(rows, limit, (r) => [r.id], service.apiKeyView), 200);
    },
  );

  app.openapi(
    createRoute({
      ...keys,
      method: "get",
      path: "/businesses/{businessId}/api-keys/{keyId}",
      summary: "One API key, without its secret",
      description: "Its ETag is what `If-Match` on `DELETE` compares with.",
      request: { params: schema.keyIdParam },
      responses: { 200: json(schema.apiKey, "The key"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => resourceResponse(c, service.currentApiKey(c.get("coreDb"), c.get("scope"), c.req.valid("param").keyId)),
  );

  app.openapi(
    createRoute({
      ...keys,
      method: "delete",
      path: "/businesses/{businessId}/api-keys/{keyId}",
      summary: "Revoke an API key at once",
      request: { params: schema.keyIdParam },
      responses: { 204: { description: "Revoked" }, ...errorResponses(...BUSINESS_READ_ERRORS, 412) },
    }),
    (c) => {
      const { keyId } = c.req.valid("param");
      const core = c.get("coreDb");
      assertIfMatch(c, service.currentApiKey(core, c.get("scope"), keyId));
      return commitChange(c, 204, (rec) => service.revokeApiKey(core, c.get("scope"), rec, keyId), CORE);
    },
  );
}

