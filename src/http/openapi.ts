import { z } from "@hono/zod-openapi";

/** Shared OpenAPI pieces: the problem shape and the standard error responses of every route. */
export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const problemContent = { "application/problem+json": { schema: problem } };

const DESCRIPTIONS: Record<number, string> = {
  400: "Malformed JSON, a wrong type or format, or an unknown field.",
  401: "Missing, malformed, tampered or expired credentials.",
  403: "Your role in this business lacks the permission.",
  404: "No such resource, or a business you are not a member of.",
  409: "Conflict: a duplicate, or an Idempotency-Key reused with a different body.",
  412: "If-Match does not match the current ETag.",
  413: "The body is larger than 1 MiB.",
  415: "The body is not JSON, or is content-coded (only identity is accepted).",
  422: "Well-formed, but breaks a business rule.",
  429: "Rate limited; see Retry-After.",
  507: "The business's storage (the disk or its quota) is full; nothing was changed.",
};

export function errorResponses(...statuses: number[]) {
  const out: Record<number, { description: string; content: typeof problemContent }> = {};
  for (const status of statuses) out[status] = { description: DESCRIPTIONS[status] ?? "Error", content: problemContent };
  return out;
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** A body the client may leave out entirely (then `{}`); its routes take `emptyBodyIsNone` too, so an empty one counts as left out. */
export const optionalJsonBody = <T extends z.ZodType>(schema: T) => ({
  required: false,
  content: { "application/json": { schema } },
});

/** The body of an action that takes no input: absent, or `{}` (unknown fields are refused like anywhere else). */
export const emptyBody = z.strictObject({}).openapi("EmptyBody");

export const bearer = [{ bearerAuth: [] }];

/**
 * The answer of a GET served by resourceResponse when If-None-Match names the current ETag. Declaring it
 * is what makes the document list If-None-Match and ETag on the route (openapi-headers.ts).
 */
export const notModified = (description = "Not modified: If-None-Match names the current ETag; no body.") => ({ 304: { description } });

/** The errors any authenticated business route can answer with. */
export const BUSINESS_READ_ERRORS = [400, 401, 403, 404, 429] as const;
export const BUSINESS_WRITE_ERRORS = [400, 401, 403, 404, 409, 413, 415, 422, 429, 507] as const;

export const businessIdParam = z.object({
  businessId: z.string().max(64).openapi({ param: { name: "businessId", in: "path" }, example: "biz_01j9z3k4m5n6p7q8r9s0t1v2w3" }),
});
