/**
 * Companies searched and sorted by name (`q=` with `sort=name` / `-name`): they read the bucketed index
 * companies_sorted_fts (migration 0008), kept by triggers as companies are created (one by one and in bulk,
 * in any name order), renamed, given another domain or website, and deleted. Names are compared as the list
 * sorts them — `name` is COLLATE NOCASE, so "Globex", "globex" and "GLOBEX" are one key and the id breaks the
 * tie — and many companies share a name, so runs of equal keys span several buckets. Every page must give
 * exactly the answer the records say — every match once, in (NOCASE name, id) order, both directions,
 * across cursor pages, one statement a page — and the index must hold exactly one entry per company, under
 * its current bucket, with no bucket past 128 companies.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SORTED_SEARCH_WALK_FROM } from "../src/crm/lists.js";
import { allPages, type Client, client, createBusiness, pagedIds, registerUser } from "./support/api.js";
import { COMPANIES_BY_NAME, expectBuckets } from "./support/crm-buckets.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let token: string;
let B: string;
let businessId: string;

interface Company {
  id: string;
  name: string;
  domain: string | null;
  website: string | null;
}

let seed = 11;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
// few distinct names, in several cases: long runs of equal keys (under NOCASE) that the id orders
const GLOBEX = ["Globex", "globex", "GLOBEX", "Globex Labs", "globex labs", "GloBex Labs", "Globex Zeta"] as const;
const OTHER = ["Initech", "initech", "Umbrella", "Hooli", "hooli", "Acme Labs", "Vandelay"] as const;
const randomName = (i: number) => {
  const r = rand();
  // "globex" well over the walk threshold; an occasional unique name between the runs
  if (r < 0.55) return pick(GLOBEX);
  if (r < 0.9) return pick(OTHER);
  return `${pick(["Aardvark", "Mango", "zebra", "Quartz"])} ${i}`;
};
const randomCompany = (i: number) => ({
  name: randomName(i),
  domain: rand() < 0.1 ? `d${i}.fabrikam.com` : rand() < 0.5 ? `d${i}.example.com` : null,
  website: rand() < 0.4 ? `https://w${i}.example.org` : null,
});

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  const owner = await registerUser(api, "Company Search Owner");
  token = owner.token;
  businessId = await createBusiness(api, token, "Company Search Co");
  B = `/businesses/${businessId}`;
  for (const size of [1000, 400]) {
    const items = Array.from({ length: size }, (_, i) => randomCompany(i));
    const res = await api.post(`${B}/companies/bulk`, { items }, { token });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

const words = (c: Company) => [c.name, c.domain ?? "", c.website ?? ""].join(" ").toLowerCase().split(/[^a-z0-9]+/);
const matches = (c: Company, word: string) => words(c).some((w) => w.startsWith(word));
// SQLite's NOCASE folds ASCII A–Z only (the names here are ASCII), then compares bytes; the id breaks ties
const nocase = (s: string) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: Company, b: Company) => cmp(nocase(a.name), nocase(b.name)) || cmp(a.id, b.id);

const everything = () => allPages<Company>(api, `${B}/companies`, token);
const searched = (q: string, sort: string) => pagedIds(api, `${B}/companies?q=${q}&sort=${sort}`, token, 37);

async function expectExact(all: Company[], word: string) {
  const ascending = all.filter((c) => matches(c, word)).sort(byName).map((c) => c.id);
  expect(ascending.length, `matches of ${word}`).toBeGreaterThan(0);
  const up = await searched(word, "name");
  expect(up.ids, `q=${word} sort=name`).toEqual(ascending);
  const down = await searched(word, "-name");
  expect(down.ids, `q=${word} sort=-name`).toEqual([...ascending].reverse());
  return [...up.statements, ...down.statements];
}

function checkIndex(expected: number) {
  // buckets follow the name order (the column's NOCASE)
  expectBuckets(join(server.dataDir, "businesses", `${businessId}.db`), COMPANIES_BY_NAME, expected, (db) => {
    // the run of plain "globex" (any case) is longer than a bucket, so it is split over several
    const globexBuckets = db.prepare("SELECT count(DISTINCT name_bucket) AS n FROM companies WHERE name = 'GLOBEX'").get() as { n: number };
    expect(globexBuckets.n).toBeGreaterThan(1);
  });
}

describe("companies searched and sorted by name", () => {
  it("gives every match once, in NOCASE name order, both directions, for many and few matches", async () => {
    const all = await everything();
    expect(all).toHaveLength(1400);
    expect(all.filter((c) => matches(c, "globex")).length).toBeGreaterThanOrEqual(SORTED_SEARCH_WALK_FROM);
    // the names really differ in case within one key
    expect(new Set(all.filter((c) => nocase(c.name) === "globex").map((c) => c.name)).size).toBe(3);
    const statements = new Set<string>();
    for (const word of ["globex", "labs", "fabrikam", "hooli"]) for (const s of await expectExact(all, word)) statements.add(s);
    // one statement per page, however many match
    expect([...statements]).toEqual(["1"]);
    checkIndex(1400);
  });

  it("stays exact after creates in any order, bulk creates, renames, domain and website edits and deletes", async () => {
    // one by one, names all over the order (before the first, after the last, inside the runs)
    for (let i = 0; i < 30; i++) {
      const name = i % 3 === 0 ? pick(["0 First", "AAA", "zzz Last", "ZZZZ"]) : randomName(2000 + i);
      const res = await api.post(`${B}/companies`, { ...randomCompany(2000 + i), name }, { token });
      expect(res.status).toBe(201);
    }
    // 3,000 companies of one name (three cases) created after the others all join the tail of that run
    for (let k = 0; k < 3; k++) {
      const items = Array.from({ length: 1000 }, (_, i) => ({ ...randomCompany(10_000 * (k + 1) + i), name: pick(["Globex", "globex", "GLOBEX"]) }));
      expect((await api.post(`${B}/companies/bulk`, { items }, { token })).status).toBe(201);
    }
    // a bulk's ids are minted within a few milliseconds (random order within one), so its companies land across
    // the run's last thousand or so; companies created one at a time all land at its very end, where the split gives
    // the upper half at most 64 bucket numbers (0007's rule) — halving the gap there on every split runs out
    // of numbers after several hundred creates once the bulks have split the run's end into close buckets
    for (let i = 0; i < 1200; i++) {
      const res = await api.post(`${B}/companies`, { name: pick(["Globex", "globex", "GLOBEX"]) }, { token });
      expect(res.status).toBe(201);
    }
    // and a bulk in mixed order
    const mixed = Array.from({ length: 300 }, (_, i) => randomCompany(40_000 + i));
    expect((await api.post(`${B}/companies/bulk`, { items: mixed }, { token })).status).toBe(201);

    const before = await everything();
    expect(before).toHaveLength(5930);
    const globex = before.filter((c) => matches(c, "globex"));
    // renames: out of the search, to another place in it, a case change only (same key), into it
    for (const [i, c] of globex.slice(0, 60).entries()) {
      const name = i % 3 === 0 ? `Wayne Enterprises ${i}` : i % 3 === 1 ? pick(GLOBEX) : c.name.toUpperCase();
      const res = await api.patch(`${B}/companies/${c.id}`, { name }, { token });
      expect(res.status).toBe(200);
      expect(res.body.name).toBe(name);
    }
    for (const c of before.filter((x) => !matches(x, "globex")).slice(0, 20)) {
      expect((await api.patch(`${B}/companies/${c.id}`, { name: `globex renamed ${c.id}` }, { token })).status).toBe(200);
    }
    // domain and website edits: the name stays, the words change
    for (const [i, c] of globex.slice(60, 100).entries()) {
      const body = i % 2 === 0 ? { domain: `n${i}.contoso.com` } : { website: `https://contoso.net/${i}`, domain: null };
      expect((await api.patch(`${B}/companies/${c.id}`, body, { token })).status).toBe(200);
    }
    for (const c of globex.slice(100, 140)) expect((await api.delete(`${B}/companies/${c.id}`, { token })).status).toBe(204);

    const all = await everything();
    expect(all).toHaveLength(5890);
    for (const word of ["globex", "wayne", "renamed", "contoso", "fabrikam", "labs"]) await expectExact(all, word);
    checkIndex(5890);
  });
});
