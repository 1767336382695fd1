/** Who may read `GET /businesses/{id}/events`, for how long, and which events they are shown. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Client, cacheCounters, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";
import { type OpenStream, openEventStream } from "./support/sse.js";

let server: RunningServer;
let api: Client;
const streams: OpenStream[] = [];

beforeAll(async () => {
  server = await startServer();
  api = client(server.url);
});
afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});
afterAll(async () => {
  await server.stop();
  removeDataDir(server.dataDir);
});

async function open(businessId: string, token: string, options: { headers?: Record<string, string>; query?: string } = {}): Promise<OpenStream> {
  const stream = await openEventStream(server.url, businessId, token, options);
  streams.push(stream);
  return stream;
}

async function addMember(businessId: string, ownerToken: string, role: string) {
  const person = await registerUser(api);
  const res = await api.post(`/businesses/${businessId}/members`, { email: person.email, role }, { token: ownerToken });
  expect(res.status).toBe(201);
  return person;
}

async function createCompany(businessId: string, token: string, name: string) {
  const res = await api.post(`/businesses/${businessId}/companies`, { name }, { token });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe("resuming", () => {
  it("refuses a Last-Event-ID or ?after= that is not a non-negative safe integer", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    for (const bad of ["abc", "-1", "70.5", "1e400", "99999999999999999999", "9007199254740992", "1e2", "0x10", "+3", "2 3"]) {
      // opened as streams, so that a stream wrongly started is closed rather than waited on
      const byHeader = await open(id, owner.token, { headers: { "Last-Event-ID": bad } });
      byHeader.close();
      expect(byHeader.status, `Last-Event-ID: ${bad}`).toBe(400);
      expect(JSON.parse(byHeader.text()).errors).toEqual([{ path: "header.Last-Event-ID", message: expect.any(String) }]);

      const byQuery = await open(id, owner.token, { query: `?after=${encodeURIComponent(bad)}` });
      byQuery.close();
      expect(byQuery.status, `?after=${bad}`).toBe(400);
      expect(JSON.parse(byQuery.text()).errors).toEqual([{ path: "query.after", message: expect.any(String) }]);
    }

    // the two creation events are 1 and 2
    const valid: [Record<string, string>, string, number][] = [
      [{ "Last-Event-ID": "1" }, "", 2],
      [{}, "?after=1", 2],
      [{ "Last-Event-ID": "0" }, "", 1],
      [{}, "", 1],
    ];
    for (const [headers, query, first] of valid) {
      const stream = await open(id, owner.token, { headers, query });
      expect(stream.status).toBe(200);
      await stream.until((s) => s.events.length >= 1);
      stream.close();
      expect(stream.events[0]!.id, JSON.stringify([headers, query])).toBe(first);
    }
  });
});

describe("the stream ends when access does", () => {
  /** Waits for the stream to end; it must have sent no event after the first `seen`. */
  async function expectEndedQuietly(stream: OpenStream, seen: number) {
    expect(await stream.waitForEnd(5_000), `still open; received:\n${stream.text()}`).toBe(true);
    expect(stream.events.slice(seen)).toEqual([]);
  }

  it("when the member is removed", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const member = await addMember(id, owner.token, "viewer");
    const stream = await open(id, member.token);
    await stream.until((s) => s.events.some((e) => e.event === "member.added" && e.data.subjectId === member.userId));
    const seen = stream.events.length;

    expect((await api.delete(`/businesses/${id}/members/${member.userId}`, { token: owner.token })).status).toBe(204);
    await createCompany(id, owner.token, "After the removal");
    await expectEndedQuietly(stream, seen);
    expect((await open(id, member.token)).status).toBe(404);
  });

  it("when the API key is revoked", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const key = await api.post(`/businesses/${id}/api-keys`, { name: "feed", role: "viewer" }, { token: owner.token });
    const stream = await open(id, key.body.key);
    await createCompany(id, owner.token, "Before the revocation");
    await stream.until((s) => s.events.some((e) => e.event === "company.created"));
    const seen = stream.events.length;

    expect((await api.delete(`/businesses/${id}/api-keys/${key.body.id}`, { token: owner.token })).status).toBe(204);
    await createCompany(id, owner.token, "After the revocation");
    await expectEndedQuietly(stream, seen);
    expect((await open(id, key.body.key)).status).toBe(401);
  });

  it("when the session is logged out", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const member = await addMember(id, owner.token, "sales");
    const stream = await open(id, member.token);
    await createCompany(id, owner.token, "Before the logout");
    await stream.until((s) => s.events.some((e) => e.event === "company.created"));
    const seen = stream.events.length;

    expect((await api.post("/auth/logout", { refreshToken: member.refreshToken })).status).toBe(204);
    await createCompany(id, owner.token, "After the logout");
    await expectEndedQuietly(stream, seen);
    expect((await open(id, member.token)).status).toBe(401);
  });

  /** A server of its own with heartbeats `heartbeatMs` apart, and an owner's stream of a new business there. */
  async function withHeartbeat(heartbeatMs: number, test: (t: { api: Client; owner: Awaited<ReturnType<typeof registerUser>>; stream: OpenStream }) => Promise<void>) {
    const server = await startServer({ env: { SSE_HEARTBEAT_MS: String(heartbeatMs) } });
    try {
      const api = client(server.url);
      const owner = await registerUser(api);
      const stream = await openEventStream(server.url, await createBusiness(api, owner.token), owner.token);
      streams.push(stream);
      await stream.until((s) => s.events.length === 2);
      await test({ api, owner, stream });
    } finally {
      await server.stop();
      removeDataDir(server.dataDir);
    }
  }

  it("when the session is logged out, at once even if nothing happens in the business", async () => {
    // heartbeats a minute apart: what ends the stream is the logout, not a heartbeat
    await withHeartbeat(60_000, async ({ api, owner, stream }) => {
      expect((await api.post("/auth/logout", { refreshToken: owner.refreshToken })).status).toBe(204);
      expect(await stream.waitForEnd(3_000)).toBe(true);
      expect(stream.events).toHaveLength(2);
    });
  });

  it("keeps its heartbeats while the core database is written elsewhere", async () => {
    await withHeartbeat(300, async ({ api, owner, stream }) => {
      const other = await createBusiness(api, owner.token, "Renamed often");
      // a core write every ~50 ms for 1.5 s: each wakes the stream to check access, none may postpone a heartbeat
      const started = Date.now();
      for (let i = 0; Date.now() - started < 1_500; i++) {
        expect((await api.patch(`/businesses/${other}`, { name: `Renamed ${i}` }, { token: owner.token })).status).toBe(200);
        await new Promise((done) => setTimeout(done, 50));
      }
      expect(stream.text().split(": heartbeat").length - 1).toBeGreaterThanOrEqual(3);
      expect(stream.ended()).toBe(false);
    });
  });

  it("when the business is deleted, for every member", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const admin = await addMember(id, owner.token, "admin");
    const ownerStream = await open(id, owner.token);
    const adminStream = await open(id, admin.token);
    await createCompany(id, owner.token, "Before the deletion");
    for (const stream of [ownerStream, adminStream]) await stream.until((s) => s.events.some((e) => e.event === "company.created"));
    const seen = [ownerStream.events.length, adminStream.events.length];

    expect((await api.delete(`/businesses/${id}`, { token: owner.token })).status).toBe(204);
    expect((await api.post(`/businesses/${id}/companies`, { name: "After the deletion" }, { token: owner.token })).status).toBe(404);
    await expectEndedQuietly(ownerStream, seen[0]!);
    await expectEndedQuietly(adminStream, seen[1]!);
    expect((await open(id, owner.token)).status).toBe(404);
    expect((await open(id, admin.token)).status).toBe(404);
  });

  it("stays open through unrelated core writes, and follows a role change", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const admin = await addMember(id, owner.token, "admin");
    const stream = await open(id, admin.token);
    await api.post(`/businesses/${id}/api-keys`, { name: "first", role: "viewer" }, { token: owner.token });
    await stream.until((s) => s.events.some((e) => e.event === "api_key.created"));

    // other people signing in and businesses being made move the core generation: the admin stays admitted
    await registerUser(api);
    await createBusiness(api, owner.token, "Another");
    expect((await api.patch(`/businesses/${id}/members/${admin.userId}`, { role: "viewer" }, { token: owner.token })).status).toBe(200);
    await api.post(`/businesses/${id}/api-keys`, { name: "second", role: "viewer" }, { token: owner.token });
    await createCompany(id, owner.token, "Seen as a viewer");
    await stream.until((s) => s.events.some((e) => e.event === "company.created"));
    const names = () => stream.events.filter((e) => e.event === "api_key.created").map((e) => e.data.data.changes.name);
    expect(names()).toEqual(["first"]);
    expect(stream.events.some((e) => e.event === "member.role_changed")).toBe(true);

    expect((await api.patch(`/businesses/${id}/members/${admin.userId}`, { role: "admin" }, { token: owner.token })).status).toBe(200);
    await api.post(`/businesses/${id}/api-keys`, { name: "third", role: "viewer" }, { token: owner.token });
    await stream.until(() => names().includes("third"));
    expect(names()).toEqual(["first", "third"]);
    expect(stream.ended()).toBe(false);
  });
});

