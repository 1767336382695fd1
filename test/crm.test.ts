/**
 * The CRM against the real server: CRUD with the contract's conventions, validation (400 with paths,
 * 422 for references), permissions, relations without N+1, lists, search and batch get.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let owner: Awaited<ReturnType<typeof registerUser>>;
let biz: string;
let B: string;

const statements = (headers: Headers) => {
  const match = /desc="(\d+) statements"/.exec(headers.get("server-timing") ?? "");
  if (!match) throw new Error(`no statement count in ${headers.get("server-timing")}`);
  return Number(match[1]);
};

async function post(path: string, body: unknown, token = owner.token, headers?: Record<string, string>) {
  return api.post(`${B}${path}`, body, { token, headers });
}

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  owner = await registerUser(api, "CRM Owner");
  biz = await createBusiness(api, owner.token, "CRM Co");
  B = `/businesses/${biz}`;
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

describe("companies: CRUD with ETag, If-Match, Idempotency-Key, audit and events", () => {
  it("creates, reads, updates and deletes, with matching ETags and an audit trail", async () => {
    const created = await post("/companies", { name: "Acme", domain: "ACME.com", industry: "Tools", size: "11-50", tags: ["VIP", "vip", "emea"], website: "https://acme.com" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Acme", domain: "acme.com", tags: ["vip", "emea"], ownerId: owner.userId });
    const id = created.body.id;
    expect(id).toMatch(/^cmp_[0-9a-z]{26}$/);

    const got = await api.get(`${B}/companies/${id}`, { token: owner.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    expect(got.headers.get("etag")).toBe(created.headers.get("etag"));
    const notModified = await api.get(`${B}/companies/${id}`, { token: owner.token, headers: { "If-None-Match": got.headers.get("etag")! } });
    expect(notModified.status).toBe(304);

    const stale = await api.patch(`${B}/companies/${id}`, { industry: "Hardware" }, { token: owner.token, headers: { "If-Match": '"nope"' } });
    expect(stale.status).toBe(412);
    const patched = await api.patch(`${B}/companies/${id}`, { industry: "Hardware", website: null }, { token: owner.token, headers: { "If-Match": got.headers.get("etag")! } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ industry: "Hardware", website: null });
    expect((await api.get(`${B}/companies/${id}`, { token: owner.token })).headers.get("etag")).toBe(patched.headers.get("etag"));

    const deleted = await api.delete(`${B}/companies/${id}`, { token: owner.token, headers: { "If-Match": patched.headers.get("etag")! } });
    expect(deleted.status).toBe(204);
    expect((await api.get(`${B}/companies/${id}`, { token: owner.token })).status).toBe(404);

    const audit = await api.get(`${B}/audit?limit=200`, { token: owner.token });
    const mine = audit.body.data.filter((e: { targetId: string }) => e.targetId === id);
    expect(mine.map((e: { action: string }) => e.action)).toEqual(["company.created", "company.updated", "company.deleted"]);
    expect(mine[1].changes).toEqual({ industry: { from: "Tools", to: "Hardware" }, website: { from: "https://acme.com", to: null } });
    expect((await api.get(`${B}/audit/verify`, { token: owner.token })).body.valid).toBe(true);
  });

  it("replays a create with the same Idempotency-Key and refuses the key with another body", async () => {
    const headers = { "Idempotency-Key": "crm-company-1" };
    const first = await post("/companies", { name: "Once" }, owner.token, headers);
    const again = await post("/companies", { name: "Once" }, owner.token, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect((await post("/companies", { name: "Twice" }, owner.token, headers)).status).toBe(409);
    const list = await api.get(`${B}/companies?q=once`, { token: owner.token });
    expect(list.body.data).toHaveLength(1);
  });

  it("publishes events for CRM changes", async () => {
    const created = await post("/companies", { name: "Evented" });
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/v1${B}/events`, { headers: { Authorization: `Bearer ${owner.token}` }, signal: controller.signal });
    const reader = res.body!.getReader();
    let text = "";
    const deadline = Date.now() + 5_000;
    while (!text.includes(created.body.id) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain("event: company.created");
    expect(text).toContain(created.body.id);
  });
});

describe("validation", () => {
  it("answers invalid emails, domains, currencies, stage ids and unknown fields with 400 and the field path", async () => {
    const cases: [string, unknown, string][] = [
      ["/contacts", { firstName: "A", lastName: "B", email: "not-an-email" }, "email"],
      ["/companies", { name: "X", domain: "https://x.com/path" }, "domain"],
      ["/companies", { name: "X", domain: "no_underscores.com" }, "domain"],
      ["/leads", { title: "L", value: 100, currency: "usd" }, "currency"],
      ["/leads", { title: "L", value: 100, currency: "XYZ" }, "currency"],
      ["/deals", { name: "D", stageId: "not-a-stage" }, "stageId"],
      ["/deals", { name: "D", stageId: "stg_01j9z3k4m5n6p7q8r9s0t1v2w3" }, "stageId"],
      ["/companies", { name: "X", color: "red" }, "color"],
      ["/leads", { title: "L", value: 1.5 }, "value"],
      ["/activities", { type: "fax" }, "type"],
      ["/companies", { name: "X", address: { country: "France" } }, "address.country"],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}: ${res.text}`).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(field);
    }
  });

  it("answers references to records that are not in this business with 422", async () => {
    const other = await registerUser(api, "Other");
    const otherBiz = await createBusiness(api, other.token, "Other Co");
    const foreign = await api.post(`/businesses/${otherBiz}/companies`, { name: "Theirs" }, { token: other.token });
    expect(foreign.status).toBe(201);
    const res = await post("/contacts", { firstName: "A", lastName: "B", companyId: foreign.body.id });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: "companyId", message: "no such company in this business" }]);
    const owner422 = await post("/companies", { name: "X", ownerId: other.userId });
    expect(owner422.status).toBe(422);
    expect(owner422.body.errors[0].path).toBe("ownerId");
    // and another business's record is simply not found here
    expect((await api.get(`${B}/companies/${foreign.body.id}`, { token: owner.token })).status).toBe(404);
    expect((await api.patch(`${B}/companies/${foreign.body.id}`, { name: "Mine" }, { token: owner.token })).status).toBe(404);
    expect((await api.delete(`${B}/companies/${foreign.body.id}`, { token: owner.token })).status).toBe(404);
  });
});

describe("permissions", () => {
  it("lets viewers and accountants read but not write the CRM; sales write it", async () => {
    const company = await post("/companies", { name: "Guarded" });
    const roles = { viewer: await registerUser(api, "V"), accountant: await registerUser(api, "Acc"), sales: await registerUser(api, "S") };
    for (const [role, user] of Object.entries(roles)) {
      expect((await post("/../members".replace("/..", ""), { email: user.email, role })).status).toBe(201);
    }
    for (const user of [roles.viewer, roles.accountant]) {
      expect((await api.get(`${B}/companies/${company.body.id}`, { token: user.token })).status).toBe(200);
      expect((await api.get(`${B}/companies`, { token: user.token })).status).toBe(200);
      expect((await post("/companies", { name: "Nope" }, user.token)).status).toBe(403);
      expect((await api.patch(`${B}/companies/${company.body.id}`, { name: "Nope" }, { token: user.token })).status).toBe(403);
      expect((await api.delete(`${B}/companies/${company.body.id}`, { token: user.token })).status).toBe(403);
    }
    const bySales = await post("/companies", { name: "Sold" }, roles.sales.token);
    expect(bySales.status).toBe(201);
    expect(bySales.body.ownerId).toBe(roles.sales.userId);
    // API keys act with their role; a key's records have no owner unless one is given
    const salesKey = await post("/api-keys", { name: "crm sync", role: "sales" });
    const viewerKey = await post("/api-keys", { name: "crm read", role: "viewer" });
    const byKey = await post("/contacts", { firstName: "Key", lastName: "Made" }, salesKey.body.key);
    expect(byKey.status).toBe(201);
    expect(byKey.body.ownerId).toBeNull();
    expect((await post("/contacts", { firstName: "No", lastName: "Way" }, viewerKey.body.key)).status).toBe(403);
    expect((await api.get(`${B}/contacts/${byKey.body.id}`, { token: viewerKey.body.key })).status).toBe(200);
  });
});

describe("deleting a referenced record detaches what points to it", () => {
  it("keeps contacts, leads, deals and activities, with the reference cleared", async () => {
    const company = await post("/companies", { name: "Gone Soon" });
    const contact = await post("/contacts", { firstName: "Kept", lastName: "Person", companyId: company.body.id });
    const lead = await post("/leads", { title: "Kept lead", companyId: company.body.id, contactId: contact.body.id });
    const activity = await post("/activities", { type: "note", body: "met them", companyId: company.body.id });
    expect((await api.delete(`${B}/companies/${company.body.id}`, { token: owner.token })).status).toBe(204);
    expect((await api.get(`${B}/contacts/${contact.body.id}`, { token: owner.token })).body.companyId).toBeNull();
    expect((await api.get(`${B}/leads/${lead.body.id}`, { token: owner.token })).body).toMatchObject({ companyId: null, contactId: contact.body.id });
    expect((await api.get(`${B}/activities/${activity.body.id}`, { token: owner.token })).body.companyId).toBeNull();
  });

  it("refuses to delete a stage or pipeline that holds deals (409), and the default pipeline", async () => {
    const pipeline = await post("/pipelines", { name: "Partners", stages: [{ name: "Intro" }, { name: "Signed", probability: 100 }] });
    expect(pipeline.status).toBe(201);
    expect(pipeline.body.stages.map((s: { name: string; position: number }) => [s.name, s.position])).toEqual([["Intro", 1], ["Signed", 2]]);
    const deal = await post("/deals", { name: "Reseller", pipelineId: pipeline.body.id });
    expect(deal.body.stageId).toBe(pipeline.body.stages[0].id);
    const drop = await api.patch(`${B}/pipelines/${pipeline.body.id}`, { stages: [{ id: pipeline.body.stages[1].id, name: "Signed" }] }, { token: owner.token });
    expect(drop.status).toBe(409);
    expect((await api.delete(`${B}/pipelines/${pipeline.body.id}`, { token: owner.token })).status).toBe(409);
    const pipelines = await api.get(`${B}/pipelines`, { token: owner.token });
    const main = pipelines.body.data.find((p: { isDefault: boolean }) => p.isDefault);
    expect((await api.delete(`${B}/pipelines/${main.id}`, { token: owner.token })).status).toBe(409);
    // reorder and rename keeps ids; a new stage is added
    const reordered = await api.patch(
      `${B}/pipelines/${pipeline.body.id}`,
      { stages: [{ id: pipeline.body.stages[1].id, name: "Signed" }, { id: pipeline.body.stages[0].id, name: "First call" }, { name: "Live" }] },
      { token: owner.token },
    );
    expect(reordered.status).toBe(200);
    expect(reordered.body.stages.map((s: { name: string }) => s.name)).toEqual(["Signed", "First call", "Live"]);
    expect(reordered.body.stages[1].id).toBe(pipeline.body.stages[0].id);
  });
});

describe("relations without N+1", () => {
  async function leadWith(related: number) {
    const company = await post("/companies", { name: `Related ${related}` });
    // the lead's own contact is older than the others by at least a millisecond (ids begin with the time), so it is
    // never among the company's newest ones: records created in one bulk request share a millisecond and sort randomly
    const own = await post("/contacts", { firstName: "Own", lastName: "Related", companyId: company.body.id });
    await new Promise((r) => setTimeout(r, 3));
    const contacts = await post("/contacts/bulk", {
      items: Array.from({ length: related - 1 }, (_, i) => ({ firstName: `P${i}`, lastName: "Related", companyId: company.body.id })),
    });
    expect(contacts.status).toBe(201);
    const lead = await post("/leads", { title: `Lead ${related}`, companyId: company.body.id, contactId: own.body.id });
    const activities = await post("/activities/bulk", { items: Array.from({ length: related }, (_, i) => ({ type: "call", subject: `Call ${i}`, leadId: lead.body.id })) });
    expect(activities.status).toBe(201);
    return { company, lead };
  }

  it("GET /leads/{id}?include=company,contacts,activities costs the same number of statements for 2 and 200 related records", async () => {
    const small = await leadWith(2);
    const large = await leadWith(200);
    const include = "?include=company,contacts,activities";
    const a = await api.get(`${B}/leads/${small.lead.body.id}${include}`, { token: owner.token });
    const b = await api.get(`${B}/leads/${large.lead.body.id}${include}`, { token: owner.token });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.contacts).toHaveLength(2);
    expect(a.body.more).toBeUndefined();
    // the newest 100 per relation are embedded (the lead's own contact first); `more` continues each cut relation
    expect(b.body.contacts).toHaveLength(101);
    expect(b.body.activities).toHaveLength(100);
    expect(b.body.company.id).toBe(large.company.body.id);
    expect(b.body.contacts[0].id).toBe(large.lead.body.contactId);
    expect(statements(b.headers)).toBe(statements(a.headers));
    expect(Object.keys(b.body.more).sort()).toEqual(["activities", "contacts"]);
    const rest = await api.get(b.body.more.activities.replace(/^\/api\/v1/, ""), { token: owner.token });
    expect(rest.status).toBe(200);
    const embedded = b.body.activities.map((x: { id: string }) => x.id);
    const following = rest.body.data.map((x: { id: string }) => x.id);
    expect(following).toHaveLength(100);
    expect(rest.body.nextCursor).toBeNull();
    // together: all 200, newest first, none twice
    const together = [...embedded, ...following];
    expect(new Set(together).size).toBe(200);
    expect(together).toEqual([...together].sort().reverse());
    const people = await api.get(b.body.more.contacts.replace(/^\/api\/v1/, ""), { token: owner.token });
    expect(people.body.data).toHaveLength(100);
    expect(new Set([...b.body.contacts, ...people.body.data].map((x: { id: string }) => x.id)).size).toBe(200);

    const c1 = await api.get(`${B}/companies/${small.company.body.id}?include=contacts,leads,deals,activities`, { token: owner.token });
    const c2 = await api.get(`${B}/companies/${large.company.body.id}?include=contacts,leads,deals,activities`, { token: owner.token });
    expect(c2.body.contacts).toHaveLength(100);
    expect(Object.keys(c2.body.more).sort()).toEqual(["contacts"]);
    expect(statements(c2.headers)).toBe(statements(c1.headers));

    // a list page with includes: one statement per relation, not per record
    const p1 = await api.get(`${B}/leads?limit=1&include=company,contacts,activities`, { token: owner.token });
    const p2 = await api.get(`${B}/leads?limit=50&include=company,contacts,activities`, { token: owner.token });
    expect(p2.body.data.length).toBeGreaterThan(1);
    expect(statements(p2.headers)).toBe(statements(p1.headers));
  });

  it("include= on contacts and deals lists costs one statement per relation, whatever the page size", async () => {
    const pipeline = await post("/pipelines", { name: "Second", stages: [{ name: "Only" }] });
    const company = await post("/companies", { name: "Deal Co" });
    const contact = await post("/contacts", { firstName: "Dee", lastName: "Al", companyId: company.body.id });
    const deals = await post("/deals/bulk", {
      items: Array.from({ length: 30 }, (_, i) => ({ name: `Include ${i}`, companyId: company.body.id, contactId: contact.body.id, ...(i % 2 ? { pipelineId: pipeline.body.id } : {}) })),
    });
    expect(deals.status).toBe(201);
    const d1 = await api.get(`${B}/deals?sort=-createdAt&limit=1&include=company,contact,activities,pipeline`, { token: owner.token });
    const d30 = await api.get(`${B}/deals?sort=-createdAt&limit=30&include=company,contact,activities,pipeline`, { token: owner.token });
    expect(d30.body.data).toHaveLength(30);
    expect(new Set(d30.body.data.map((d: any) => d.pipeline.id)).size).toBe(2);
    expect(d30.body.data.every((d: any) => d.company.id === company.body.id && d.contact.id === contact.body.id)).toBe(true);
    expect(statements(d30.headers)).toBe(statements(d1.headers));
    const c1 = await api.get(`${B}/contacts?limit=1&include=company,leads,deals,activities`, { token: owner.token });
    const c50 = await api.get(`${B}/contacts?limit=50&include=company,leads,deals,activities`, { token: owner.token });
    expect(c50.body.data.length).toBeGreaterThan(1);
    expect(statements(c50.headers)).toBe(statements(c1.headers));
    const dee = await api.get(`${B}/contacts/${contact.body.id}?include=deals`, { token: owner.token });
    expect(dee.body.deals).toHaveLength(30);
    expect(dee.headers.get("etag")).toMatch(/^W\//);
  });

  it("batch-gets up to 200 ids in one request, in the order asked, leaving unknown ids out", async () => {
    const made = await post("/companies/bulk", { items: Array.from({ length: 200 }, (_, i) => ({ name: `Batch ${i}` })) });
    const ids: string[] = made.body.data.map((c: { id: string }) => c.id);
    const wanted = [...ids].reverse();
    const res = await api.get(`${B}/companies?ids=${wanted.join(",")}`, { token: owner.token });
    expect(res.status).toBe(200);
    expect(res.body.data.map((c: { id: string }) => c.id)).toEqual(wanted);
    expect(statements(res.headers)).toBe(1);
    const withUnknown = await api.get(`${B}/companies?ids=${ids[0]},cmp_01j9z3k4m5n6p7q8r9s0t1v2w3`, { token: owner.token });
    expect(withUnknown.body.data.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    expect((await api.get(`${B}/companies?ids=${[...ids, "cmp_x"].join(",")}`, { token: owner.token })).status).toBe(400);
    expect((await api.get(`${B}/companies?ids=${ids[0]}&industry=x`, { token: owner.token })).status).toBe(400);
  });
});

describe("lists: filters, sorts, stable cursors, search", () => {
  it("walks every page of every sort exactly once, also while records are added", async () => {
    const tag = `walk${Date.now()}`;
    await post("/companies/bulk", { items: Array.from({ length: 45 }, (_, i) => ({ name: `W ${String(i % 7)}`, tags: [tag], industry: i % 2 ? "odd" : "even" })) });
    for (const sort of ["createdAt", "-createdAt", "name", "-name", "updatedAt", "-updatedAt"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const res: any = await api.get(`${B}/companies?tag=${tag}&sort=${sort}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: owner.token });
        expect(res.status, res.text).toBe(200);
        seen.push(...res.body.data.map((c: { id: string }) => c.id));
        if (page === 1) await post("/companies", { name: "W new", tags: [tag] });
        cursor = res.body.nextCursor;
        if (!cursor) break;
      }
      expect(new Set(seen).size, sort).toBe(seen.length);
      expect(seen.length, sort).toBeGreaterThanOrEqual(45);
    }
    const odd = await api.get(`${B}/companies?tag=${tag}&industry=odd&limit=200`, { token: owner.token });
    expect(odd.body.data).toHaveLength(22);
    const byName = await api.get(`${B}/companies?tag=${tag}&sort=name&limit=200`, { token: owner.token });
    const names = byName.body.data.map((c: { name: string }) => c.name);
    expect(names).toEqual([...names].sort((a: string, b: string) => a.localeCompare(b)));
  });

  it("refuses a cursor from another sort, unknown query parameters and bad filters with 400", async () => {
    const page = await api.get(`${B}/companies?limit=1&sort=name`, { token: owner.token });
    expect(page.body.nextCursor).toBeTruthy();
    expect((await api.get(`${B}/companies?sort=createdAt&cursor=${encodeURIComponent(page.body.nextCursor)}`, { token: owner.token })).status).toBe(400);
    expect((await api.get(`${B}/companies?colour=red`, { token: owner.token })).status).toBe(400);
    expect((await api.get(`${B}/companies?sort=colour`, { token: owner.token })).status).toBe(400);
    expect((await api.get(`${B}/companies?createdFrom=yesterday`, { token: owner.token })).status).toBe(400);
    expect((await api.get(`${B}/companies?q=%22%29%28`, { token: owner.token })).status).toBe(400);
    expect((await api.get(`${B}/companies?include=ledger`, { token: owner.token })).status).toBe(400);
  });

  it("keeps due times in UTC, so due ranges and the due sort compare like times", async () => {
    const lead = await post("/leads", { title: "Due" });
    const later = await post("/activities", { type: "task", leadId: lead.body.id, dueAt: "2030-01-01T10:00:00+02:00" });
    const earlier = await post("/activities", { type: "task", leadId: lead.body.id, dueAt: "2030-01-01T09:00:00Z" });
    expect(later.body.dueAt).toBe("2030-01-01T08:00:00.000Z");
    const byDue = await api.get(`${B}/activities?leadId=${lead.body.id}&sort=dueAt`, { token: owner.token });
    expect(byDue.body.data.map((a: { id: string }) => a.id)).toEqual([later.body.id, earlier.body.id]);
    const window = await api.get(`${B}/activities?leadId=${lead.body.id}&dueFrom=2030-01-01T08:30:00Z&dueTo=2030-01-02T00:00:00Z`, { token: owner.token });
    expect(window.body.data.map((a: { id: string }) => a.id)).toEqual([earlier.body.id]);
    const done = await api.patch(`${B}/activities/${earlier.body.id}`, { done: true }, { token: owner.token });
    expect(done.body.doneAt).not.toBeNull();
    expect((await api.get(`${B}/activities?leadId=${lead.body.id}&done=true`, { token: owner.token })).body.data).toHaveLength(1);
  });

  it("filters by created and updated ranges, status, owner and company", async () => {
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const company = await post("/companies", { name: "Ranged" });
    const lead = await post("/leads", { title: "Ranged lead", status: "qualified", companyId: company.body.id });
    const fromNow = await api.get(`${B}/leads?createdFrom=${before}&status=qualified&companyId=${company.body.id}&ownerId=${owner.userId}`, { token: owner.token });
    expect(fromNow.body.data.map((l: { id: string }) => l.id)).toEqual([lead.body.id]);
    const beforeNow = await api.get(`${B}/leads?createdTo=${before}&companyId=${company.body.id}`, { token: owner.token });
    expect(beforeNow.body.data).toEqual([]);
    const updated = await api.get(`${B}/leads?updatedFrom=${before}&sort=-updatedAt`, { token: owner.token });
    expect(updated.body.data.map((l: { id: string }) => l.id)).toContain(lead.body.id);
  });

  it("searches names, emails, domains and titles with prefix words, treating FTS syntax as text", async () => {
    const company = await post("/companies", { name: "Zyxwidget Industries", domain: "zyxwidget.io" });
    const contact = await post("/contacts", { firstName: "Quentin", lastName: "Zyxson", email: "q@zyxmail.example", title: "Chief Gadgeteer" });
    const lead = await post("/leads", { title: "Zyxwidget renewal" });
    const deal = await post("/deals", { name: "Zyxwidget expansion" });
    const ids = async (path: string) => (await api.get(`${B}${path}`, { token: owner.token })).body.data.map((r: { id: string }) => r.id);
    expect(await ids("/companies?q=zyxwid")).toEqual([company.body.id]);
    expect(await ids("/companies?q=zyxwidget.io")).toEqual([company.body.id]);
    expect(await ids("/contacts?q=zyxmail")).toEqual([contact.body.id]);
    expect(await ids("/contacts?q=gadget")).toEqual([contact.body.id]);
    expect(await ids("/contacts?q=quentin%20zyx")).toEqual([contact.body.id]);
    expect(await ids("/leads?q=renewal%20zyx")).toEqual([lead.body.id]);
    expect(await ids("/deals?q=expansion")).toEqual([deal.body.id]);
    expect(await ids(`/companies?q=${encodeURIComponent('zyxwidget" OR name:*')}`)).toEqual([]);
    // renamed records are found by their new name only
    await api.patch(`${B}/companies/${company.body.id}`, { name: "Renamedco" }, { token: owner.token });
    expect(await ids("/companies?q=renamedco")).toEqual([company.body.id]);
    expect(await ids("/companies?q=industries")).toEqual([]);
  });
});

describe("workflow", () => {
  it("converts a lead into a deal in one transaction, and refuses a second conversion", async () => {
    const company = await post("/companies", { name: "Convert Co" });
    const contact = await post("/contacts", { firstName: "Con", lastName: "Vert" });
    const lead = await post("/leads", { title: "Convert me", companyId: company.body.id, contactId: contact.body.id, value: 250000, currency: "EUR" });
    const converted = await post(`/leads/${lead.body.id}/convert`, { expectedClose: "2030-01-31" });
    expect(converted.status).toBe(201);
    const { deal, lead: after } = converted.body;
    expect(deal).toMatchObject({ name: "Convert me", value: 250000, currency: "EUR", companyId: company.body.id, contactId: contact.body.id, status: "open", expectedClose: "2030-01-31" });
    expect(after).toMatchObject({ status: "converted", dealId: deal.id });
    expect((await api.get(`${B}/contacts/${contact.body.id}`, { token: owner.token })).body.companyId).toBe(company.body.id);
    expect((await post(`/leads/${lead.body.id}/convert`, {})).status).toBe(409);
    expect((await api.patch(`${B}/leads/${lead.body.id}`, { status: "new" }, { token: owner.token })).status).toBe(422);
    const withDeal = await api.get(`${B}/leads/${lead.body.id}?include=deal`, { token: owner.token });
    expect(withDeal.body.deal.id).toBe(deal.id);
  });

  it("a conversion that fails changes nothing", async () => {
    const lead = await post("/leads", { title: "Half" });
    const failed = await post(`/leads/${lead.body.id}/convert`, { stageId: "stg_01j9z3k4m5n6p7q8r9s0t1v2w3" });
    expect(failed.status).toBe(400);
    expect((await api.get(`${B}/leads/${lead.body.id}`, { token: owner.token })).body.status).toBe("new");
    expect((await api.get(`${B}/deals?q=half`, { token: owner.token })).body.data).toEqual([]);
  });

  it("records an activity when a deal moves between stages, and sums the pipeline per stage", async () => {
    const pipeline = await post("/pipelines", { name: `Summary ${Date.now()}`, stages: [{ name: "One" }, { name: "Two" }, { name: "Three" }] });
    const [one, two] = pipeline.body.stages;
    const deals = await post("/deals/bulk", {
      items: [
        { name: "S1", pipelineId: pipeline.body.id, value: 1000 },
        { name: "S2", pipelineId: pipeline.body.id, value: 500, currency: "EUR" },
        { name: "S3", stageId: two.id, value: 700 },
        { name: "S4", pipelineId: pipeline.body.id, stageId: two.id, value: 300, status: "won" },
      ],
    });
    expect(deals.status).toBe(201);
    const moved = await api.patch(`${B}/deals/${deals.body.data[0].id}`, { stageId: two.id }, { token: owner.token });
    expect(moved.body).toMatchObject({ stageId: two.id, probability: two.probability });
    const timeline = await api.get(`${B}/activities?dealId=${deals.body.data[0].id}`, { token: owner.token });
    expect(timeline.body.data).toHaveLength(1);
    expect(timeline.body.data[0]).toMatchObject({ type: "stage_change", subject: "Moved from One to Two", done: true });

    const summary = await api.get(`${B}/pipelines/${pipeline.body.id}/summary`, { token: owner.token });
    expect(summary.status).toBe(200);
    expect(summary.body.stages.map((s: any) => [s.name, s.count, s.values])).toEqual([
      ["One", 1, [{ currency: "EUR", amount: 500 }]],
      ["Two", 2, [{ currency: "USD", amount: 1700 }]],
      ["Three", 0, []],
    ]);
    expect(summary.body.totals).toEqual({ open: 3, won: 1, lost: 0 });
    expect(one.position).toBe(1);

    const lost = await api.patch(`${B}/deals/${deals.body.data[2].id}`, { status: "lost", lostReason: "budget" }, { token: owner.token });
    expect(lost.body).toMatchObject({ status: "lost", lostReason: "budget" });
    expect(lost.body.closedAt).not.toBeNull();
    expect((await api.patch(`${B}/deals/${deals.body.data[1].id}`, { lostReason: "x" }, { token: owner.token })).status).toBe(422);
  });
});
