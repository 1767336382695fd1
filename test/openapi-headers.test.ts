/**
 * The OpenAPI document lists the headers the API honours and sends (src/http/openapi-headers.ts): read in the
 * document for the routes where they matter, and held against the running server — every operation is called
 * with Idempotency-Key, If-Match, If-None-Match, Last-Event-ID and X-Request-Id, and the document must list
 * each exactly where the server acted on it, and ETag exactly where the server sent one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

type Json = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  op: Json;
}

const METHODS = ["get", "put", "post", "patch", "delete"];
/** A key idempotencyGate refuses (a space is not visible ASCII), so a write it gates never runs. */
const BAD_KEY = "not valid";
/** Bodies of the writes that refuse `{}`, so that their request gets past validation to If-Match. */
const BODIES: Record<string, unknown> = {
  "PATCH /businesses/{businessId}/ledger-settings": { lockDate: null },
  "PATCH /businesses/{businessId}/members/{userId}": { role: "owner" },
};

let server: RunningServer;
let api: Client;
let doc: Json;
let operations: Operation[];
let token: string;
let B: string;
/** A real value for every path parameter of the document. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  const answer = await api.get("/openapi.json");
  expect(answer.status).toBe(200);
  doc = answer.body;
  operations = Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ method: method.toUpperCase(), path, op: item[method] })),
  );

  const owner = await registerUser(api, "Headers Owner");
  token = owner.token;
  ids.userId = owner.userId;
  ids.businessId = await createBusiness(api, token, "Headers Co");
  B = `/businesses/${ids.businessId}`;
  const made = async (path: string, body: unknown) => {
    const res = await api.post(`${B}${path}`, body, { token });
    expect(res.status, `${path}: ${res.text}`).toBeLessThan(300);
    return res.body.id as string;
  };
  ids.keyId = await made("/api-keys", { name: "integration", role: "viewer" });
  ids.companyId = await made("/companies", { name: "Customer Ltd" });
  ids.contactId = await made("/contacts", { firstName: "Ada", lastName: "Lovelace", companyId: ids.companyId });
  ids.leadId = await made("/leads", { title: "A lead", status: "new" });
  ids.dealId = await made("/deals", { name: "A deal" });
  ids.activityId = await made("/activities", { type: "note", subject: "A note" });
  ids.pipelineId = (await api.get(`${B}/pipelines`, { token })).body.data[0].id;
  ids.accountId = await made("/accounts", { code: "6999", name: "Probes", type: "expense" });
  const cash = (await api.get(`${B}/accounts?limit=200`, { token })).body.data.find((a: Json) => a.systemKey === "cash").id;
  ids.entryId = await made("/journal-entries", { date: "2025-01-15", lines: [{ accountId: ids.accountId, debit: 100, credit: 0 }, { accountId: cash, debit: 0, credit: 100 }] });
  ids.invoiceId = await made("/invoices", {
    customerId: ids.companyId,
    currency: "USD",
    issueDate: "2025-01-01",
    dueDate: "2025-02-01",
    lines: [{ description: "Work", quantity: "1", unitPrice: 10_000, taxRate: "0" }],
  });
  expect((await api.post(`${B}/invoices/${ids.invoiceId}/issue`, undefined, { token })).status).toBe(200);
  ids.paymentId = await made("/payments", { invoiceId: ids.invoiceId, amount: 1_000, date: "2025-01-10" });
  ids.agentId = "lead-scoring";
  // a scoring of the new lead files a proposal: the task and the approval
  ids.taskId = await made("/agent-tasks", { agent: "lead-scoring" });
  const deadline = Date.now() + 15_000;
  while ((await api.get(`${B}/agent-tasks/${ids.taskId}`, { token })).body.status !== "awaiting_approval") {
    expect(Date.now(), "the scoring task did not file its proposal").toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  ids.approvalId = (await api.get(`${B}/approvals?taskId=${ids.taskId}`, { token })).body.data[0].id;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

/** The object a local reference points to, or undefined. */
function pointer(ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  return ref
    .slice(2)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce<any>((node, key) => (node !== null && typeof node === "object" ? node[key] : undefined), doc);
}

