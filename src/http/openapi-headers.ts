import type { OpenAPIHono } from "@hono/zod-openapi";
import { KEY_PATTERN } from "./idempotency.js";
import { REQUEST_ID } from "./pipeline.js";

/**
 * The headers the API honours and returns, added to the generated OpenAPI document by rule rather than in
 * each of a hundred route definitions: they come from middleware and shared helpers, not from the routes.
 * Each is defined once, in components.parameters / components.headers under its own name, and referenced.
 */
export type OpenAPIDocument = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;
type PathItem = NonNullable<OpenAPIDocument["paths"]>[string];
type Operation = NonNullable<PathItem["get"]>;
type Components = NonNullable<OpenAPIDocument["components"]>;

const PARAMETERS = {
  "X-Request-Id": {
    name: "X-Request-Id",
    in: "header",
    required: false,
    description:
      "Your id for this request, echoed in the answer's `X-Request-Id` and written to the server's log. Kept when it is 1–200 " +
      "visible ASCII characters; anything else is replaced by a generated id (never refused).",
    schema: { type: "string", minLength: 1, maxLength: 200, pattern: REQUEST_ID.source },
  },
  "Idempotency-Key": {
    name: "Idempotency-Key",
    in: "header",
    required: false,
    description:
      "Makes the request safe to repeat for 24 hours: a repeat by the same caller with the same key and body gets the first " +
      "answer again (same status and body, `Idempotent-Replayed: true`), also when that answer was a refusal by the business " +
      "rules; the key with another method, path or body is 409. A request refused before the write (validation, " +
      "authorisation) is not kept. 1–255 visible ASCII characters, else 400 (`errors[].path` `header.Idempotency-Key`).",
    schema: { type: "string", minLength: 1, maxLength: 255, pattern: KEY_PATTERN.source },
  },
  "If-Match": {
    name: "If-Match",
    in: "header",
    required: false,
    description:
      "Change only this version: an `ETag` from a GET of the resource, or `*`. Compared strongly, so a weak one (`W/…`) " +
      "matches nothing. A mismatch is 412 and nothing changes; without it the current version is changed.",
    schema: { type: "string" },
  },
  "If-None-Match": {
    name: "If-None-Match",
    in: "header",
    required: false,
    description: "`ETag`s you hold, comma-separated, or `*`; compared weakly. When one is the current version the answer is 304, without a body.",
    schema: { type: "string" },
  },
  "Last-Event-ID": {
    name: "Last-Event-ID",
    in: "header",
    required: false,
    description:
      "Resume after this event id (the `id` of the last event received), before `?after=`: decimal digits of an integer " +
      "from 0 to 2^53 − 1, else 400 (`errors[].path` `header.Last-Event-ID`). Empty counts as none.",
    schema: { type: "string", pattern: "^[0-9]*$" },
  },
} satisfies Components["parameters"];

const HEADERS = {
  "X-Request-Id": {
    required: true,
    description: "The request's id: yours when you sent a usable `X-Request-Id`, else a generated one. The server's log names it.",
    schema: { type: "string" },
  },
  "Server-Timing": {
    required: true,
    description: 'Time spent: `app;dur=<ms>`, and `db;dur=<ms>;desc="<n> statements"` when the request touched a database.',
    schema: { type: "string" },
  },
  ETag: {
    required: true,
    description:
      "The version of the representation in this answer, for `If-Match` and `If-None-Match`. Strong, except on a CRM " +
      "record read with `include=` (weak: the record's own version, the embedded records aside).",
    schema: { type: "string" },
  },
  "Idempotent-Replayed": {
    required: false,
    description: "`true` when this is the kept first answer to the request's `Idempotency-Key`, given again; absent otherwise.",
    schema: { type: "string", enum: ["true"] },
  },
  "Retry-After": {
    required: true,
    description: "Seconds to wait before trying again.",
    schema: { type: "integer", minimum: 1 },
  },
} satisfies Components["headers"];

const METHODS = ["get", "put", "post", "patch", "delete"] as const;
/** idempotencyGate runs for a business and what lies under it (businessScope, pipeline.ts), and reads the key of POSTs only. */
const GATED = /^\/businesses\/\{businessId\}(\/|$)/;
/** Writes answered by commitChange (business-write.ts), whose 200 and 201 carry the body's ETag: a business's own and its creation. */
const COMMITTED = /^\/businesses(\/|$)/;
/** Answers of those writes given without commitChange, so with no ETag and never kept under a key: an import's dry run. */
const UNCOMMITTED = new Set(["post /businesses/{businessId}/companies/import 200", "post /businesses/{businessId}/contacts/import 200"]);
/** Refusals commitChange keeps under a key, besides every success: those of the work itself (not of validation or admission). */
const KEPT_REFUSALS = new Set(["400", "403", "404", "409", "422"]);

const parameter = (name: keyof typeof PARAMETERS) => ({ $ref: `#/components/parameters/${name}` });
const header = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

/** A copy of the generated document that lists these headers wherever the code honours or sends them. */
export function describeHeaders(generated: OpenAPIDocument): OpenAPIDocument {
  const document = structuredClone(generated);
  document.components = {
    ...document.components,
    parameters: { ...document.components?.parameters, ...PARAMETERS },
    headers: { ...document.components?.headers, ...HEADERS },
  };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) describeOperation(method, path, operation);
    }
  }
  return document;
}

function describeOperation(method: (typeof METHODS)[number], path: string, operation: Operation): void {
  const responses = operation.responses ?? {};
  const idempotent = method === "post" && GATED.test(path);
  // resourceResponse: the routes that declare its 304
  const conditional = method === "get" && "304" in responses;
  const parameters = [parameter("X-Request-Id")];
  if (idempotent) parameters.push(parameter("Idempotency-Key"));
  // assertIfMatch: the routes that declare its 412
  if ("412" in responses) parameters.push(parameter("If-Match"));
  if (conditional) parameters.push(parameter("If-None-Match"));
  if (responses["200"]?.content?.["text/event-stream"]) parameters.push(parameter("Last-Event-ID"));
  operation.parameters = [...(operation.parameters ?? []), ...parameters];

  const described = Object.entries(responses).map(([status, response]) => {
    // requestContext puts these two on every answer, errors included
    const names: (keyof typeof HEADERS)[] = ["X-Request-Id", "Server-Timing"];
    const committed = !UNCOMMITTED.has(`${method} ${path} ${status}`);
    const success = status === "200" || status === "201";
    if (conditional ? success || status === "304" : committed && success && method !== "get" && COMMITTED.test(path)) names.push("ETag");
    if (idempotent && committed && (status.startsWith("2") || KEPT_REFUSALS.has(status))) names.push("Idempotent-Replayed");
    // tooManyRequests, the only source of a 429, always says when to retry
    if (status === "429") names.push("Retry-After");
    // a new object: the generator may share one response between operations that get different headers
    return [status, { ...response, headers: { ...response.headers, ...Object.fromEntries(names.map((name) => [name, header(name)])) } }];
  });
  operation.responses = Object.fromEntries(described);
}
