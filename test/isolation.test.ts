/**
 * The walls between businesses, for every route the server documents. The routes are enumerated from
 * the server's own OpenAPI document, so a route added later is covered without touching this file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  /** Path parameters, in the order they appear in the path. */
  params: string[];
  requiredQuery: { name: string; schema: Schema }[];
  bodySchema: Schema | undefined;
  streams: boolean;
}
interface Reply {
  status: number;
  contentType: string;
  text: string;
  body: any;
}

/** The operations known today; the document must list at least these. */
const KNOWN = [
  "GET /businesses/{businessId}",
  "PATCH /businesses/{businessId}",
  "DELETE /businesses/{businessId}",
  "GET /businesses/{businessId}/members",
  "POST /businesses/{businessId}/members",
  "GET /businesses/{businessId}/members/{userId}",
  "PATCH /businesses/{businessId}/members/{userId}",
  "DELETE /businesses/{businessId}/members/{userId}",
  "GET /businesses/{businessId}/api-keys",
  "POST /businesses/{businessId}/api-keys",
  "DELETE /businesses/{businessId}/api-keys/{keyId}",
  "GET /businesses/{businessId}/audit",
  "GET /businesses/{businessId}/audit/verify",
  "GET /businesses/{businessId}/events",
];
const METHODS = ["get", "post", "put", "patch", "delete"];
/** A well-formed id that names nothing: what an attacker would try for an id they cannot know. */
const NO_SUCH_BUSINESS = "biz_01j9z3k4m5n6p7q8r9s0t1v2w3";
/** An id no route's schema would accept (over 64 characters): refused by admission like any other (decision 0015). */
const MALFORMED_BUSINESS = "x".repeat(100);

let server: RunningServer;
let api: Client;
let doc: Schema;
let operations: Operation[];
let businessOps: Operation[];
const ids: Record<string, string> = {};
let owner: Awaited<ReturnType<typeof registerUser>>;
let outsider: Awaited<ReturnType<typeof registerUser>>;
let outsiderKey: string;
let before: Awaited<ReturnType<typeof snapshot>>;

function resolveRef(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let i = 0; current?.$ref && i < 20; i++) {
    const name = String(current.$ref).replace("#/components/schemas/", "");
    current = doc.components?.schemas?.[name];
  }
  return current;
}

/** A plausible value for a schema: its example, else the simplest value of its type and format. */
function sample(input: Schema | undefined, depth = 0): unknown {
  const schema = resolveRef(input);
  if (!schema || depth > 8) return null;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  for (const key of ["oneOf", "anyOf"]) {
    const options = (schema[key] as Schema[] | undefined)?.filter((s) => resolveRef(s)?.type !== "null");
    if (options && options.length > 0) return sample(options[0], depth + 1);
  }
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((s: Schema) => sample(s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const properties: Record<string, Schema> = schema.properties ?? {};
      const names: string[] = schema.required ?? Object.keys(properties).slice(0, 1);
      return Object.fromEntries(names.map((name) => [name, sample(properties[name], depth + 1)]));
    }
    case "array":
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(schema.items, depth + 1));
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return true;
    case "string": {
      if (schema.format === "email") return "someone@example.com";
      if (schema.format === "date") return "2025-01-31";
      if (schema.format === "date-time") return "2025-01-31T12:00:00Z";
      return "sample".padEnd(schema.minLength ?? 0, "x");
    }
    default:
      return null;
  }
}

function listOperations(document: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(document.paths ?? {})) {
    for (const method of METHODS) {
      const op: Schema | undefined = item[method];
      if (!op) continue;
      const parameters: Schema[] = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      const success = Object.entries<Schema>(op.responses ?? {}).find(([status]) => status.startsWith("2"))?.[1];
      out.push({
        method: method.toUpperCase(),
        path,
        params: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        requiredQuery: parameters.filter((p) => p.in === "query" && p.required).map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        bodySchema: op.requestBody?.content?.["application/json"]?.schema,
        streams: Boolean(success?.content?.["text/event-stream"]),
      });
    }
  }
  return out;
}

const describeOp = (op: Operation) => `${op.method} ${op.path}`;