describe("events a role may not read", () => {
  it("are about API keys: shown only to roles that may list the keys, live and when catching up", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const tokens: Record<string, string> = { owner: owner.token };
    for (const role of ["admin", "accountant", "sales", "viewer"]) tokens[role] = (await addMember(id, owner.token, role)).token;
    for (const role of ["admin", "viewer"]) {
      tokens[`${role} key`] = (await api.post(`/businesses/${id}/api-keys`, { name: `${role} key`, role }, { token: owner.token })).body.key;
    }
    const live = Object.fromEntries(await Promise.all(Object.entries(tokens).map(async ([who, token]) => [who, await open(id, token)] as const)));

    await api.post(`/businesses/${id}/api-keys`, { name: "made while streaming", role: "sales" }, { token: owner.token });
    const newcomer = await registerUser(api);
    await api.post(`/businesses/${id}/members`, { email: newcomer.email, role: "viewer" }, { token: owner.token });
    await createCompany(id, owner.token, "Last");

    for (const [who, token] of Object.entries(tokens)) {
      const maySeeKeys = (await api.get(`/businesses/${id}/api-keys`, { token })).status === 200;
      expect(maySeeKeys, who).toBe(["owner", "admin", "admin key"].includes(who));
      const caughtUp = await open(id, token);
      for (const stream of [live[who]!, caughtUp]) {
        await stream.until((s) => s.events.some((e) => e.event === "company.created"));
        const types = stream.events.map((e) => e.event);
        expect(types.includes("api_key.created"), who).toBe(maySeeKeys);
        // members are listed to every role: so are their events
        expect(types.filter((t) => t === "member.added").length, who).toBe(6);
        expect(types, who).toContain("business.created");
      }
      caughtUp.close();
    }
  });

  it("are passed over when catching up, however many there are", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const viewer = await addMember(id, owner.token, "viewer");
    // more hidden events in a row than one catch-up batch (500)
    for (let i = 0; i < 520; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) => api.post(`/businesses/${id}/api-keys`, { name: `k${i + j}`, role: "viewer" }, { token: owner.token })),
      );
    }
    await createCompany(id, owner.token, "After the keys");
    const stream = await open(id, viewer.token);
    await stream.until((s) => s.events.some((e) => e.event === "company.created"), 10_000);
    expect(stream.events.map((e) => e.event)).toEqual(["business.created", "member.added", "member.added", "company.created"]);
  });
});

