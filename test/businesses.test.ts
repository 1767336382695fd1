import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, cacheCounters, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;

beforeAll(async () => {
  server = await startServer();
  api = client(server.url);
});
afterAll(async () => {
  await server.stop();
  removeDataDir(server.dataDir);
});

describe("businesses", () => {
  it("creates a business whose creator is its owner, and lists it", async () => {
    const owner = await registerUser(api);
    const created = await api.post("/businesses", { name: "Northwind", baseCurrency: "EUR" }, { token: owner.token });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Northwind", baseCurrency: "EUR", role: "owner" });
    expect(created.headers.get("etag")).toBeTruthy();

    const got = await api.get(`/businesses/${created.body.id}`, { token: owner.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    expect(got.headers.get("etag")).toBe(created.headers.get("etag"));

    const list = await api.get("/businesses", { token: owner.token });
    expect(list.body).toEqual({ data: [created.body], nextCursor: null });
    const me = await api.get("/me", { token: owner.token });
    expect(me.body.memberships).toEqual([{ businessId: created.body.id, name: "Northwind", role: "owner" }]);
  });

  it("refuses unknown currencies and fields", async () => {
    const owner = await registerUser(api);
    for (const body of [
      { name: "X", baseCurrency: "XYZ" },
      { name: "X", baseCurrency: "usd" },
      { name: "X", baseCurrency: "USD", extra: 1 },
      { name: 5, baseCurrency: "USD" },
    ]) {
      const res = await api.post("/businesses", body, { token: owner.token });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api.get("/businesses", { token: owner.token })).body.data).toEqual([]);
  });

  it("paginates with cursors, each business exactly once", async () => {
    const owner = await registerUser(api);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createBusiness(api, owner.token, `B${i}`));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api.get(`/businesses?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: owner.token });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((b: { id: string }) => b.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(ids.sort());
    expect((await api.get("/businesses?cursor=garbage", { token: owner.token })).status).toBe(400);
    expect((await api.get("/businesses?limit=0", { token: owner.token })).status).toBe(400);
    expect((await api.get("/businesses?limit=201", { token: owner.token })).status).toBe(400);
  });

  it("updates with If-Match: a stale ETag gets 412 and changes nothing", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token, "Old name");
    const got = await api.get(`/businesses/${id}`, { token: owner.token });
    const etag = got.headers.get("etag")!;
    const renamed = await api.patch(`/businesses/${id}`, { name: "New name" }, { token: owner.token, headers: { "If-Match": etag } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("New name");
    const stale = await api.patch(`/businesses/${id}`, { name: "Stale" }, { token: owner.token, headers: { "If-Match": etag } });
    expect(stale.status).toBe(412);
    expect((await api.get(`/businesses/${id}`, { token: owner.token })).body.name).toBe("New name");
    const notModified = await api.get(`/businesses/${id}`, { token: owner.token, headers: { "If-None-Match": renamed.headers.get("etag")! } });
    expect(notModified.status).toBe(304);
    const currency = await api.patch(`/businesses/${id}`, { baseCurrency: "GBP" }, { token: owner.token });
    expect(currency.status).toBe(422);
  });

  it("only an owner deletes a business; afterwards it is gone for everyone", async () => {
    const owner = await registerUser(api);
    const admin = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    await api.post(`/businesses/${id}/members`, { email: admin.email, role: "admin" }, { token: owner.token });
    expect((await api.delete(`/businesses/${id}`, { token: admin.token })).status).toBe(403);
    expect((await api.delete(`/businesses/${id}`, { token: owner.token })).status).toBe(204);
    expect((await api.get(`/businesses/${id}`, { token: owner.token })).status).toBe(404);
    expect((await api.get(`/businesses/${id}`, { token: admin.token })).status).toBe(404);
  });
});

describe("what admission remembers", () => {
  it("a rename forgets only its business's admissions, a sign-in's session is remembered, and every answer is current", async () => {
    const owner = await registerUser(api);
    const a = await createBusiness(api, owner.token, "Alpha");
    const b = await createBusiness(api, owner.token, "Beta");
    const key = (await api.post(`/businesses/${a}/api-keys`, { name: "reporting", role: "viewer" }, { token: owner.token })).body.key as string;
    const read = async () => [
      (await api.get(`/businesses/${a}`, { token: owner.token })).body.name,
      (await api.get(`/businesses/${b}`, { token: owner.token })).body.name,
      (await api.get(`/businesses/${a}`, { token: key })).body.name,
    ];
    expect(await read()).toEqual(["Alpha", "Beta", "Alpha"]);
    const before = await cacheCounters(api, "sessions", "memberships", "api_keys");
    expect((await api.patch(`/businesses/${a}`, { name: "Alpha Two" }, { token: owner.token })).status).toBe(200);
    expect(await read()).toEqual(["Alpha Two", "Beta", "Alpha Two"]);
    const after = await cacheCounters(api, "sessions", "memberships", "api_keys");
    // the rename's own admission and the reads after it: only Alpha's membership and key are read again
    expect(after.memberships!.misses - before.memberships!.misses).toBe(1);
    expect(after.api_keys!.misses - before.api_keys!.misses).toBe(1);
    expect(after.sessions!.misses - before.sessions!.misses).toBe(0);

    // a new sign-in's first request finds its session remembered; signing out ends it at once all the same
    const login = await api.post("/auth/login", { email: owner.email, password: owner.password });
    const signedIn = await cacheCounters(api, "sessions");
    expect((await api.get("/me", { token: login.body.accessToken })).status).toBe(200);
    const used = await cacheCounters(api, "sessions");
    expect(used.sessions!.misses - signedIn.sessions!.misses).toBe(0);
    // a refresh writes refresh tokens only: the session stays remembered for the new access token
    const refreshed = await api.post("/auth/refresh", { refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    expect((await api.get("/me", { token: refreshed.body.accessToken })).status).toBe(200);
    expect((await cacheCounters(api, "sessions")).sessions!.misses - signedIn.sessions!.misses).toBe(0);
    expect((await api.post("/auth/logout", { refreshToken: refreshed.body.refreshToken })).status).toBe(204);
    expect((await api.get("/me", { token: login.body.accessToken })).status).toBe(401);
    expect((await api.get("/me", { token: refreshed.body.accessToken })).status).toBe(401);
    expect((await api.get(`/businesses/${b}`, { token: owner.token })).body.name).toBe("Beta");
  });
});

describe("members and roles", () => {
  it("adds, changes and removes members; one owner is always kept", async () => {
    const owner = await registerUser(api);
    const other = await registerUser(api);
    const id = await createBusiness(api, owner.token);

    const added = await api.post(`/businesses/${id}/members`, { email: other.email, role: "viewer" }, { token: owner.token });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ userId: other.userId, role: "viewer" });
    expect((await api.post(`/businesses/${id}/members`, { email: other.email, role: "viewer" }, { token: owner.token })).status).toBe(409);
    expect((await api.post(`/businesses/${id}/members`, { email: "nobody@nowhere.example", role: "viewer" }, { token: owner.token })).status).toBe(422);

    // the last owner cannot be demoted or removed
    expect((await api.patch(`/businesses/${id}/members/${owner.userId}`, { role: "admin" }, { token: owner.token })).status).toBe(422);
    expect((await api.delete(`/businesses/${id}/members/${owner.userId}`, { token: owner.token })).status).toBe(422);

    // with a second owner, the first can step down
    expect((await api.patch(`/businesses/${id}/members/${other.userId}`, { role: "owner" }, { token: owner.token })).status).toBe(200);
    expect((await api.patch(`/businesses/${id}/members/${owner.userId}`, { role: "viewer" }, { token: owner.token })).status).toBe(200);
    const members = await api.get(`/businesses/${id}/members`, { token: other.token });
    const roles = Object.fromEntries(members.body.data.map((m: { userId: string; role: string }) => [m.userId, m.role]));
    expect(roles).toEqual({ [owner.userId]: "viewer", [other.userId]: "owner" });

    // a viewer may leave; then the business is not theirs to see
    expect((await api.delete(`/businesses/${id}/members/${owner.userId}`, { token: owner.token })).status).toBe(204);
    expect((await api.get(`/businesses/${id}`, { token: owner.token })).status).toBe(404);
  });

  it("enforces the role matrix", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const people: Record<string, Awaited<ReturnType<typeof registerUser>>> = {};
    for (const role of ["admin", "accountant", "sales", "viewer"]) {
      people[role] = await registerUser(api);
      await api.post(`/businesses/${id}/members`, { email: people[role]!.email, role }, { token: owner.token });
    }
    const newcomer = await registerUser(api);
    // admins manage members but cannot create owners or touch the owner
    expect((await api.post(`/businesses/${id}/members`, { email: newcomer.email, role: "owner" }, { token: people.admin!.token })).status).toBe(403);
    expect((await api.patch(`/businesses/${id}/members/${owner.userId}`, { role: "viewer" }, { token: people.admin!.token })).status).toBe(403);
    expect((await api.delete(`/businesses/${id}/members/${owner.userId}`, { token: people.admin!.token })).status).toBe(403);
    expect((await api.patch(`/businesses/${id}`, { name: "By admin" }, { token: people.admin!.token })).status).toBe(200);
    for (const role of ["accountant", "sales", "viewer"]) {
      const token = people[role]!.token;
      expect((await api.get(`/businesses/${id}`, { token })).status, role).toBe(200);
      expect((await api.get(`/businesses/${id}/members`, { token })).status, role).toBe(200);
      expect((await api.patch(`/businesses/${id}`, { name: "Nope" }, { token })).status, role).toBe(403);
      expect((await api.post(`/businesses/${id}/members`, { email: newcomer.email, role: "viewer" }, { token })).status, role).toBe(403);
      expect((await api.post(`/businesses/${id}/api-keys`, { name: "k", role: "viewer" }, { token })).status, role).toBe(403);
    }
    expect((await api.get(`/businesses/${id}/audit`, { token: people.accountant!.token })).status).toBe(200);
    expect((await api.get(`/businesses/${id}/audit`, { token: people.viewer!.token })).status).toBe(403);
    expect((await api.get(`/businesses/${id}/audit`, { token: people.sales!.token })).status).toBe(403);
  });
});

describe("API keys", () => {
  it("shows the key once, stores no secret, acts with its role, and is revoked at once", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const other = await createBusiness(api, owner.token, "Other");
    const created = await api.post(`/businesses/${id}/api-keys`, { name: "reporting", role: "viewer" }, { token: owner.token });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^cf_key_[0-9a-z]{26}_[0-9a-f]{64}$/);

    const list = await api.get(`/businesses/${id}/api-keys`, { token: owner.token });
    expect(list.body.data).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(key.slice(-64));

    expect((await api.get(`/businesses/${id}`, { token: key })).body.role).toBe("viewer");
    expect((await api.patch(`/businesses/${id}`, { name: "no" }, { token: key })).status).toBe(403);
    expect((await api.get(`/businesses/${other}`, { token: key })).status).toBe(404);
    expect((await api.get("/me", { token: key })).status).toBe(403);
    const listed = await api.get("/businesses", { token: key });
    expect(listed.body.data.map((b: { id: string }) => b.id)).toEqual([id]);

    const wrongSecret = key.slice(0, -1) + (key.endsWith("0") ? "1" : "0");
    expect((await api.get(`/businesses/${id}`, { token: wrongSecret })).status).toBe(401);

    expect((await api.delete(`/businesses/${id}/api-keys/${created.body.id}`, { token: owner.token })).status).toBe(204);
    expect((await api.get(`/businesses/${id}`, { token: key })).status).toBe(401);
    expect((await api.post(`/businesses/${id}/api-keys`, { name: "x", role: "owner" }, { token: owner.token })).status).toBe(400);
  });

  it("revokes a key only when If-Match matches the key's current ETag", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const created = await api.post(`/businesses/${id}/api-keys`, { name: "ci", role: "viewer" }, { token: owner.token });
    const keyId = created.body.id as string;
    const wrong = await api.delete(`/businesses/${id}/api-keys/${keyId}`, { token: owner.token, headers: { "If-Match": '"0123456789abcdef"' } });
    expect(wrong.status).toBe(412);
    expect(wrong.headers.get("content-type")).toContain("application/problem+json");
    expect((await api.get(`/businesses/${id}`, { token: created.body.key })).status).toBe(200);

    // the ETag to send is the one GET /api-keys/{keyId} gives (the creation's covers the secret too)
    const got = await api.get(`/businesses/${id}/api-keys/${keyId}`, { token: owner.token });
    expect(got.status).toBe(200);
    const { key: _secret, ...withoutSecret } = created.body;
    expect(got.body).toEqual(withoutSecret);
    const etag = got.headers.get("etag")!;
    expect((await api.get(`/businesses/${id}/api-keys/${keyId}`, { token: owner.token, headers: { "If-None-Match": etag } })).status).toBe(304);

    expect((await api.delete(`/businesses/${id}/api-keys/${keyId}`, { token: owner.token, headers: { "If-Match": etag } })).status).toBe(204);
    expect((await api.get(`/businesses/${id}`, { token: created.body.key })).status).toBe(401);
    // revoked, the key is another version: the ETag read before no longer matches
    expect((await api.delete(`/businesses/${id}/api-keys/${keyId}`, { token: owner.token, headers: { "If-Match": etag } })).status).toBe(412);
    expect((await api.get(`/businesses/${id}/api-keys/key_01j9z3k4m5n6p7q8r9s0t1v2w3`, { token: owner.token })).status).toBe(404);
  });

  it("documents 412 on every PATCH and DELETE of businesses, members, API keys and identity", async () => {
    const doc = await api.get("/openapi.json");
    const checked: string[] = [];
    for (const [path, item] of Object.entries<Record<string, any>>(doc.body.paths)) {
      for (const method of ["patch", "delete"]) {
        const op = item[method];
        if (!op?.tags.some((tag: string) => ["Businesses", "Members", "API keys", "Identity"].includes(tag))) continue;
        checked.push(`${method.toUpperCase()} ${path}`);
        expect(Object.keys(op.responses), `${method} ${path}`).toContain("412");
      }
    }
    expect(checked).toContain("DELETE /businesses/{businessId}/api-keys/{keyId}");
    expect(checked.length).toBeGreaterThanOrEqual(5);
  });
});

describe("API keys follow their creator", () => {
  const makeKey = async (businessId: string, token: string, name: string, role: string) => {
    const res = await api.post(`/businesses/${businessId}/api-keys`, { name, role }, { token });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, key: res.body.key as string };
  };
  const works = async (businessId: string, key: string) => (await api.get(`/businesses/${businessId}`, { token: key })).status === 200;
  const auditSince = async (businessId: string, token: string, seq: number) => {
    const page = await api.get(`/businesses/${businessId}/audit?limit=200`, { token });
    expect(page.status).toBe(200);
    return (page.body.data as { seq: number; actorId: string; action: string; targetId: string; changes: unknown }[]).filter((e) => e.seq > seq);
  };
  /** [action, target, actor] of each entry; the revocations of one change sorted by key id (ids made in one millisecond may sort either way). */
  const summary = (entries: { action: string; targetId: string; actorId: string }[]) => {
    const rows = entries.map((e) => [e.action, e.targetId, e.actorId]);
    return [rows[0], ...rows.slice(1).sort((a, b) => a[1]!.localeCompare(b[1]!))];
  };
  const byId = (rows: string[][]) => [rows[0], ...rows.slice(1).sort((a, b) => a[1]!.localeCompare(b[1]!))];
  const lastSeq = async (businessId: string, token: string) => {
    const page = await api.get(`/businesses/${businessId}/audit?limit=200`, { token });
    return Math.max(...page.body.data.map((e: { seq: number }) => e.seq));
  };

  it("revokes the keys a member's new role does not cover, audited as done by whoever changed the role", async () => {
    const owner = await registerUser(api);
    const admin = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    await api.post(`/businesses/${id}/members`, { email: admin.email, role: "admin" }, { token: owner.token });
    const adminKey = await makeKey(id, admin.token, "admin key", "admin");
    const salesKey = await makeKey(id, admin.token, "sales key", "sales");
    const accountantKey = await makeKey(id, admin.token, "accountant key", "accountant");
    const viewerKey = await makeKey(id, admin.token, "viewer key", "viewer");
    const ownersKey = await makeKey(id, owner.token, "owner's admin key", "admin");
    expect((await api.patch(`/businesses/${id}`, { name: "By the admin key" }, { token: adminKey.key })).status).toBe(200);

    const before = await lastSeq(id, owner.token);
    expect((await api.patch(`/businesses/${id}/members/${admin.userId}`, { role: "accountant" }, { token: owner.token })).status).toBe(200);
    // accountant covers accountant and viewer, not admin, nor sales (which writes the CRM)
    expect(await works(id, adminKey.key)).toBe(false);
    expect(await works(id, salesKey.key)).toBe(false);
    expect(await works(id, accountantKey.key)).toBe(true);
    expect(await works(id, viewerKey.key)).toBe(true);
    expect(await works(id, ownersKey.key)).toBe(true);
    const entries = await auditSince(id, owner.token, before);
    expect(summary(entries)).toEqual(
      byId([
        ["member.role_changed", admin.userId, owner.userId],
        ["api_key.revoked", adminKey.id, owner.userId],
        ["api_key.revoked", salesKey.id, owner.userId],
      ]),
    );
    expect(entries.find((e) => e.targetId === adminKey.id)!.changes).toEqual({ name: "admin key", reason: "creator_role_changed" });
    const keys = await api.get(`/businesses/${id}/api-keys`, { token: owner.token });
    const revoked = keys.body.data.filter((k: { revokedAt: string | null }) => k.revokedAt !== null).map((k: { id: string }) => k.id);
    expect(revoked.sort()).toEqual([adminKey.id, salesKey.id].sort());

    // down to viewer: the accountant key goes too; back up to admin: nothing comes back, nothing else goes
    expect((await api.patch(`/businesses/${id}/members/${admin.userId}`, { role: "viewer" }, { token: owner.token })).status).toBe(200);
    expect(await works(id, accountantKey.key)).toBe(false);
    expect(await works(id, viewerKey.key)).toBe(true);
    expect((await api.patch(`/businesses/${id}/members/${admin.userId}`, { role: "admin" }, { token: owner.token })).status).toBe(200);
    expect(await works(id, viewerKey.key)).toBe(true);
    expect(await works(id, adminKey.key)).toBe(false);
    expect((await api.get(`/businesses/${id}/audit/verify`, { token: owner.token })).body.valid).toBe(true);
  });

  it("revokes every key a member created when they are removed or leave, and no one else's", async () => {
    const owner = await registerUser(api);
    const first = await registerUser(api);
    const second = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const other = await createBusiness(api, owner.token, "Other");
    for (const person of [first, second]) {
      await api.post(`/businesses/${id}/members`, { email: person.email, role: "admin" }, { token: owner.token });
      await api.post(`/businesses/${other}/members`, { email: person.email, role: "admin" }, { token: owner.token });
    }
    const firstViewer = await makeKey(id, first.token, "first viewer", "viewer");
    const firstAdmin = await makeKey(id, first.token, "first admin", "admin");
    const firstElsewhere = await makeKey(other, first.token, "first, other business", "viewer");
    const secondViewer = await makeKey(id, second.token, "second viewer", "viewer");

    let before = await lastSeq(id, owner.token);
    expect((await api.delete(`/businesses/${id}/members/${first.userId}`, { token: owner.token })).status).toBe(204);
    expect(await works(id, firstViewer.key)).toBe(false);
    expect(await works(id, firstAdmin.key)).toBe(false);
    expect(await works(other, firstElsewhere.key)).toBe(true);
    expect(await works(id, secondViewer.key)).toBe(true);
    let entries = await auditSince(id, owner.token, before);
    expect(summary(entries)).toEqual(
      byId([
        ["member.removed", first.userId, owner.userId],
        ["api_key.revoked", firstViewer.id, owner.userId],
        ["api_key.revoked", firstAdmin.id, owner.userId],
      ]),
    );
    expect(entries[1]!.changes).toMatchObject({ reason: "creator_removed" });

    // leaving is removing oneself: the revocation is the leaver's own
    before = await lastSeq(id, owner.token);
    expect((await api.delete(`/businesses/${id}/members/${second.userId}`, { token: second.token })).status).toBe(204);
    expect(await works(id, secondViewer.key)).toBe(false);
    entries = await auditSince(id, owner.token, before);
    expect(summary(entries)).toEqual([
      ["member.removed", second.userId, second.userId],
      ["api_key.revoked", secondViewer.id, second.userId],
    ]);
  });
});
