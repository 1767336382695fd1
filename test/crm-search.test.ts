/**
 * Search under a sort (`q=` with `sort=name`, `-updatedAt`…): contacts by name read the bucketed index
 * (contacts_sorted_fts, kept by triggers as contacts are created in any name order, split into new
 * buckets, renamed and deleted); other sorts read and sort few matches, or, for many matches
 * (≥ SORTED_SEARCH_WALK_FROM), walk the sort's index keeping the rows that match. Every way must give
 * exactly the answer the records say — every match once, in the sort's order, across cursor pages and in
 * both directions — with a number of statements that does not depend on how many match.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SORTED_SEARCH_WALK_FROM } from "../src/crm/lists.js";
import { allPages, type Client, client, createBusiness, pagedIds, registerUser } from "./support/api.js";
import { byContactName as byName, CONTACTS_BY_NAME, type Contact, contactMatches as matches, expectBuckets, expectSearchByName } from "./support/crm-buckets.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let token: string;
let B: string;
let businessId: string;

const LAST = ["Zorro", "Adams", "Zorrowitz", "Baker", "Young", "Quill"];
const FIRST = ["Ann", "Zoe", "Bob", "Quincy", "Ed"];

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  const owner = await registerUser(api, "Search Owner");
  token = owner.token;
  businessId = await createBusiness(api, token, "Search Co");
  B = `/businesses/${businessId}`;
  // 1,400 contacts: "zorro" begins a last name, an e-mail or a title of well over the walk threshold,
  // "quill" of a few dozen; names repeat, so the sort's tie-break (the id) is exercised too
  let seed = 11;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  for (const size of [1000, 400]) {
    const items = Array.from({ length: size }, (_, i) => {
      const lastName = rand() < 0.03 ? "Quill" : pick(LAST.slice(0, 5));
      return {
        firstName: pick(FIRST),
        lastName,
        email: rand() < 0.2 ? `zorro${i}@example.com` : `p${size}x${i}@example.com`,
        title: rand() < 0.1 ? "Zorro tamer" : pick(["CEO", "Buyer", "Engineer"]),
      };
    });
    const res = await api.post(`${B}/contacts/bulk`, { items }, { token });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

const everything = () => allPages<Contact>(api, `${B}/contacts`, token);
const searched = (q: string, sort: string) => pagedIds(api, `${B}/contacts?q=${q}&sort=${sort}`, token, 50);

const byUpdated = (a: Contact, b: Contact) => (a.updatedAt < b.updatedAt ? -1 : a.updatedAt > b.updatedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const checkIndex = (expected: number) => expectBuckets(join(server.dataDir, "businesses", `${businessId}.db`), CONTACTS_BY_NAME, expected);

describe("search under a sort", () => {
  it("gives every match once, in order, whether it sorts few matches or walks the index for many", async () => {
    const all = await everything();
    expect(all).toHaveLength(1400);
    const many = all.filter((c) => matches(c, "zorro"));
    const few = all.filter((c) => matches(c, "quill"));
    // the two strategies are both exercised
    expect(many.length).toBeGreaterThanOrEqual(SORTED_SEARCH_WALK_FROM);
    expect(few.length).toBeGreaterThan(0);
    expect(few.length).toBeLessThan(SORTED_SEARCH_WALK_FROM);

    const counts = new Map<string, Set<string>>();
    for (const [word, set] of [["zorro", many], ["quill", few]] as const) {
      for (const [sort, compare] of [["name", byName], ["updatedAt", byUpdated]] as const) {
        const ascending = [...set].sort(compare).map((c) => c.id);
        const up = await searched(word, sort);
        expect(up.ids, `q=${word} sort=${sort}`).toEqual(ascending);
        const down = await searched(word, `-${sort}`);
        expect(down.ids, `q=${word} sort=-${sort}`).toEqual([...ascending].reverse());
        const seen = counts.get(sort) ?? new Set<string>();
        for (const s of [...up.statements, ...down.statements]) seen.add(s);
        counts.set(sort, seen);
      }
    }
    // under one sort, the same number of statements for few and many matches, on every page
    expect([...counts.values()].map((c) => c.size)).toEqual([1, 1]);
  });

  it("stays exact after renames and deletes, with the bucketed index equal to the contacts", async () => {
    const before = await everything();
    const zorros = before.filter((c) => matches(c, "zorro"));
    // rename some (their name order changes: they move to other buckets), and delete some
    for (const [i, c] of zorros.slice(0, 60).entries()) {
      const res = await api.patch(`${B}/contacts/${c.id}`, i % 2 === 0 ? { lastName: "Aardvark" } : { firstName: "Zzz", lastName: "Zorrino" }, { token });
      expect(res.status).toBe(200);
    }
    for (const c of zorros.slice(60, 100)) expect((await api.delete(`${B}/contacts/${c.id}`, { token })).status).toBe(204);
    const all = await everything();
    expect(all).toHaveLength(1360);
    for (const word of ["zorro", "aardvark", "zzz"]) await expectSearchByName(api, B, token, all, word, 50);
    checkIndex(1360);
  });

  it("keeps every bucket at or under 128 when many contacts of one name are created, one at a time, at the end of their run", async () => {
    // a long run of one name (two cases: one key under NOCASE) in the middle of the name order: three bulks
    // land across the run's last part (a bulk's ids are minted within a few milliseconds, in random order
    // within one) and close up the bucket numbers there; contacts created one at a time then all join the
    // run's very end. 0006's split halved the gap to the next bucket every time and ran out of numbers there
    // after about 1,200 such creates (the last bucket then grew without bound: several hundred after 2,000);
    // 0009's gives the upper half at most 64 numbers when the
    // lower half lies inside the run, keeping the rest of the gap for the run's end
    const mills = (i: number) => ({ firstName: i % 2 === 0 ? "Ann" : "ANN", lastName: i % 3 === 0 ? "MILLS" : "Mills", email: `mills${i}@example.com`, title: "Buyer" });
    for (let k = 0; k < 3; k++) {
      const items = Array.from({ length: 1000 }, (_, i) => mills(10_000 * (k + 1) + i));
      expect((await api.post(`${B}/contacts/bulk`, { items }, { token })).status).toBe(201);
    }
    for (let i = 0; i < 2000; i++) {
      const res = await api.post(`${B}/contacts`, mills(50_000 + i), { token });
      expect(res.status).toBe(201);
    }
    const all = await everything();
    expect(all).toHaveLength(6360);
    // the run spans many buckets, and the searches over it and around it stay exact across pages, both directions
    for (const word of ["mills", "ann", "zorro"]) await expectSearchByName(api, B, token, all, word, 50);
    checkIndex(6360);
  });
});
