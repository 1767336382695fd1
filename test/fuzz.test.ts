/**
 * "No client input, however malformed, may produce a 5xx." Thousands of generated requests (fast-check,
 * fixed seed) against the real server: random bodies for every POST/PATCH route of the OpenAPI
 * document, junk credentials and headers, junk query strings and odd paths. Every answer must be
 * below 500, and every 4xx a well-formed problem+json.
 */
import { Agent, request as httpRequest } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

const SEED = 360_2024;
/** Requests per kind; the deadline below only guards against a machine far slower than expected. */
const PLAN = { body: 3000, headers: 2000, query: 1500, path: 1500 } as const;
const DEADLINE_MS = 40_000;
const CONCURRENCY = 8;

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  secured: boolean;
  bodySchema: Schema | undefined;
  query: { name: string; schema: Schema }[];
}
interface FuzzRequest {
  kind: keyof typeof PLAN;
  method: string;
  /** The raw request target, sent as is. */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Send the body with chunked transfer coding instead of a Content-Length. */
  chunked?: boolean;
}
interface Answer {
  status: number;
  contentType: string;
  text: string;
}

let server: RunningServer;
let api: Client;
let port: number;
let doc: Schema;
let ops: Operation[];
let owner: Awaited<ReturnType<typeof registerUser>>;
let businessId: string;
let apiKey: string;
let keyId: string;
/** A cursor the server issued, for near-miss mutations. */
let realCursor: string;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

beforeAll(async () => {
  // the general rate limit off, so the budget goes to validation and business rules rather than 429s
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  port = Number(new URL(server.url).port);
  owner = await registerUser(api, "Fuzz Owner");
  businessId = await createBusiness(api, owner.token, "Fuzzed");
  const key = await api.post(`/businesses/${businessId}/api-keys`, { name: "fuzz", role: "admin" }, { token: owner.token });
  expect(key.status).toBe(201);
  apiKey = key.body.key;
  keyId = key.body.id;
  const page = await api.get(`/businesses/${businessId}/audit?limit=1`, { token: owner.token });
  expect(page.body.nextCursor).toEqual(expect.any(String));
  realCursor = page.body.nextCursor;
  const openapi = await api.get("/openapi.json");
  expect(openapi.status).toBe(200);
  doc = openapi.body;
  ops = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths ?? {})) {
    for (const method of ["get", "post", "put", "patch", "delete"]) {
      const op: Schema | undefined = item[method];
      if (!op) continue;
      ops.push({
        method: method.toUpperCase(),
        path,
        secured: Array.isArray(op.security) && op.security.length > 0,
        bodySchema: op.requestBody?.content?.["application/json"]?.schema,
        query: [...(item.parameters ?? []), ...(op.parameters ?? [])]
          .filter((p: Schema) => p.in === "query")
          .map((p: Schema) => ({ name: String(p.name), schema: p.schema ?? {} })),
      });
    }
  }
});

afterAll(async () => {
  agent.destroy();
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

function resolveRef(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let i = 0; current?.$ref && i < 20; i++) current = doc.components?.schemas?.[String(current.$ref).replace("#/components/schemas/", "")];
  return current;
}

/** A plausible value for a schema: its example, else the simplest value of its type and format. */
function sample(input: Schema | undefined, depth = 0): unknown {
  const schema = resolveRef(input);
  if (!schema || depth > 8) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ["oneOf", "anyOf"]) if (Array.isArray(schema[key]) && schema[key].length > 0) return sample(schema[key][0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== "null") : schema.type;
  if (type === "object") {
    const properties: Record<string, Schema> = schema.properties ?? {};
    const names: string[] = schema.required ?? Object.keys(properties).slice(0, 1);
    return Object.fromEntries(names.map((name) => [name, sample(properties[name], depth + 1)]));
  }
  if (type === "array") return [sample(schema.items, depth + 1)];
  if (type === "integer" || type === "number") return schema.minimum ?? 1;
  if (type === "boolean") return true;
  if (type === "string") return schema.format === "email" ? "someone@example.com" : schema.format === "date" ? "2025-01-31" : "sample".padEnd(schema.minLength ?? 0, "x");
  return null;
}

const b64url = (text: string | Uint8Array) => Buffer.from(text).toString("base64url");

/** Characters Node lets us put in a header value: tab, printable ASCII and Latin-1. */
const headerText = (maxLength = 200) =>
  fc.string({
    unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }), fc.constant(0x09)).map((c) => String.fromCharCode(c)),
    maxLength,
  });