/** The URL of an operation with its path parameters filled in and its required query parameters set. */
function urlOf(op: Operation, values: Record<string, string>, query = ""): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? plausibleId(name)));
  const required = op.requiredQuery.map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(String(sample(q.schema)))}`);
  const search = [...required, ...(query ? [query] : [])].join("&");
  return `${server.url}/api/v1${path}${search ? `?${search}` : ""}`;
}

function plausibleId(name: string): string {
  const prefix = name.replace(/Id$/, "").replace(/[^a-z]/gi, "").slice(0, 4).toLowerCase() || "id";
  return `${prefix}_01j9z3k4m5n6p7q8r9s0t1v2w3`;
}

/** One request; an event stream is read no further than its status and headers. */
async function call(
  method: string,
  url: string,
  options: { token?: string; body?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.contentType) headers["Content-Type"] = options.contentType;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 15_000);
  try {
    const response = await fetch(url, { method, headers, body: options.body, signal: controller.signal });
    const contentType = response.headers.get("content-type") ?? "";
    if (contentType.includes("text/event-stream")) {
      controller.abort();
      return { status: response.status, contentType, text: "", body: undefined };
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, contentType, text, body };
  } finally {
    clearTimeout(timer);
  }
}

interface Attempt {
  label: string;
  query?: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** What an intruder might send to one operation: a plausible request, and invalid ones. */
function attemptsFor(op: Operation): Attempt[] {
  if (op.bodySchema || ["POST", "PUT", "PATCH"].includes(op.method)) {
    const plausible = JSON.stringify(sample(op.bodySchema) ?? {});
    return [
      { label: "plausible body", body: plausible, contentType: "application/json" },
      { label: "plausible body with Idempotency-Key", body: plausible, contentType: "application/json", headers: { "Idempotency-Key": "intruder-1" } },
      { label: "plausible body with If-Match *", body: plausible, contentType: "application/json", headers: { "If-Match": "*" } },
      { label: "wrong types and an unknown field", body: JSON.stringify({ name: 12345, role: ["x"], unknownField: true }), contentType: "application/json" },
      { label: "malformed JSON", body: '{"name": ', contentType: "application/json" },
      { label: "not JSON", body: "name=intruder", contentType: "text/plain" },
      { label: "no body", body: undefined },
      { label: "invalid query", body: plausible, contentType: "application/json", query: "limit=0&cursor=%25%25" },
    ];
  }
  return [
    { label: "plain" },
    { label: "conditional headers", headers: { "If-Match": "*", "If-None-Match": "*", "Last-Event-ID": "0" } },
    { label: "invalid query", query: "limit=0&cursor=%25%25&unknown=1" },
  ];
}

function expectProblem(reply: Reply, status: number, context: string): void {
  expect(reply.status, `${context}: ${reply.text.slice(0, 300)}`).toBe(status);
  expect(reply.contentType, context).toContain("application/problem+json");
  expect(reply.body, context).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
}

/** Walks every page of a list. */
async function listAll(path: string, token: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res: { status: number; body: { data: unknown[]; nextCursor: string | null } } = await api.get(
      `${path}?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      { token },
    );
    expect(res.status, path).toBe(200);
    items.push(...res.body.data);
    cursor = res.body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error(`${path}: more than 100 pages`);
}

/** Everything an intruder could have changed in business A, as its owner sees it. */
async function snapshot() {
  const id = ids.businessId!;
  const business = await api.get(`/businesses/${id}`, { token: owner.token });
  expect(business.status).toBe(200);
  return {
    business: business.body,
    etag: business.headers.get("etag"),
    members: await listAll(`/businesses/${id}/members`, owner.token),
    apiKeys: await listAll(`/businesses/${id}/api-keys`, owner.token),
    audit: await listAll(`/businesses/${id}/audit`, owner.token),
    verify: (await api.get(`/businesses/${id}/audit/verify`, { token: owner.token })).body,
  };
}

