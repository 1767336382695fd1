import { decodeJwt, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startServer({ env: { LOGIN_FAILURES_PER_ACCOUNT: "3", LOGIN_FAILURES_PER_ADDRESS: "1000" } });
  api = client(server.url);
});
afterAll(async () => {
  await server.stop();
  removeDataDir(server.dataDir);
});

describe("register, login, me", () => {
  it("registers, signs in and shows the user with no memberships", async () => {
    const email = `Ada.${Date.now()}@Example.com`;
    const reg = await api.post("/auth/register", { email, password: "a long passphrase", name: "Ada" });
    expect(reg.status).toBe(201);
    expect(reg.body.user.email).toBe(email.toLowerCase());
    expect(reg.body.expiresIn).toBe(900);
    expect(typeof reg.body.refreshToken).toBe("string");
    expect(JSON.stringify(reg.body)).not.toContain("password");

    const login = await api.post("/auth/login", { email, password: "a long passphrase" });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(reg.body.user.id);

    const me = await api.get("/me", { token: login.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: reg.body.user, memberships: [] });
  });

  it("refuses a duplicate email with 409 and changes nothing", async () => {
    const user = await registerUser(api);
    const again = await api.post("/auth/register", { email: user.email.toUpperCase(), password: "another passphrase", name: "X" });
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toContain("application/problem+json");
    const login = await api.post("/auth/login", { email: user.email, password: user.password });
    expect(login.status).toBe(200);
  });

  it("rejects bad registrations with 400 and the field paths", async () => {
    const res = await api.post("/auth/register", { email: "not-an-email", password: "short", name: "", admin: true });
    expect(res.status).toBe(400);
    const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(["admin", "email", "name", "password"]);
  });

  it("gives the same answer for an unknown email and a wrong password", async () => {
    const user = await registerUser(api);
    const wrong = await api.post("/auth/login", { email: user.email, password: "wrong password!" });
    const unknown = await api.post("/auth/login", { email: `nobody${Date.now()}@example.com`, password: "wrong password!" });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it("locks an account with 429 and Retry-After after repeated failures", async () => {
    const user = await registerUser(api);
    for (let i = 0; i < 3; i++) {
      expect((await api.post("/auth/login", { email: user.email, password: "wrong password!" })).status).toBe(401);
    }
    const locked = await api.post("/auth/login", { email: user.email, password: user.password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("refresh tokens", () => {
  it("rotates: each refresh token works once, and reusing one revokes the whole family", async () => {
    const user = await registerUser(api);
    const first = await api.post("/auth/refresh", { refreshToken: user.refreshToken });
    expect(first.status).toBe(200);
    const second = await api.post("/auth/refresh", { refreshToken: first.body.refreshToken });
    expect(second.status).toBe(200);
    expect((await api.get("/me", { token: second.body.accessToken })).status).toBe(200);

    // replaying the first, already-used token is theft: the family dies
    const reuse = await api.post("/auth/refresh", { refreshToken: user.refreshToken });
    expect(reuse.status).toBe(401);
    expect((await api.post("/auth/refresh", { refreshToken: second.body.refreshToken })).status).toBe(401);
    expect((await api.get("/me", { token: second.body.accessToken })).status).toBe(401);
  });

  it("logout ends the session at once", async () => {
    const user = await registerUser(api);
    expect((await api.get("/me", { token: user.token })).status).toBe(200);
    expect((await api.post("/auth/logout", { refreshToken: user.refreshToken })).status).toBe(204);
    expect((await api.get("/me", { token: user.token })).status).toBe(401);
    expect((await api.post("/auth/refresh", { refreshToken: user.refreshToken })).status).toBe(401);
  });
});

describe("access tokens", () => {
  it("rejects missing, malformed, tampered and alg:none tokens with 401", async () => {
    const user = await registerUser(api);
    const [header, payload, signature] = user.token.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "usr_someoneelse" })).toString("base64url");
    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      garbage: "Bearer not-a-token",
      noScheme: user.token,
      tampered: `Bearer ${header}.${forged}.${signature}`,
      algNone: `Bearer ${none}.${payload}.`,
      badKey: "Bearer cf_key_00000000000000000000000000_" + "0".repeat(64),
    };
    for (const [name, authorization] of Object.entries(cases)) {
      const res = await api.get("/me", { headers: authorization ? { Authorization: authorization } : {} });
      expect(res.status, name).toBe(401);
      expect(res.headers.get("content-type"), name).toContain("application/problem+json");
    }
  });

  it("rejects an expired token, even one correctly signed for a live session", async () => {
    const secret = "a-test-signing-secret-of-at-least-32-chars";
    const signed = await startServer({ env: { JWT_SECRET: secret } });
    try {
      const signedApi = client(signed.url);
      const user = await registerUser(signedApi);
      expect((await signedApi.get("/me", { token: user.token })).status).toBe(200);
      const claims = decodeJwt(user.token);
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ sid: claims.sid })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(claims.sub!)
        .setIssuer(claims.iss!)
        .setAudience(claims.aud!)
        .setIssuedAt(now - 120)
        .setExpirationTime(now - 60)
        .sign(new TextEncoder().encode(secret));
      const res = await signedApi.get("/me", { token: expired });
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/expired/);
    } finally {
      await signed.stop();
      removeDataDir(signed.dataDir);
    }
  });
});

describe("rate limits", () => {
  it("refuses an address after repeated failures across accounts, and limits each credential", async () => {
    const limited = await startServer({ env: { LOGIN_FAILURES_PER_ADDRESS: "3", RATE_LIMIT_PER_SECOND: "1", RATE_LIMIT_BURST: "3" } });
    try {
      const limitedApi = client(limited.url);
      const user = await registerUser(limitedApi);
      for (let i = 0; i < 3; i++) {
        const res = await limitedApi.post("/auth/login", { email: `stranger${i}@example.com`, password: "guessing-again" });
        expect(res.status).toBe(401);
      }
      // the address is now refused, even with the right password for a real account
      const blocked = await limitedApi.post("/auth/login", { email: user.email, password: user.password });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);

      // the general limit: a burst of 3, then one request per second for this credential
      const started = Date.now();
      const burst = await Promise.all(Array.from({ length: 12 }, () => limitedApi.get("/me", { token: user.token })));
      const elapsedSeconds = (Date.now() - started) / 1000;
      const ok = burst.filter((r) => r.status === 200).length;
      const refused = burst.filter((r) => r.status === 429);
      expect(ok).toBeGreaterThanOrEqual(3);
      expect(ok).toBeLessThanOrEqual(3 + Math.ceil(elapsedSeconds));
      expect(ok + refused.length).toBe(12);
      for (const res of refused) {
        expect(res.headers.get("content-type")).toContain("application/problem+json");
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      }
    } finally {
      await limited.stop();
      removeDataDir(limited.dataDir);
    }
  });
});