/** Text as a client might put it in a URL: percent-encoded, or raw where the bytes allow it (no spaces or controls). */
const urlText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: "binary", maxLength: 20 }).map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, "\uFFFD"))),
  fc.string({ unit: fc.integer({ min: 0x21, max: 0xff }).filter((c) => c < 0x7f || c > 0x9f).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  fc.constantFrom("%", "%%", "%zz", "%E0%A4%A", "%ff%fe", "%C0%AF", "%u0041", "%%32%65", "%00", "%0d%0a", "%2e%2e", "%252e", "\\", "*", ";x=1"),
);
const percentGarbage = fc.constantFrom("%", "%%", "%zz", "%E0%A4%A", "%ff", "%C0%AF", "%00", "%u0041", "%%32%65", "%2", "%G0");

/** Path parameters: mostly the real ids of the fuzzed business, sometimes junk. */
function pathArb(op: Operation, options: { realIds: boolean }): fc.Arbitrary<string> {
  const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const real: Record<string, string> = { businessId, userId: owner.userId, keyId };
  const values = names.map((name) => {
    const known = real[name];
    const junk = fc.oneof(urlText, percentGarbage, fc.constant("x".repeat(65)), fc.constant(`${name}_01j9z3k4m5n6p7q8r9s0t1v2w3`));
    // a DELETE never gets a real id other than the business, so the fuzz cannot revoke its own key or the business
    if (known && options.realIds && (op.method !== "DELETE" || name === "businessId")) return fc.oneof({ weight: 6, arbitrary: fc.constant(known) }, { weight: 1, arbitrary: junk });
    return junk;
  });
  return fc.tuple(...values).map((vals) => {
    let i = 0;
    return `/api/v1${op.path.replace(/\{[^}]+\}/g, () => vals[i++] ?? "")}`;
  });
}

/** DELETE /businesses/{businessId} would end the fuzz early: it is exercised only with junk ids and junk credentials. */
const deletesTheBusiness = (op: Operation) => op.method === "DELETE" && /\{businessId\}$/.test(op.path);

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/JSON",
  "application/json; charset=utf-16",
  "application/json; charset=nonsense",
  "application/problem+json",
  "application/vnd.api+json",
  "text/plain",
  "text/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "multipart/form-data",
  "*/*",
  ";",
];

function mutate(valid: unknown): fc.Arbitrary<unknown> {
  const base = valid !== null && typeof valid === "object" && !Array.isArray(valid) ? (valid as Record<string, unknown>) : {};
  const keys = Object.keys(base);
  return fc.oneof(
    fc.constant(base),
    keys.length > 0
      ? fc.tuple(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ ...base, [k]: v }))
      : fc.constant(base),
    keys.length > 0 ? fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(base).filter(([key]) => key !== k))) : fc.constant(base),
    fc.tuple(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => ({ ...base, [k]: v })),
    keys.length > 0
      ? fc.tuple(fc.constantFrom(...keys), fc.oneof(fc.string({ unit: "grapheme", maxLength: 300 }), fc.constantFrom("", " ", "\u0000", "x".repeat(5000), "𝓤𝓷𝓲𝓬𝓸𝓭𝓮", "2025-02-30", "-1", "1e309")))
          .map(([k, v]) => ({ ...base, [k]: v }))
      : fc.constant(base),
  );
}

