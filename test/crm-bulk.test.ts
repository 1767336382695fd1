/**
 * Bulk create, CSV import and streaming CSV export against the real server: all or nothing with
 * per-row errors, clear reports for broken files, RFC 4180 quoting and formula-injection safety.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../src/crm/csv.js";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let owner: Awaited<ReturnType<typeof registerUser>>;
let B: string;

const post = (path: string, body: unknown, headers?: Record<string, string>) => api.post(`${B}${path}`, body, { token: owner.token, headers });
const count = async (path: string) => {
  let n = 0;
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const res: any = await api.get(`${B}${path}${path.includes("?") ? "&" : "?"}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: owner.token });
    n += res.body.data.length;
    cursor = res.body.nextCursor;
    if (!cursor) return n;
  }
  throw new Error("too many pages");
};
async function exportText(path: string) {
  const res = await fetch(`${server.url}/api/v1${B}${path}`, { headers: { Authorization: `Bearer ${owner.token}` } });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  owner = await registerUser(api, "Bulk Owner");
  B = `/businesses/${await createBusiness(api, owner.token, "Bulk Co")}`;
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

describe("bulk create", () => {
  it("creates 1,000 records in one request, in order, each audited", async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ name: `Bulk ${i}`, tags: ["bulk"] }));
    const res = await post("/companies/bulk", { items });
    expect(res.status, res.text.slice(0, 300)).toBe(201);
    expect(res.body.data).toHaveLength(1000);
    expect(res.body.data.map((c: { name: string }) => c.name)).toEqual(items.map((i) => i.name));
    expect(await count("/companies?tag=bulk")).toBe(1000);
    expect((await api.get(`${B}/audit/verify`, { token: owner.token })).body).toMatchObject({ valid: true });
  });

  it("refuses more than 1,000 items with 400", async () => {
    const res = await post("/contacts/bulk", { items: Array.from({ length: 1001 }, () => ({ firstName: "A", lastName: "B" })) });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe("items");
  });

  it("is all or nothing, reporting every refused row", async () => {
    const shape = await post("/contacts/bulk", { items: [{ firstName: "Ok", lastName: "One" }, { firstName: "Bad", lastName: "Mail", email: "nope" }, { firstName: "X" }] });
    expect(shape.status).toBe(400);
    expect(shape.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["items.1.email", "items.2.lastName"]);
    const refs = await post("/contacts/bulk", {
      items: [
        { firstName: "Ok", lastName: "Two", tags: ["allornothing"] },
        { firstName: "Ghost", lastName: "Company", companyId: "cmp_01j9z3k4m5n6p7q8r9s0t1v2w3", tags: ["allornothing"] },
        { firstName: "Ghost", lastName: "Owner", ownerId: "usr_nobody", tags: ["allornothing"] },
      ],
    });
    expect(refs.status).toBe(422);
    expect(refs.body.errors).toEqual([
      { path: "items.1.companyId", message: "no such company in this business" },
      { path: "items.2.ownerId", message: "not a member of this business" },
    ]);
    expect(refs.body.detail).toContain("2 of 3 rows");
    expect(await count("/contacts?tag=allornothing")).toBe(0);
  });
});

describe("CSV import", () => {
  it("maps headers, imports every row in one go, and resolves companies by domain", async () => {
    await post("/companies", { name: "Importer Target", domain: "target.example" });
    const csv = [
      "Given name,Surname,E-mail address,Job title,Company domain,Tags,Notes",
      'Ada,Lovelace,ADA@target.example,"Countess, Analyst",target.example,math;vip,ignored',
      'Grace,"Hopper ""Amazing""",grace@navy.example,Rear Admiral,,navy,',
      "",
    ].join("\r\n");
    const res = await post("/contacts/import", { csv, mapping: { "Given name": "firstName", Notes: "", "E-mail address": "email" } });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ imported: 2, dryRun: false });
    const [ada, grace] = (await api.get(`${B}/contacts?ids=${res.body.ids.join(",")}&include=company`, { token: owner.token })).body.data;
    expect(ada).toMatchObject({ firstName: "Ada", lastName: "Lovelace", email: "ada@target.example", title: "Countess, Analyst", tags: ["math", "vip"] });
    expect(ada.company.domain).toBe("target.example");
    expect(grace).toMatchObject({ lastName: 'Hopper "Amazing"', companyId: null, tags: ["navy"] });
  });

  it("imports companies with addresses, and a dry run imports nothing", async () => {
    const csv = "Name,Domain,Industry,City,Country\nDry Co,dry.example,Water,Oslo,NO\n";
    const mapping = { City: "address.city", Country: "address.country" };
    const dry = await post("/companies/import", { csv, mapping, dryRun: true });
    expect(dry.status, dry.text).toBe(200);
    expect(dry.body).toEqual({ imported: 0, dryRun: true, ids: [] });
    expect(await count("/companies?domain=dry.example")).toBe(0);
    const real = await post("/companies/import", { csv, mapping });
    expect(real.status).toBe(201);
    const company = (await api.get(`${B}/companies/${real.body.ids[0]}`, { token: owner.token })).body;
    expect(company).toMatchObject({ name: "Dry Co", domain: "dry.example", industry: "Water", address: { city: "Oslo", country: "NO" } });
  });

  it("reports every bad row with its number and imports nothing", async () => {
    const csv = ["First name,Last name,Email,Company domain", "Ok,Row,ok@x.example,", "Bad,Mail,not-mail,", ",Nofirst,,", "Ok,Again,,nowhere.example", "Too,Many,cells,x,y"].join("\n");
    const res = await post("/contacts/import", { csv });
    expect(res.status).toBe(422);
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["rows.2.email", "rows.3.firstName", "rows.4.companyDomain", "rows.5"]));
    expect(paths.some((p: string) => p.startsWith("rows.1"))).toBe(false);
    expect(await count("/contacts?q=row")).toBe(0);
  });

  it("answers broken quoting, a wrong encoding, unknown columns and too many rows with a clear report", async () => {
    const broken = await post("/contacts/import", { csv: 'First name,Last name\nA,"B\nC,D\n' });
    expect(broken.status).toBe(400);
    expect(broken.body.detail).toMatch(/line 2/);
    const stray = await post("/contacts/import", { csv: 'First name,Last name\nA,B"C\n' });
    expect(stray.status).toBe(400);
    const latin1 = await post("/contacts/import", { csv: Buffer.from("First name,Last name\nJos\xe9,M\n", "latin1").toString("utf8") });
    expect(latin1.status).toBe(400);
    expect(latin1.body.detail).toMatch(/UTF-8/);
    const unknown = await post("/contacts/import", { csv: "First name,Last name,Shoe size\nA,B,44\n" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0]).toMatchObject({ path: "columns.2" });
    const rows = Array.from({ length: 10_001 }, (_, i) => `A${i},B`).join("\n");
    const big = await post("/contacts/import", { csv: `First name,Last name\n${rows}\n` });
    expect(big.status).toBe(422);
    expect(big.body.detail).toMatch(/at most 10000 rows/);
    const huge = await post("/contacts/import", { csv: `First name,Last name\n${"Ab,Cd\n".repeat(200_000)}` });
    expect(huge.status).toBe(413);
    expect(await count("/contacts?q=a0")).toBe(0);
  });
});

describe("CSV export", () => {
  it("streams a filtered list as RFC 4180 CSV with formula-like cells defused", async () => {
    const tag = "export";
    await post("/companies/bulk", {
      items: [
        { name: "=HYPERLINK(\"http://evil\",\"x\")", industry: "Spreadsheets", tags: [tag] },
        { name: "Quote \"Co\", Ltd\nSecond line", industry: "Spreadsheets", tags: [tag], address: { city: "+Plus", country: "GB" } },
        { name: "@Sum", industry: "Other", tags: [tag] },
        { name: "-1+1", industry: "Spreadsheets", tags: [tag] },
      ],
    });
    const res = await exportText(`/companies/export?tag=${tag}&industry=Spreadsheets&sort=name`);
    expect(res.status).toBe(200);
    expect(res.type).toContain("text/csv");
    expect(res.text.endsWith("\r\n")).toBe(true);
    const parsed = parseCsv(res.text, 100);
    if ("error" in parsed) throw new Error(parsed.error.message);
    const [header, ...rows] = parsed.rows;
    expect(header!.slice(0, 4)).toEqual(["id", "name", "domain", "industry"]);
    const names = rows.map((r) => r[1]);
    expect(names).toEqual(["'-1+1", "'=HYPERLINK(\"http://evil\",\"x\")", 'Quote "Co", Ltd\nSecond line']);
    const city = header!.indexOf("address.city");
    expect(rows[2]![city]).toBe("'+Plus");
    expect(rows.every((r) => r.length === header!.length)).toBe(true);
  });

  it("exports every matching record across many pages exactly once", async () => {
    await post("/contacts/bulk", { items: Array.from({ length: 1000 }, (_, i) => ({ firstName: `E${i}`, lastName: "Exported", tags: ["many"] })) });
    await post("/contacts/bulk", { items: Array.from({ length: 234 }, (_, i) => ({ firstName: `F${i}`, lastName: "Exported", tags: ["many"] })) });
    const res = await exportText("/contacts/export?tag=many&sort=-createdAt");
    const parsed = parseCsv(res.text, 5000);
    if ("error" in parsed) throw new Error(parsed.error.message);
    const ids = parsed.rows.slice(1).map((r) => r[0]);
    expect(ids).toHaveLength(1234);
    expect(new Set(ids).size).toBe(1234);
    expect([...ids].sort().reverse()).toEqual(ids);
    const filtered = await exportText("/contacts/export?tag=nothing-has-this");
    expect(filtered.text.split("\r\n").filter((l) => l.length > 0)).toHaveLength(1);
    expect((await exportText("/contacts/export?limit=5")).status).toBe(400);
  });
});