beforeAll(async () => {
  server = await startServer();
  api = client(server.url);

  // business A: an owner, a member and an API key
  owner = await registerUser(api, "Owner A");
  const member = await registerUser(api, "Member of A");
  ids.businessId = await createBusiness(api, owner.token, "Business A");
  const added = await api.post(`/businesses/${ids.businessId}/members`, { email: member.email, role: "accountant" }, { token: owner.token });
  expect(added.status).toBe(201);
  ids.userId = member.userId;
  const keyA = await api.post(`/businesses/${ids.businessId}/api-keys`, { name: "A's integration", role: "admin" }, { token: owner.token });
  expect(keyA.status).toBe(201);
  ids.keyId = keyA.body.id;
  await api.patch(`/businesses/${ids.businessId}`, { name: "Business A Ltd" }, { token: owner.token });

  // business B: an outsider to A, with a key of their own
  outsider = await registerUser(api, "Owner B");
  const businessB = await createBusiness(api, outsider.token, "Business B");
  const keyB = await api.post(`/businesses/${businessB}/api-keys`, { name: "B's integration", role: "admin" }, { token: outsider.token });
  expect(keyB.status).toBe(201);
  outsiderKey = keyB.body.key;
  expect((await api.get(`/businesses/${businessB}`, { token: outsiderKey })).status).toBe(200);
  expect((await api.get(`/businesses/${businessB}`, { token: outsider.token })).status).toBe(200);

  const openapi = await api.get("/openapi.json");
  expect(openapi.status).toBe(200);
  doc = openapi.body;
  expect(doc.servers?.[0]?.url).toBe("/api/v1");
  operations = listOperations(doc);
  businessOps = operations.filter((op) => op.params.includes("businessId"));
  before = await snapshot();
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

describe("the walls between businesses, for every documented route", () => {
  it("enumerates a non-trivial set of business routes from the OpenAPI document", () => {
    const listed = businessOps.map(describeOp);
    for (const known of KNOWN) expect(listed, known).toContain(known);
    expect(businessOps.length).toBeGreaterThanOrEqual(KNOWN.length);
    expect(businessOps.filter((op) => op.streams).map(describeOp)).toContain("GET /businesses/{businessId}/events");
    expect(before.members).toHaveLength(2);
    expect(before.apiKeys).toHaveLength(1);
    expect(before.verify).toMatchObject({ valid: true });
  });

  for (const who of ["a user of another business", "an API key of another business"] as const) {
    it(`answers ${who} 404 on every route of business A, whatever the request, exactly as for a business that does not exist`, async () => {
      const token = who.startsWith("a user") ? outsider.token : outsiderKey;
      let checked = 0;
      for (const op of businessOps) {
        for (const attempt of attemptsFor(op)) {
          const context = `${who}: ${describeOp(op)} (${attempt.label})`;
          const options = { token, body: attempt.body, contentType: attempt.contentType, headers: attempt.headers };
          const onA = await call(op.method, urlOf(op, ids, attempt.query), options);
          expectProblem(onA, 404, context);
          // the refusal is indistinguishable from the one for a business that does not exist
          const onNothing = await call(op.method, urlOf(op, { ...ids, businessId: NO_SUCH_BUSINESS }, attempt.query), options);
          expectProblem(onNothing, 404, `${context}, no such business`);
          expect(onA.body, context).toEqual(onNothing.body);
          const onMalformed = await call(op.method, urlOf(op, { ...ids, businessId: MALFORMED_BUSINESS }, attempt.query), options);
          expect(onMalformed.body, `${context}, a malformed business id`).toEqual(onNothing.body);
          checked += 1;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(KNOWN.length * 3);
    });
  }

  it("answers 401 without credentials on every route of business A, as for a business that does not exist", async () => {
    for (const op of businessOps) {
      const attempt = attemptsFor(op)[0]!;
      const options = { body: attempt.body, contentType: attempt.contentType };
      const onA = await call(op.method, urlOf(op, ids), options);
      expectProblem(onA, 401, `no credentials: ${describeOp(op)}`);
      const onNothing = await call(op.method, urlOf(op, { ...ids, businessId: NO_SUCH_BUSINESS }), options);
      expect(onNothing.body, describeOp(op)).toEqual(onA.body);
    }
  });

  it("leaves business A exactly as it was: business, members, keys, audit chain", async () => {
    const after = await snapshot();
    expect(after.business).toEqual(before.business);
    expect(after.etag).toBe(before.etag);
    expect(after.members).toEqual(before.members);
    expect(after.apiKeys).toEqual(before.apiKeys);
    expect(after.audit).toHaveLength(before.audit.length);
    expect(after.audit).toEqual(before.audit);
    expect(after.verify).toEqual({ valid: true, entries: before.audit.length });
    // the outsider's view of the world still holds no trace of A
    const me = await api.get("/me", { token: outsider.token });
    expect(me.body.memberships.map((m: { businessId: string }) => m.businessId)).not.toContain(ids.businessId);
  });

  it("positive control: A's owner reaches the same read routes on A (2xx), so the 404s come from the wall", async () => {
    const known = new Set(Object.keys(ids));
    const reads = businessOps.filter((op) => op.method === "GET" && op.params.every((p) => known.has(p)));
    expect(reads.length).toBeGreaterThanOrEqual(KNOWN.filter((k) => k.startsWith("GET")).length);
    for (const op of reads) {
      const reply = await call("GET", urlOf(op, ids), { token: owner.token });
      expect(reply.status, `${describeOp(op)}: ${reply.text.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
      expect(reply.status, `${describeOp(op)}: ${reply.text.slice(0, 300)}`).toBeLessThan(300);
      if (op.streams) expect(reply.contentType, describeOp(op)).toContain("text/event-stream");
    }
  });
});