function bodyRequests(): fc.Arbitrary<FuzzRequest> {
  const writes = ops.filter((op) => op.method === "POST" || op.method === "PATCH" || op.method === "PUT");
  const perOp = writes.map((op) => {
    const valid = sample(op.bodySchema);
    const text = fc.oneof(
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
      { weight: 4, arbitrary: mutate(valid).map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 200 }) },
      { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 100 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "",
          "null",
          "{",
          '{"a":',
          "[".repeat(20_000) + "]".repeat(20_000),
          '{"a":'.repeat(5_000) + "1" + "}".repeat(5_000),
          '{"__proto__":{"role":"owner","isAdmin":true}}',
          '{"constructor":{"prototype":{"role":"owner"}}}',
          '{"name":"a","name":1}',
          "1e999",
          "-0",
          '"\\ud800"',
          "\ufeff{}",
          JSON.stringify({ ...(valid as object), __proto__: { x: 1 } }),
          JSON.stringify({ ...(valid as object), padding: "x".repeat(1024 * 1024) }),
        ),
      },
    );
    const bytes = fc.uint8Array({ maxLength: 200 });
    return fc.record({
      path: pathArb(op, { realIds: true }),
      body: fc.oneof({ weight: 9, arbitrary: text }, { weight: 1, arbitrary: bytes }),
      contentType: fc.oneof(
        { weight: 5, arbitrary: fc.constant("application/json") },
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        { weight: 1, arbitrary: headerText(60) },
      ),
      credential: fc.oneof({ weight: 8, arbitrary: fc.constant(owner.token) }, { weight: 2, arbitrary: fc.constant(apiKey) }),
      idempotencyKey: fc.option(fc.oneof(fc.constantFrom("k1", "k2", "k3"), headerText(40)), { freq: 4 }),
      ifMatch: fc.option(fc.oneof(fc.constant("*"), headerText(40)), { freq: 6 }),
      chunked: fc.boolean(),
    }).map(
      (r): FuzzRequest => ({
        kind: "body",
        method: op.method,
        path: r.path,
        headers: {
          Authorization: `Bearer ${r.credential}`,
          ...(r.contentType !== undefined ? { "Content-Type": r.contentType } : {}),
          ...(r.idempotencyKey !== null ? { "Idempotency-Key": r.idempotencyKey } : {}),
          ...(r.ifMatch !== null ? { "If-Match": r.ifMatch } : {}),
        },
        body: r.body,
        chunked: r.chunked,
      }),
    );
  });
  return fc.oneof(...perOp);
}

