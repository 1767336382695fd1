import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;

beforeAll(async () => {
  server = await startServer({ env: { SSE_HEARTBEAT_MS: "200" } });
  api = client(server.url);
});
afterAll(async () => {
  await server.stop();
  removeDataDir(server.dataDir);
});

/** POSTs `rawBody` as sent (declared JSON) to a business's companies under an Idempotency-Key. */
const postCompanyRaw = (token: string, businessId: string, rawBody: string, key: string) =>
  api.request("POST", `/businesses/${businessId}/companies`, { token, rawBody, headers: { "Content-Type": "application/json", "Idempotency-Key": key } });

describe("audit chain", () => {
  it("records every change with actor, action, target and fields, and verifies", async () => {
    const owner = await registerUser(api);
    const member = await registerUser(api);
    const id = await createBusiness(api, owner.token, "Audited");
    await api.patch(`/businesses/${id}`, { name: "Audited Ltd" }, { token: owner.token });
    await api.post(`/businesses/${id}/members`, { email: member.email, role: "sales" }, { token: owner.token });
    await api.patch(`/businesses/${id}/members/${member.userId}`, { role: "viewer" }, { token: owner.token });

    const audit = await api.get(`/businesses/${id}/audit`, { token: owner.token });
    expect(audit.status).toBe(200);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual([
      "business.created",
      "member.added",
      "business.updated",
      "member.added",
      "member.role_changed",
    ]);
    const renamed = audit.body.data[2];
    expect(renamed).toMatchObject({ actorType: "user", actorId: owner.userId, targetType: "business", targetId: id });
    expect(renamed.changes).toEqual({ name: { from: "Audited", to: "Audited Ltd" } });
    expect(audit.body.data[1].hash).toBe(audit.body.data[2].prevHash);

    const verify = await api.get(`/businesses/${id}/audit/verify`, { token: owner.token });
    expect(verify.body).toEqual({ valid: true, entries: 5 });
  });

  it("detects tampering done behind the server's back", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token, "Tamper");
    await api.patch(`/businesses/${id}`, { name: "Tamper 2" }, { token: owner.token });
    const db = new Database(join(server.dataDir, "businesses", `${id}.db`));
    // the triggers refuse edits; an attacker with file access drops them first
    expect(() => db.prepare("UPDATE audit_log SET actor_id = 'someone' WHERE seq = 1").run()).toThrow(/append-only/);
    db.exec("DROP TRIGGER audit_log_is_append_only_update");
    db.prepare("UPDATE audit_log SET changes = '{}' WHERE seq = 3").run();
    db.close();
    const verify = await api.get(`/businesses/${id}/audit/verify`, { token: owner.token });
    expect(verify.body).toMatchObject({ valid: false, firstInvalidSeq: 3 });
  });
});