const deref = (node: Json): Json => (typeof node.$ref === "string" ? (pointer(node.$ref) as Json) : node);
const find = (method: string, path: string): Operation => {
  const found = operations.find((o) => o.method === method && o.path === path);
  if (!found) throw new Error(`${method} ${path} is not in the document`);
  return found;
};
/** The header parameters an operation lists, by name. */
const headerParams = (o: Operation): string[] => (o.op.parameters ?? []).map(deref).filter((p: Json) => p.in === "header").map((p: Json) => p.name);
/** The headers the document gives the answer of this status. */
const responseHeaders = (o: Operation, status: number | string): string[] => Object.keys(o.op.responses[String(status)]?.headers ?? {});
const describe_ = (o: Operation) => `${o.method} ${o.path}`;

function urlOf(o: Operation): string {
  const path = o.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (!ids[name]) throw new Error(`no value for the path parameter ${name} of ${describe_(o)}: add one to the setup`);
    return encodeURIComponent(ids[name]);
  });
  const query = (o.op.parameters ?? []).filter((p: Json) => p.in === "query" && p.required).map((p: Json) => `${p.name}=${encodeURIComponent(p.schema.example)}`);
  return query.length > 0 ? `${path}?${query.join("&")}` : path;
}

/** The answer agrees with the document: its status is declared, and ETag is listed for it exactly when it was sent. */
function expectDocumented(o: Operation, res: ApiResponse, requestId: string): void {
  const context = `${describe_(o)} → ${res.status} ${res.text.slice(0, 200)}`;
  expect(Object.keys(o.op.responses), context).toContain(String(res.status));
  expect(res.headers.get("x-request-id"), context).toBe(requestId);
  expect(responseHeaders(o, res.status), context).toEqual(expect.arrayContaining(["X-Request-Id", "Server-Timing"]));
  expect(responseHeaders(o, res.status).includes("ETag"), `${context}: ETag ${res.headers.get("etag")}`).toBe(res.headers.get("etag") !== null);
}

const errorPath = (res: ApiResponse): string | undefined => res.body?.errors?.[0]?.path;

