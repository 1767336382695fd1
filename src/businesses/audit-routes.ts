import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.js";
import { BUSINESS_READ_ERRORS, bearer, businessIdParam, errorResponses, json } from "../http/openapi.js";
import { requires } from "../http/pipeline.js";
import { listAudit, verifyAudit } from "../platform/audit.js";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/pagination.js";

const auditEntry = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: z.string(),
    actorType: z.string(),
    actorId: z.string(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    changes: z.unknown(),
    requestId: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi("AuditEntry");

const tags = ["Audit"];

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/audit",
      tags,
      security: bearer,
      summary: "The append-only, hash-chained audit log, oldest first",
      middleware: [requires("audit:read")],
      request: { params: businessIdParam, query: pageQuery },
      responses: { 200: json(pageSchema(auditEntry), "A page of entries"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = (decodeCursor(cursor, ["number"])?.[0] as number | undefined) ?? 0;
      const rows = listAudit(c.get("scope").db, after, limit + 1);
      return c.json(toPage(rows, limit, (entry) => [entry.seq], (entry) => entry), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/audit/verify",
      tags,
      security: bearer,
      summary: "Recompute the hash chain",
      middleware: [requires("audit:read")],
      request: { params: businessIdParam },
      responses: {
        200: json(
          z.object({ valid: z.boolean(), entries: z.number().int(), firstInvalidSeq: z.number().int().optional() }).openapi("AuditVerification"),
          "The verdict",
        ),
        ...errorResponses(...BUSINESS_READ_ERRORS),
      },
    }),
    (c) => c.json(verifyAudit(c.get("scope").db), 200),
  );
}
