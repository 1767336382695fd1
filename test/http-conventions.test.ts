import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, type Client, client, createBusiness, createCustomer, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

/** The HTTP conventions at their edges: credentials, request ids, validators, limits and raw requests. */
let server: RunningServer;
let api: Client;

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
});
afterAll(async () => {
  await server.stop();
  removeDataDir(server.dataDir);
});

/** Sends `text` on a fresh connection and returns all the server answered before closing or 1 s. */
function raw(text: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((done) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk;
    });
    socket.on("close", () => done(answer));
    setTimeout(() => socket.destroy(), 1000);
  });
}

describe("credentials", () => {
  it("answers 401 with WWW-Authenticate and takes the Bearer scheme in any case", async () => {
    const missing = await api.get("/me");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="coreflow360"');
    const { token } = await registerUser(api);
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      expect((await api.get("/me", { headers: { Authorization: `${scheme} ${token}` } })).status).toBe(200);
    }
  });
});

describe("X-Request-Id", () => {
  it("keeps any id of 1–200 visible ASCII characters and replaces others", async () => {
    for (const id of ["a+b/c=", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "x".repeat(200)]) {
      expect((await api.get("/health", { headers: { "X-Request-Id": id } })).headers.get("x-request-id")).toBe(id);
    }
    for (const id of ["x".repeat(201), "has space"]) {
      const answered = (await api.get("/health", { headers: { "X-Request-Id": id } })).headers.get("x-request-id");
      expect(answered).not.toBe(id);
      expect(answered).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe("validators", () => {
  it("compares If-Match strongly and If-None-Match weakly", async () => {
    const { token } = await registerUser(api);
    const id = await createBusiness(api, token);
    const current = await api.get(`/businesses/${id}`, { token });
    const etag = current.headers.get("etag")!;
    expect((await api.get(`/businesses/${id}`, { token, headers: { "If-None-Match": `W/${etag}` } })).status).toBe(304);
    const weak = await api.patch(`/businesses/${id}`, { name: "Weak" }, { token, headers: { "If-Match": `W/${etag}` } });
    expect(weak.status).toBe(412);
    const strong = await api.patch(`/businesses/${id}`, { name: "Strong" }, { token, headers: { "If-Match": etag } });
    expect(strong.status).toBe(200);
    expect(strong.body.name).toBe("Strong");
  });
});

describe("limits", () => {
  it("takes a page size only as a whole number written in digits", async () => {
    const { token } = await registerUser(api);
    for (const limit of ["0x10", "1e1", " 10", "10.0", "+5", "0", "201"]) {
      const res = await api.get(`/businesses?limit=${encodeURIComponent(limit)}`, { token });
      expect(res.status, limit).toBe(400);
      expect(res.body.errors[0].path).toBe("query.limit");
    }
    expect((await api.get("/businesses?limit=200", { token })).status).toBe(200);
    expect((await api.get("/businesses?limit=007", { token })).status).toBe(200);
  });

  it("refuses a GET that declares a body over 1 MiB", async () => {
    const answer = await raw(`GET /api/v1/me HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024 + 1}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain("application/problem+json");
  });
});

describe("requests Node itself would answer", () => {
  it("gives a missing Host, an unknown Expect and unparseable bytes the API's error shape with a request id", async () => {
    const noHost = await raw("GET /health HTTP/1.1\r\n\r\n");
    expect(noHost).toMatch(/^HTTP\/1\.1 400 /);
    const expectation = await raw("GET /health HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n");
    expect(expectation).toMatch(/^HTTP\/1\.1 417 /);
    const garbage = await raw("GARBAGE\r\n\r\n");
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    for (const answer of [noHost, expectation, garbage]) {
      expect(answer.toLowerCase()).toContain("content-type: application/problem+json");
      expect(answer.toLowerCase()).toMatch(/x-request-id: [0-9a-f-]{36}/);
    }
  });
});

describe("request bodies", () => {
  const json = { "Content-Type": "application/json" };
  /** A business of a fresh owner. */
  async function owned() {
    const { token } = await registerUser(api);
    const base = `/businesses/${await createBusiness(api, token)}`;
    return { token, base };
  }
  function expectRefusal(res: ApiResponse, status: number) {
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  }

  it("refuses a body with any content coding but identity (415, Accept-Encoding: identity) and creates nothing", async () => {
    const { token, base } = await owned();
    const body = JSON.stringify({ name: "Coded Ltd" });
    const codings: [string, string | Uint8Array<ArrayBuffer>][] = [
      ["gzip", gzipSync(body)],
      // plain bytes under a coding they are not in: parsed as if plain, they would be taken
      ["gzip", body],
      ["br", body],
      ["deflate", body],
      ["x-anything", body],
      ["GZIP", body],
      ["identity, gzip", body],
    ];
    for (const [coding, rawBody] of codings) {
      const res = await api.request("POST", `${base}/companies`, { token, rawBody, headers: { ...json, "Content-Encoding": coding } });
      expectRefusal(res, 415);
      expect(res.headers.get("accept-encoding"), coding).toBe("identity");
      expect(res.body.detail).toContain("identity");
    }
    expect((await api.get(`${base}/companies`, { token })).body.data).toEqual([]);

    const identity = await api.request("POST", `${base}/companies`, { token, rawBody: body, headers: { ...json, "Content-Encoding": "identity" } });
    expect(identity.status, identity.text).toBe(201);
    // no body, nothing coded: the header is ignored (README, HTTP conventions)
    expect((await api.get(`${base}/companies`, { token, headers: { "Content-Encoding": "gzip" } })).body.data).toHaveLength(1);
  });

  it("refuses a JSON body that is not valid UTF-8 (400 naming body) and creates nothing, on agent routes too", async () => {
    const { token, base } = await owned();
    // {"name":"<0xff>"}: a lenient decoder would store U+FFFD in its place
    const company = Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]);
    const task = Buffer.concat([Buffer.from('{"agent":"assistant","input":{"question":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    for (const [path, rawBody] of [[`${base}/companies`, company], [`${base}/agent-tasks`, task]] as const) {
      const res = await api.request("POST", path, { token, rawBody, headers: json });
      expectRefusal(res, 400);
      expect(res.body.errors, path).toEqual([{ path: "body", message: "not valid UTF-8" }]);
    }
    expect((await api.get(`${base}/companies`, { token })).body.data).toEqual([]);
    expect((await api.get(`${base}/agent-tasks`, { token })).body.data).toEqual([]);

    // U+FFFD itself, sent as its valid UTF-8 bytes, is text like any other
    const replacement = await api.post(`${base}/companies`, { name: "\uFFFD Ltd" }, { token });
    expect(replacement.status, replacement.text).toBe(201);
    expect(replacement.body.name).toBe("\uFFFD Ltd");
  });

  it("takes an empty body declared as JSON as no body where the body is optional, and refuses it where it is required", async () => {
    const { token, base } = await owned();
    const empty = (method: string, path: string) => api.request(method, path, { token, rawBody: "", headers: json });
    const invoice = await api.post(
      `${base}/invoices`,
      {
        customerId: await createCustomer(api, token, base.slice("/businesses/".length)),
        currency: "USD",
        issueDate: "2026-03-01",
        dueDate: "2026-03-31",
        lines: [{ description: "Work", quantity: "1", unitPrice: 1000, taxRate: "0" }],
      },
      { token },
    );
    expect(invoice.status, invoice.text).toBe(201);
    const issued = await empty("POST", `${base}/invoices/${invoice.body.id}/issue`);
    expect(issued.status, issued.text).toBe(200);
    expect(issued.body).toMatchObject({ status: "issued", number: "INV-000001" });
    const payment = await api.post(`${base}/payments`, { invoiceId: invoice.body.id, amount: 100, date: "2026-03-01" }, { token });
    expect(payment.status, payment.text).toBe(201);
    const paymentVoided = await empty("POST", `${base}/payments/${payment.body.id}/void`);
    expect(paymentVoided.status, paymentVoided.text).toBe(200);
    const voided = await empty("POST", `${base}/invoices/${invoice.body.id}/void`);
    expect(voided.status, voided.text).toBe(200);
    expect(voided.body.status).toBe("void");
    const accounts = (await api.get(`${base}/accounts?limit=200`, { token })).body.data as { id: string; systemKey: string | null }[];
    const account = (key: string) => accounts.find((a) => a.systemKey === key)!.id;
    const entry = await api.post(
      `${base}/journal-entries`,
      { date: "2026-03-01", lines: [{ accountId: account("cash"), debit: 100, credit: 0 }, { accountId: account("equity"), debit: 0, credit: 100 }] },
      { token },
    );
    expect(entry.status, entry.text).toBe(201);
    const reversed = await empty("POST", `${base}/journal-entries/${entry.body.id}/reverse`);
    expect(reversed.status, reversed.text).toBe(201);

    const create = await empty("POST", `${base}/companies`);
    expectRefusal(create, 400);
    expect(create.body.errors).toEqual([{ path: "body", message: "not valid JSON" }]);
    // a PATCH whose every field is optional still needs a body: an empty one is not `{}`
    const business = await api.get(base, { token });
    const patch = await api.request("PATCH", base, { token, rawBody: "", headers: { ...json, "If-Match": business.headers.get("etag")! } });
    expectRefusal(patch, 400);
    expect((await api.get(`${base}/companies`, { token })).body.data).toHaveLength(1);
  });
});