describe("the document", () => {
  it("lists Idempotency-Key on the POSTs of a business, and nowhere else", () => {
    expect(headerParams(find("POST", "/businesses/{businessId}/payments"))).toContain("Idempotency-Key");
    expect(headerParams(find("POST", "/businesses/{businessId}/invoices/{invoiceId}/issue"))).toContain("Idempotency-Key");
    for (const [method, path] of [
      ["POST", "/auth/login"],
      ["POST", "/auth/register"],
      ["POST", "/businesses"],
      ["POST", "/exchange-rates"],
      ["PATCH", "/businesses/{businessId}/companies/{companyId}"],
      ["DELETE", "/businesses/{businessId}/companies/{companyId}"],
      ["GET", "/businesses/{businessId}/payments"],
    ] as const) {
      expect(headerParams(find(method, path)), `${method} ${path}`).not.toContain("Idempotency-Key");
    }
    const key = doc.components.parameters["Idempotency-Key"];
    expect(key).toMatchObject({ in: "header", required: false, schema: { minLength: 1, maxLength: 255 } });
    expect(new RegExp(key.schema.pattern).test("a".repeat(255))).toBe(true);
    expect(new RegExp(key.schema.pattern).test(BAD_KEY)).toBe(false);
  });

  it("lists If-Match on PATCH and DELETE, and the ETag of the answer", () => {
    const patch = find("PATCH", "/businesses/{businessId}/companies/{companyId}");
    expect(headerParams(patch)).toContain("If-Match");
    expect(responseHeaders(patch, 200)).toContain("ETag");
    expect(headerParams(find("DELETE", "/businesses/{businessId}/api-keys/{keyId}"))).toContain("If-Match");
    expect(headerParams(find("POST", "/businesses/{businessId}/companies"))).not.toContain("If-Match");
    expect(responseHeaders(find("POST", "/businesses/{businessId}/companies"), 201)).toContain("ETag");
  });

  it("lists If-None-Match and the 304 on single resources, not on lists", () => {
    const one = find("GET", "/businesses/{businessId}/companies/{companyId}");
    expect(headerParams(one)).toContain("If-None-Match");
    expect(responseHeaders(one, 200)).toContain("ETag");
    expect(responseHeaders(one, 304)).toContain("ETag");
    const list = find("GET", "/businesses/{businessId}/companies");
    expect(headerParams(list)).not.toContain("If-None-Match");
    expect(responseHeaders(list, 200)).not.toContain("ETag");
  });

  it("lists Last-Event-ID on the event stream only", () => {
    expect(headerParams(find("GET", "/businesses/{businessId}/events"))).toContain("Last-Event-ID");
    const others = operations.filter((o) => headerParams(o).includes("Last-Event-ID")).map(describe_);
    expect(others).toEqual(["GET /businesses/{businessId}/events"]);
  });

  it("lists X-Request-Id on every operation, X-Request-Id and Server-Timing on every answer, Retry-After on every 429", () => {
    expect(operations.length).toBeGreaterThan(100);
    let limited = 0;
    for (const o of operations) {
      expect(headerParams(o), describe_(o)).toContain("X-Request-Id");
      for (const status of Object.keys(o.op.responses)) {
        expect(responseHeaders(o, status), `${describe_(o)} ${status}`).toEqual(expect.arrayContaining(["X-Request-Id", "Server-Timing"]));
        if (status === "429") {
          expect(responseHeaders(o, status), describe_(o)).toContain("Retry-After");
          limited += 1;
        }
      }
    }
    expect(limited).toBeGreaterThan(100);
    expect(responseHeaders(find("POST", "/auth/login"), 429)).toContain("Retry-After");
    // no limit applies to the other public routes: only sign-in failures and credentials are counted
    for (const path of ["/auth/register", "/auth/refresh", "/auth/logout"]) expect(Object.keys(find("POST", path).op.responses), path).not.toContain("429");
  });

  it("lists Idempotent-Replayed on the answers a key can replay: successes and refusals by the business rules", () => {
    const payments = find("POST", "/businesses/{businessId}/payments");
    for (const status of [201, 404, 409, 422]) expect(responseHeaders(payments, status), String(status)).toContain("Idempotent-Replayed");
    for (const status of [401, 413, 415, 429]) expect(responseHeaders(payments, status), String(status)).not.toContain("Idempotent-Replayed");
    expect(responseHeaders(find("PATCH", "/businesses/{businessId}/companies/{companyId}"), 200)).not.toContain("Idempotent-Replayed");
  });

  // the routes whose only parameter is the business's are registered without its run-time check
  // (skipCheckOfAdmittedBusiness): their document must still declare it
  it("declares every parameter of every path, required, as a path parameter", () => {
    const missing: string[] = [];
    for (const o of operations) {
      const declared = (o.op.parameters ?? []).map(deref).filter((p: Json) => p.in === "path" && p.required === true);
      for (const [, name] of o.path.matchAll(/\{([^}]+)\}/g)) {
        if (!declared.some((p: Json) => p.name === name)) missing.push(`${describe_(o)}: ${name}`);
      }
    }
    expect(operations.filter((o) => o.path.includes("{businessId}")).length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it("resolves every $ref inside itself", () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === "object") {
        for (const [key, value] of Object.entries(node)) {
          if (key === "$ref" && typeof value === "string") refs.push(value);
          else walk(value);
        }
      }
    };
    walk(doc);
    expect(refs).toContain("#/components/parameters/Idempotency-Key");
    expect(refs).toContain("#/components/headers/ETag");
    const broken = [...new Set(refs)].filter((ref) => pointer(ref) === undefined);
    expect(broken).toEqual([]);
  });
});

describe("the document against the server, for every operation", () => {
  it("lists Idempotency-Key exactly where a malformed key is refused, and If-Match exactly where a stale one is", async () => {
    const writes = operations.filter((o) => o.method !== "GET");
    expect(writes.length).toBeGreaterThan(50);
    for (const [i, o] of writes.entries()) {
      const requestId = `probe-write-${i}`;
      // nothing runs: a gated POST stops at the key, a PATCH or DELETE at the stale version, any other write at its body
      const res = await api.request(o.method, urlOf(o), {
        token,
        body: o.method === "DELETE" ? undefined : (BODIES[describe_(o)] ?? {}),
        headers: { "Idempotency-Key": BAD_KEY, "If-Match": '"stale"', "X-Request-Id": requestId },
      });
      expectDocumented(o, res, requestId);
      const params = headerParams(o);
      const context = `${describe_(o)} → ${res.status} ${res.text.slice(0, 200)}`;
      expect(res.status === 400 && errorPath(res) === "header.Idempotency-Key", context).toBe(params.includes("Idempotency-Key"));
      if (!params.includes("Idempotency-Key")) expect(res.status === 412, context).toBe(params.includes("If-Match"));
    }
  });

  it("lists If-None-Match exactly where a GET answers 304, Last-Event-ID where a bad one is refused, ETag where one is sent", async () => {
    const reads = operations.filter((o) => o.method === "GET");
    expect(reads.length).toBeGreaterThan(50);
    for (const [i, o] of reads.entries()) {
      const requestId = `probe-read-${i}`;
      const res = await api.get(urlOf(o), { token, headers: { "If-None-Match": "*", "Last-Event-ID": "abc", "X-Request-Id": requestId } });
      expectDocumented(o, res, requestId);
      const params = headerParams(o);
      const context = `${describe_(o)} → ${res.status} ${res.text.slice(0, 200)}`;
      if (params.includes("Last-Event-ID")) {
        expect(res.status, context).toBe(400);
        expect(errorPath(res), context).toBe("header.Last-Event-ID");
        continue;
      }
      expect(res.status, context).toBe(params.includes("If-None-Match") ? 304 : 200);
      // and without the condition: the representation, with the ETag the document says
      const plain = await api.get(urlOf(o), { token, headers: { "X-Request-Id": `${requestId}-plain` } });
      expect(plain.status, `${describe_(o)} → ${plain.status} ${plain.text.slice(0, 200)}`).toBe(200);
      expectDocumented(o, plain, `${requestId}-plain`);
    }
  });
});