/** Authorization values an attacker would try: garbage, near-misses of real tokens and keys, and the real ones. */
function authorizationArb(): fc.Arbitrary<string | undefined> {
  const token = owner.token;
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  const keyMatch = /^cf_(key_[0-9a-z]{26})_([0-9a-f]{64})$/.exec(apiKey)!;
  const hex = fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 });
  const base36 = fc.string({ unit: fc.constantFrom(..."0123456789abcdefghijklmnopqrstuvwxyz"), minLength: 26, maxLength: 26 });
  const flip = (text: string) =>
    fc.tuple(fc.nat({ max: text.length - 1 }), fc.constantFrom(..."ABCxyz019-_.")).map(([i, c]) => text.slice(0, i) + c + text.slice(i + 1));
  const bearer = (inner: fc.Arbitrary<string>) => inner.map((t) => `Bearer ${t}`);
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(`Bearer ${token}`),
    fc.constant(`Bearer ${apiKey}`),
    headerText(300),
    bearer(headerText(300)),
    fc.constantFrom("Bearer", "Bearer ", `bearer ${token}`, `Bearer  ${token}`, `Bearer ${token} `, `Basic ${b64url("a:b")}`, `Token ${token}`, `Bearer ${token}.`, `Bearer ${"a".repeat(4097)}`),
    bearer(fc.nat({ max: token.length - 1 }).map((n) => token.slice(0, n))),
    bearer(flip(token)),
    bearer(fc.constantFrom(`${b64url('{"alg":"none","typ":"JWT"}')}.${payload}.`, `${b64url('{"alg":"none"}')}.${payload}.${signature}`, `${b64url('{"alg":"HS512","typ":"JWT"}')}.${payload}.${signature}`, `${b64url('{"alg":"RS256","typ":"JWT"}')}.${payload}.${signature}`, `${b64url('{"alg":"HS256","typ":"JWT","crit":["x"]}')}.${payload}.${signature}`)),
    bearer(fc.constantFrom(`${header}.${b64url(JSON.stringify({ ...claims, sub: "usr_someoneelse" }))}.${signature}`, `${header}.${b64url(JSON.stringify({ ...claims, exp: 1 }))}.${signature}`, `${header}.${b64url("not json")}.${signature}`, `${header}..${signature}`, `${header}.${payload}`, "..", "a.b.c")),
    bearer(fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 })).map(([h, p]) => `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(p))}.${signature}`)),
    bearer(fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"), maxLength: 120 }).map((s) => `cf_${s}`)),
    bearer(fc.tuple(base36, hex).map(([id, secret]) => `cf_key_${id}_${secret}`)),
    bearer(hex.map((secret) => `cf_${keyMatch[1]}_${secret}`)),
    bearer(fc.constantFrom(apiKey.slice(0, -1), `${apiKey}0`, apiKey.toUpperCase(), `cf_${keyMatch[1]}_${"z".repeat(64)}`, `cf_${keyMatch[1]}`, "cf_", `cf_${keyMatch[1]}_${keyMatch[2]}_${keyMatch[2]}`)),
    bearer(flip(apiKey)),
  );
}

const JUNK = fc.oneof(headerText(200), fc.constantFrom("", " ", "*", ",,,", '"', 'W/"x"', '"' + "a".repeat(5000) + '"', "-1", "1e309", "99999999999999999999", "0x10", "NaN", "null", "\t5"));

function headerRequests(): fc.Arbitrary<FuzzRequest> {
  const targets = ops.filter((op) => op.secured && !deletesTheBusiness(op));
  return fc
    .record({
      op: fc.constantFrom(...targets),
      authorization: authorizationArb(),
      idempotencyKey: fc.option(JUNK, { freq: 3 }),
      ifMatch: fc.option(JUNK, { freq: 3 }),
      ifNoneMatch: fc.option(JUNK, { freq: 4 }),
      requestId: fc.option(JUNK, { freq: 3 }),
      lastEventId: fc.option(JUNK, { freq: 3 }),
      contentType: fc.option(fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerText(60)), { freq: 3 }),
      accept: fc.option(JUNK, { freq: 5 }),
      randomBody: fc.boolean(),
      randomJson: fc.jsonValue({ maxDepth: 2 }),
    })
    .chain((r) =>
      pathArb(r.op, { realIds: true }).map((path): FuzzRequest => {
        const headers: Record<string, string> = {};
        if (r.authorization !== undefined) headers.Authorization = r.authorization;
        if (r.idempotencyKey !== null) headers["Idempotency-Key"] = r.idempotencyKey;
        if (r.ifMatch !== null) headers["If-Match"] = r.ifMatch;
        if (r.ifNoneMatch !== null) headers["If-None-Match"] = r.ifNoneMatch;
        if (r.requestId !== null) headers["X-Request-Id"] = r.requestId;
        if (r.lastEventId !== null) headers["Last-Event-ID"] = r.lastEventId;
        if (r.accept !== null) headers.Accept = r.accept;
        let body: string | undefined;
        if (r.op.bodySchema) {
          body = JSON.stringify(r.randomBody ? r.randomJson : sample(r.op.bodySchema));
          headers["Content-Type"] = r.contentType ?? "application/json";
        } else if (r.contentType !== null) {
          headers["Content-Type"] = r.contentType;
        }
        return { kind: "headers", method: r.op.method, path, headers, body };
      }),
    );
}