describe("Idempotency-Key", () => {
  it("replays the first response for the same body and refuses a different body with 409", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const headers = { "Idempotency-Key": "create-key-1" };
    const first = await api.post(`/businesses/${id}/api-keys`, { name: "ci", role: "viewer" }, { token: owner.token, headers });
    const again = await api.post(`/businesses/${id}/api-keys`, { name: "ci", role: "viewer" }, { token: owner.token, headers });
    expect(first.status).toBe(201);
    expect(first.body.key).toMatch(/^cf_key_/);
    expect(again.status).toBe(201);
    // the same answer, but the secret is shown once: it is never stored for a repeat
    expect(again.body).toEqual({ ...first.body, key: null });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const different = await api.post(`/businesses/${id}/api-keys`, { name: "other", role: "viewer" }, { token: owner.token, headers });
    expect(different.status).toBe(409);
    const keys = await api.get(`/businesses/${id}/api-keys`, { token: owner.token });
    expect(keys.body.data).toHaveLength(1);
  });

  it("takes a repeat whose JSON differs only in key order and spacing as the same request", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const post = (rawBody: string) => postCompanyRaw(owner.token, id, rawBody, "reordered");
    const first = await post('{"name":"Ordered","tags":["b","a"],"domain":"ordered.example"}');
    const again = await post('{ "domain": "ordered.example",\n  "tags": [ "b", "a" ], "name": "Ordered" }');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    // an array's order is part of the document: another request under the same key
    const otherOrder = await post('{"name":"Ordered","tags":["a","b"],"domain":"ordered.example"}');
    expect(otherOrder.status).toBe(409);
    const companies = await api.get(`/businesses/${id}/companies`, { token: owner.token });
    expect(companies.body.data.map((c: { name: string }) => c.name)).toEqual(["Ordered"]);
  });

  it("refuses a body nested 50,000 deep under a key with a 400 (its hash stays bounded), not a 500", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const refused = await postCompanyRaw(owner.token, id, `${"[".repeat(50_000)}${"]".repeat(50_000)}`, "deep");
    expect(refused.status).toBe(400);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
  });

  it("still replays a record kept before bodies were hashed as documents, for the same bytes", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const sent = '{"name":"Kept","domain":"kept.example"}';
    const post = (rawBody: string) => postCompanyRaw(owner.token, id, rawBody, "kept");
    expect((await post(sent)).status).toBe(201);
    // the record as the server kept it until then: the hash of the bytes as sent
    const db = new Database(join(server.dataDir, "businesses", `${id}.db`));
    const changed = db.prepare("UPDATE idempotency_records SET body_hash = ? WHERE key = 'kept'").run(createHash("sha256").update(sent).digest("hex")).changes;
    db.close();
    expect(changed).toBe(1);
    const again = await post(sent);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await post('{"domain":"kept.example","name":"Kept"}')).status).toBe(409);
  });

  it("looks a key up before validation, also one used before a restart: another body under it is a 409 even when invalid", async () => {
    let own = await startServer();
    try {
      let ownApi = client(own.url);
      const owner = await registerUser(ownApi);
      const id = await createBusiness(ownApi, owner.token);
      const post = (body: unknown, key: string) => ownApi.post(`/businesses/${id}/companies`, body, { token: owner.token, headers: { "Idempotency-Key": key } });
      expect((await post({ name: "Before" }, "used-before")).status).toBe(201);
      // a body validation refuses, under a used key and a new one
      expect((await post({ name: 5 }, "used-before")).status).toBe(409);
      expect((await post({ name: 5 }, "never-used")).status).toBe(400);
      await own.stop();
      own = await startServer({ dataDir: own.dataDir });
      ownApi = client(own.url);
      expect((await post({ name: 5 }, "used-before")).status).toBe(409);
      expect((await post({ name: 5 }, "never-used")).status).toBe(400);
      const again = await post({ name: "Before" }, "used-before");
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect((await ownApi.get(`/businesses/${id}/companies`, { token: owner.token })).body.data).toHaveLength(1);
    } finally {
      await own.stop();
      removeDataDir(own.dataDir);
    }
  });

  it("answers a repeat with the first answer's ETag", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const headers = { "Idempotency-Key": "company-etag" };
    const first = await api.post(`/businesses/${id}/companies`, { name: "Tagged" }, { token: owner.token, headers });
    const again = await api.post(`/businesses/${id}/companies`, { name: "Tagged" }, { token: owner.token, headers });
    expect(first.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(again.text).toBe(first.text);
  });

  it("keeps a refusal inside the write as the key's answer, even after the state has changed", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const email = `later-${Date.now()}@example.com`;
    const headers = { "Idempotency-Key": "add-later" };
    const first = await api.post(`/businesses/${id}/members`, { email, role: "viewer" }, { token: owner.token, headers });
    expect(first.status).toBe(422);
    expect(first.headers.get("content-type")).toContain("application/problem+json");
    // the person registers: the same request without the key would now succeed
    await api.post("/auth/register", { email, password: "correct horse battery staple", name: "Later" });
    const again = await api.post(`/businesses/${id}/members`, { email, role: "viewer" }, { token: owner.token, headers });
    expect(again.status).toBe(422);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("content-type")).toContain("application/problem+json");
    expect(again.body).toEqual(first.body);
    const members = await api.get(`/businesses/${id}/members`, { token: owner.token });
    expect(members.body.data.map((m: { email: string }) => m.email)).not.toContain(email);
    // a new key is a new request
    const fresh = await api.post(`/businesses/${id}/members`, { email, role: "viewer" }, { token: owner.token, headers: { "Idempotency-Key": "add-now" } });
    expect(fresh.status).toBe(201);
  });

  it("removes expired records a few at a time as new ones are stored", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const db = new Database(join(server.dataDir, "businesses", `${id}.db`));
    try {
      // three records older than the 24 h retention, as if left by yesterday's requests
      const old = Date.now() - 25 * 60 * 60 * 1000;
      const insert = db.prepare("INSERT INTO idempotency_records VALUES (?, ?, 'POST', '/x', 'h', 201, '{}', ?)");
      for (const key of ["old-1", "old-2", "old-3"]) insert.run(`user:${owner.userId}`, key, old);
      const count = () => (db.prepare("SELECT count(*) AS n FROM idempotency_records WHERE created_ms < ?").get(Date.now() - 60_000) as { n: number }).n;
      expect(count()).toBe(3);
      // 16 stored responses in one business make at least one sweep
      for (let i = 0; i < 16; i++) {
        const res = await api.post(`/businesses/${id}/companies`, { name: `Swept ${i}` }, { token: owner.token, headers: { "Idempotency-Key": `sweep-${i}` } });
        expect(res.status).toBe(201);
      }
      expect(count()).toBe(0);
      expect((db.prepare("SELECT count(*) AS n FROM idempotency_records").get() as { n: number }).n).toBe(16);
    } finally {
      db.close();
    }
  });

  it("applies a burst of concurrent repeats exactly once", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const headers = { "Idempotency-Key": "burst" };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => api.post(`/businesses/${id}/api-keys`, { name: "burst", role: "sales" }, { token: owner.token, headers })),
    );
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    // one answer shows the secret; every repeat is that answer without it
    const [shown, ...repeats] = [...results].sort((a, b) => (a.body.key === null ? 1 : 0) - (b.body.key === null ? 1 : 0));
    expect(shown!.body.key).toMatch(/^cf_key_/);
    for (const repeat of repeats) expect(repeat.body).toEqual({ ...shown!.body, key: null });
    expect((await api.get(`/businesses/${id}/api-keys`, { token: owner.token })).body.data).toHaveLength(1);
    const audit = await api.get(`/businesses/${id}/audit`, { token: owner.token });
    expect(audit.body.data.filter((e: { action: string }) => e.action === "api_key.created")).toHaveLength(1);
  });
});