describe("the document against the server, for answers to writes", () => {
  const replayed = (res: ApiResponse) => res.headers.get("idempotent-replayed");

  it("lists ETag and Idempotent-Replayed on a payment and its replay, and on a refusal and its replay", async () => {
    const o = find("POST", "/businesses/{businessId}/payments");
    const pay = { invoiceId: ids.invoiceId, amount: 500, date: "2025-01-11" };
    const headers = { "Idempotency-Key": "pay-1", "X-Request-Id": "pay-1" };
    const first = await api.post(`${B}/payments`, pay, { token, headers });
    expect(first.status, first.text).toBe(201);
    expectDocumented(o, first, "pay-1");
    expect(replayed(first)).toBeNull();
    const again = await api.post(`${B}/payments`, pay, { token, headers });
    expect(again.status).toBe(201);
    expectDocumented(o, again, "pay-1");
    expect(replayed(again)).toBe("true");
    expect(responseHeaders(o, 201)).toContain("Idempotent-Replayed");

    const over = { ...pay, amount: 1_000_000 };
    const refusal = { "Idempotency-Key": "pay-2", "X-Request-Id": "pay-2" };
    expect((await api.post(`${B}/payments`, over, { token, headers: refusal })).status).toBe(422);
    const refusedAgain = await api.post(`${B}/payments`, over, { token, headers: refusal });
    expect(refusedAgain.status).toBe(422);
    expectDocumented(o, refusedAgain, "pay-2");
    expect(replayed(refusedAgain)).toBe("true");
    expect(responseHeaders(o, 422)).toContain("Idempotent-Replayed");
  });

  it("lists ETag on the answers of writes that send one, and not on those that do not", async () => {
    const cases: [Operation, () => Promise<ApiResponse>][] = [
      [find("POST", "/businesses"), () => api.post("/businesses", { name: "Second", baseCurrency: "EUR" }, { token, headers: { "X-Request-Id": "w" } })],
      [find("POST", "/businesses/{businessId}/companies/import"), () => api.post(`${B}/companies/import`, { csv: "name\nDry Ltd\n", dryRun: true }, { token, headers: { "X-Request-Id": "w" } })],
      [find("POST", "/businesses/{businessId}/companies/import"), () => api.post(`${B}/companies/import`, { csv: "name\nWet Ltd\n" }, { token, headers: { "X-Request-Id": "w" } })],
      [find("POST", "/businesses/{businessId}/agent-tasks"), () => api.post(`${B}/agent-tasks`, { agent: "audit-check" }, { token, headers: { "X-Request-Id": "w" } })],
      [find("PATCH", "/businesses/{businessId}/contacts/{contactId}"), () => api.patch(`${B}/contacts/${ids.contactId}`, { lastName: "Byron" }, { token, headers: { "X-Request-Id": "w" } })],
      [find("POST", "/exchange-rates"), () => api.post("/exchange-rates", { base: "USD", quote: "EUR", date: "2025-01-01", rate: "0.9" }, { token, headers: { "X-Request-Id": "w" } })],
    ];
    const statuses: number[] = [];
    for (const [o, send] of cases) {
      const res = await send();
      expect(res.status, `${describe_(o)}: ${res.text}`).toBeLessThan(300);
      expectDocumented(o, res, "w");
      statuses.push(res.status);
    }
    // each kind of answer was met: a creation, a dry run, an import, a task queued, an update, a rate outside a business
    expect(statuses).toEqual([201, 200, 201, 202, 200, 201]);
  });
});