function queryRequests(): fc.Arbitrary<FuzzRequest> {
  const targets = ops.filter((op) => op.method === "GET");
  const b64json = (json: string) => b64url(json);
  const value = fc.oneof(
    fc.constantFrom("", "0", "-1", "1", "2", "50", "200", "201", "1.5", "1e2", "0x10", "NaN", "Infinity", "abc", "%00", "99999999999999999999999", "%205", "5%20", "true", "[]", "2025-02-30", "2025-01-31", "9999-99-99", "company,contacts,activities", "__proto__"),
    urlText,
    percentGarbage,
    fc.jsonValue({ maxDepth: 2 }).map((v) => b64url(JSON.stringify(v))),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }).map((v) => b64url(JSON.stringify(v))),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => b64url(bytes)),
    fc.constantFrom('["zzzz"]', `["${"z".repeat(400)}"]`, "[1e308]", "[-1]", "[1.5]", "[null]", "null", "[[]]", '["\' OR 1=1 --"]', "[1,2]", "[]", "{}", '"x"', "[9007199254740993]").map(b64json),
    fc.constantFrom(realCursor, `${realCursor}A`, realCursor.slice(0, -1), realCursor.toUpperCase(), `${realCursor}==`, `${realCursor}.`),
    fc.constant("c".repeat(600)),
  );
  // the documented parameters with junk values: a strict schema refuses anything else before a handler sees it
  const documented = (op: Operation) =>
    fc.tuple(...op.query.map((q) => fc.option(value, { freq: 4 }).map((v) => (v === null ? undefined : `${q.name}=${v}`)))).map((pairs) => pairs.filter((p) => p !== undefined));
  const name = fc.oneof({ weight: 6, arbitrary: fc.constantFrom("limit", "cursor", "after", "include", "asOf", "from", "to", "currency", "status", "q") }, { weight: 1, arbitrary: urlText });
  const chaos = fc.array(
    fc.oneof(
      { weight: 8, arbitrary: fc.tuple(name, value).map(([k, v]) => `${k}=${v}`) },
      { weight: 1, arbitrary: fc.constantFrom("", "=", "&", "limit", "limit=", "=5", "a[b]=c", "__proto__[x]=1", "limit=1&limit=2", "cursor=a&cursor=b", "?", "#x") },
    ),
    { minLength: 1, maxLength: 5 },
  );
  return fc
    .record({ op: fc.constantFrom(...targets), apiKeyCredential: fc.boolean(), structured: fc.nat({ max: 3 }) })
    .chain((r) =>
      fc.tuple(pathArb(r.op, { realIds: true }), r.structured > 0 && r.op.query.length > 0 ? documented(r.op) : chaos).map(
        ([path, pairs]): FuzzRequest => ({
          kind: "query",
          method: "GET",
          path: `${path}?${pairs.join("&")}`,
          headers: { Authorization: `Bearer ${r.apiKeyCredential && r.op.secured ? apiKey : owner.token}` },
        }),
      ),
    );
}

