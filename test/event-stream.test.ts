/** Who may read `GET /businesses/{id}/events`, for how long, and which events they are shown. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";
import { type OpenStream, openEventStream } from "./support/sse.js";

let server: RunningServer;
let api: Client;
const streams: OpenStream[] = [];

beforeAll(async () => {
  server = await startServer();
  api = client(server.url);
});
afterAll(async () => {
  for (const stream of streams) stream.close();
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