describe("what checking access costs", () => {
  /** Lookups made to admit open streams again (hits and misses of their caches): each one is at most a statement. */
  async function readmissions(): Promise<number> {
    const counters = await cacheCounters(api, "stream_sessions", "stream_memberships", "stream_api_keys");
    return Object.values(counters).reduce((total, { hits, misses }) => total + hits + misses, 0);
  }

  it("is nothing per event while the core database is not written; one admission per stream after it is", async () => {
    const owner = await registerUser(api);
    const id = await createBusiness(api, owner.token);
    const viewer = await addMember(id, owner.token, "viewer");
    const key = (await api.post(`/businesses/${id}/api-keys`, { name: "feed", role: "viewer" }, { token: owner.token })).body.key as string;
    const byPerson = await open(id, viewer.token);
    const byKey = await open(id, key);
    await createCompany(id, owner.token, "Warm-up");
    for (const stream of [byPerson, byKey]) await stream.until((s) => s.events.some((e) => e.event === "company.created"));

    const before = await readmissions();
    for (let i = 0; i < 30; i++) await createCompany(id, owner.token, `Company ${i}`);
    for (const stream of [byPerson, byKey]) await stream.until((s) => s.events.filter((e) => e.event === "company.created").length === 31);
    expect(await readmissions()).toBe(before);

    // a core write (someone registers) moves the generation: the next event admits each stream once more
    await registerUser(api);
    for (let i = 0; i < 5; i++) await createCompany(id, owner.token, `After ${i}`);
    for (const stream of [byPerson, byKey]) await stream.until((s) => s.events.filter((e) => e.event === "company.created").length === 36);
    // the person: session and membership; the key: the key
    expect(await readmissions()).toBe(before + 3);
  });
});