function pathRequests(): fc.Arbitrary<FuzzRequest> {
  const prefix = fc.constantFrom(
    "",
    "/api",
    "/api/v1",
    "/api/v1/businesses",
    `/api/v1/businesses/${businessId}`,
    `/api/v1/businesses/${businessId}/members`,
    `/api/v1/businesses/${businessId}/api-keys`,
    `/api/v1/businesses/${businessId}/audit`,
    "/api/v1/auth",
    "/api/v1/me",
    "/health",
    "/metrics",
    "/api/docs",
    "/api/v1/openapi.json",
  );
  const segment = fc.oneof(
    fc.constantFrom("%00", "..", "%2e%2e", "%2E%2E", ".%2e", ".", "", "%2f", "%2F..%2F", "%5c", "\\..\\", "~", "%", "%ff", "é", "%C3%A9", "%F0%9F%98%80", Buffer.from("😀/é", "utf8").toString("latin1"), "a".repeat(5000), businessId, owner.userId, "verify", "members", "events", "openapi.json", "null", "undefined", "__proto__", "constructor", "*"),
    urlText,
    percentGarbage,
    fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_.~%"), minLength: 4000, maxLength: 5000 }),
    fc.webSegment(),
  );
  const whole = fc.constantFrom("*", "/", "//", "///api/v1/me", "//evil.example/api/v1/me", "http://127.0.0.1/api/v1/me", "http://evil.example/api/v1/me", "/api/v1/me?%", "/%", "/api/v1/../../etc/passwd", "/api/v1/%2e%2e/%2e%2e/etc/passwd", "/api/v1/businesses/..%2f..%2fcore.db");
  return fc
    .record({
      target: fc.oneof(
        { weight: 8, arbitrary: fc.tuple(prefix, fc.array(segment, { minLength: 1, maxLength: 4 })).map(([p, segs]) => `${p}/${segs.join("/")}`) },
        { weight: 1, arbitrary: whole },
      ),
      method: fc.constantFrom("GET", "GET", "HEAD", "POST", "PATCH", "PUT", "OPTIONS", "DELETE", "TRACE"),
      credential: fc.constantFrom<"owner" | "none" | "junk">("owner", "owner", "none", "junk"),
      body: fc.option(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), { freq: 2 }),
    })
    .map((r): FuzzRequest => {
      // a path may normalise onto a real route, so a DELETE never carries working credentials
      const credential = r.method === "DELETE" && r.credential === "owner" ? "junk" : r.credential;
      const headers: Record<string, string> = {};
      if (credential === "owner") headers.Authorization = `Bearer ${owner.token}`;
      if (credential === "junk") headers.Authorization = "Bearer not-a-token";
      if (r.body !== null && r.method !== "GET" && r.method !== "HEAD" && r.method !== "TRACE") headers["Content-Type"] = "application/json";
      const body = r.body !== null && headers["Content-Type"] ? r.body : undefined;
      return { kind: "path", method: r.method, path: r.target, headers, body };
    });
}

/** Sends one request exactly as built; an event stream is read no further than its headers. */
function send(req: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // explicit framing: Node would otherwise send a DELETE or OPTIONS body unframed
    const framing = req.chunked ? { "Transfer-Encoding": "chunked" } : { "Content-Length": String(req.body === undefined ? 0 : Buffer.byteLength(req.body)) };
    const headers = req.body === undefined ? req.headers : { ...req.headers, ...framing };
    const outgoing = httpRequest({ host: "127.0.0.1", port, method: req.method, path: req.path, headers, agent, timeout: 15_000 }, (res) => {
      const contentType = String(res.headers["content-type"] ?? "");
      if (contentType.includes("text/event-stream")) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, contentType, text: "" });
        return;
      }
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error("no answer within 15 s")));
    outgoing.on("error", reject);
    if (req.chunked && req.body !== undefined && req.body.length > 1) {
      // in two chunks, so the server really reads a stream
      const half = Math.floor(req.body.length / 2);
      outgoing.write(req.body.slice(0, half));
      outgoing.end(req.body.slice(half));
    } else {
      outgoing.end(req.body);
    }
  });
}