describe("HTTP conventions", () => {
  it("sends X-Request-Id, Server-Timing with statement counts, and security headers", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const res = await api.get(`/businesses/${id}`, { token: owner.token, headers: { "X-Request-Id": "trace-123" } });
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    expect(res.headers.get("server-timing")).toMatch(/db;dur=[\d.]+;desc="\d+ statements"/);
    // an API answer: OWASP's REST set, none of the headers that only mean something for a rendered page
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=\d+; includeSubDomains$/);
    for (const pageOnly of ["referrer-policy", "cross-origin-opener-policy", "x-xss-protection", "x-download-options"]) {
      expect(res.headers.get(pageOnly), pageOnly).toBeNull();
    }
    expect((await api.get("/health")).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    // the API reference, a page: its own content policy (its script and styles) and the document headers too
    const page = await fetch(`${server.url}/api/docs`);
    await page.text();
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("content-security-policy")?.match(/default-src/g)).toHaveLength(1);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
  });

  it("answers malformed JSON 400, non-JSON 415 and huge bodies 413, all as problem+json", async () => {
    const owner = await registerUser(api);
    const malformed = await api.request("POST", "/businesses", { token: owner.token, rawBody: "{nope", headers: { "Content-Type": "application/json" } });
    expect(malformed.status).toBe(400);
    const text = await api.request("POST", "/businesses", { token: owner.token, rawBody: "name=x", headers: { "Content-Type": "text/plain" } });
    expect(text.status).toBe(415);
    const huge = await api.request("POST", "/businesses", {
      token: owner.token,
      rawBody: JSON.stringify({ name: "x".repeat(1024 * 1024 + 10), baseCurrency: "USD" }),
      headers: { "Content-Type": "application/json" },
    });
    expect(huge.status).toBe(413);
    for (const res of [malformed, text, huge]) expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect((await api.get("/businesses", { token: owner.token })).body.data).toEqual([]);
  });

  it("serves health, metrics, the OpenAPI document and the docs page", async () => {
    expect((await api.get("/health")).body).toEqual({ status: "ok" });
    const metrics = await api.get("/metrics");
    expect(metrics.text).toContain("coreflow_http_requests_total");
    expect(metrics.text).toContain("coreflow_event_loop_lag_p99_seconds");
    expect(metrics.text).toContain("coreflow_business_handles_open");
    // earlier tests in this file signed in and read businesses: the session cache has answered some
    const hits = Number(metrics.text.match(/^coreflow_cache_hits_total\{cache="sessions"\} (\d+)$/m)?.[1]);
    expect(hits).toBeGreaterThan(0);
    expect(metrics.text).toMatch(/^coreflow_cache_misses_total\{cache="memberships"\} [1-9]\d*$/m);
    const doc = await api.get("/openapi.json");
    expect(doc.body.openapi).toBe("3.1.0");
    expect(Object.keys(doc.body.paths)).toContain("/businesses/{businessId}/members/{userId}");
    const page = await api.get("/api/docs");
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/https?:\/\/(?!coreflow360\.dev)/);
  });
});