/** What is wrong with an answer, or undefined. */
function fault(req: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}`;
  if (answer.status < 400) return undefined;
  if (!answer.contentType.startsWith("application/problem+json")) return `a ${answer.status} with content-type "${answer.contentType}"`;
  if (req.method === "HEAD") return undefined;
  let problem: any;
  try {
    problem = JSON.parse(answer.text);
  } catch {
    return `a ${answer.status} whose body is not JSON`;
  }
  if (problem?.status !== answer.status) return `a ${answer.status} whose problem says status ${JSON.stringify(problem?.status)}`;
  for (const field of ["type", "title", "detail"]) if (typeof problem[field] !== "string") return `a ${answer.status} without a string ${field}`;
  return undefined;
}

const printable = (body: FuzzRequest["body"]) =>
  body === undefined ? undefined : typeof body === "string" ? (body.length > 300 ? `${body.slice(0, 300)}… (${body.length} chars)` : body) : `bytes ${b64url(body)}`;

describe("fuzzing the running server", () => {
  it("answers thousands of malformed requests without a 5xx, each refusal a well-formed problem+json", async () => {
    const batches: FuzzRequest[][] = [
      fc.sample(bodyRequests(), { seed: SEED, numRuns: PLAN.body }),
      fc.sample(headerRequests(), { seed: SEED + 1, numRuns: PLAN.headers }),
      fc.sample(queryRequests(), { seed: SEED + 2, numRuns: PLAN.query }),
      fc.sample(pathRequests(), { seed: SEED + 3, numRuns: PLAN.path }),
    ];
    // interleave the kinds, so a late failure in one kind cannot hide behind the deadline
    const queue: FuzzRequest[] = [];
    for (let i = 0; i < Math.max(...batches.map((b) => b.length)); i++) for (const batch of batches) if (batch[i]) queue.push(batch[i]!);

    const started = Date.now();
    const faults: { fault: string; method: string; path: string; headers: Record<string, string>; body?: string; status?: number; answer?: string }[] = [];
    const sent = { body: 0, headers: 0, query: 0, path: 0 };
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < queue.length && Date.now() - started < DEADLINE_MS) {
        const req = queue[next++]!;
        sent[req.kind] += 1;
        const report = { method: req.method, path: req.path.length > 300 ? `${req.path.slice(0, 300)}… (${req.path.length} chars)` : req.path, headers: req.headers, body: printable(req.body) };
        let answer: Answer;
        try {
          answer = await send(req);
        } catch (first) {
          // a kept-alive socket the server had just closed: once more on a fresh connection
          try {
            answer = await send(req);
          } catch (error) {
            faults.push({ fault: `no answer: ${(error as Error).message} (first: ${(first as Error).message})`, ...report });
            continue;
          }
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problem = fault(req, answer);
        if (problem) faults.push({ fault: problem, ...report, status: answer.status, answer: answer.text.slice(0, 300) });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    console.info(
      `fuzz: ${total} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      sent,
      Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
    );

    expect(faults.slice(0, 10), `${faults.length} faulty answers; the first ten`).toEqual([]);
    expect(total, "requests sent before the deadline").toBeGreaterThanOrEqual(2_000);
    // the fuzz reached past the gates: successes, refusals by validation, credentials, scope and conflicts all happened
    for (const status of [200, 201, 400, 401, 404, 409, 415]) expect(statuses.get(status) ?? 0, `answers with status ${status}`).toBeGreaterThan(0);
  });

  it("is still up and consistent afterwards, with no error in its log", async () => {
    expect(server.process.exitCode).toBeNull();
    expect(server.process.signalCode).toBeNull();
    const health = await api.get("/health");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: "ok" });
    const verify = await api.get(`/businesses/${businessId}/audit/verify`, { token: owner.token });
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ valid: true });
    expect(verify.body.entries).toBeGreaterThanOrEqual(3);
    // the owner is still the owner, and the key still works
    expect((await api.get(`/businesses/${businessId}`, { token: owner.token })).body.role).toBe("owner");
    expect((await api.get(`/businesses/${businessId}`, { token: apiKey })).status).toBe(200);
    const errors = server.logs.filter((line) => {
      try {
        return (JSON.parse(line) as { level?: number }).level! >= 50;
      } catch {
        return false;
      }
    });
    expect(errors).toEqual([]);
  });
});