describe("event stream", () => {
  it("delivers committed changes live, with ids, and resumes after Last-Event-ID", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/v1/businesses/${id}/events`, {
      headers: { Authorization: `Bearer ${owner.token}` },
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const readUntil = async (predicate: (text: string) => boolean) => {
      while (!predicate(buffer)) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value);
      }
    };
    // the two creation events are already in the log
    await readUntil((t) => (t.match(/^id: /gm) ?? []).length >= 2);
    await api.patch(`/businesses/${id}`, { name: "Live" }, { token: owner.token });
    await readUntil((t) => t.includes("event: business.updated"));
    await readUntil((t) => t.includes(": heartbeat"));
    controller.abort();
    const ids = [...buffer.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([1, 2, 3]);

    const resumed = await fetch(`${server.url}/api/v1/businesses/${id}/events`, {
      headers: { Authorization: `Bearer ${owner.token}`, "Last-Event-ID": "2" },
    });
    const resumedReader = resumed.body!.getReader();
    let text = "";
    while (!text.includes("id: 3")) text += decoder.decode((await resumedReader.read()).value);
    await resumedReader.cancel();
    expect(text).not.toContain("id: 2\n");
    expect(text).toContain('"name":{"from":"Acme","to":"Live"}');
  });
});

describe("CORS", () => {
  it("answers preflights only for configured origins", async () => {
    const corsServer = await startServer({ env: { CORS_ORIGINS: "https://app.example.com" } });
    try {
      const preflight = (origin: string) =>
        fetch(`${corsServer.url}/api/v1/businesses`, {
          method: "OPTIONS",
          headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,idempotency-key" },
        });
      const allowed = await preflight("https://app.example.com");
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(allowed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("idempotency-key");
      const other = await preflight("https://evil.example.com");
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await corsServer.stop();
      removeDataDir(corsServer.dataDir);
    }
    // without CORS_ORIGINS no cross-origin access is granted at all
    const plain = await fetch(`${server.url}/api/v1/businesses`, { headers: { Origin: "https://app.example.com" } });
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
  });
});
