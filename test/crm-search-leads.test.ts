/**
 * Leads searched and sorted by score (`q=` with `sort=score` / `-score`): they read the bucketed index
 * leads_sorted_fts (migration 0007), kept by triggers as leads are created with any score (or none: one long
 * run of score_sort = -1 in sort order, which the buckets split like any other), rescored, retitled and
 * deleted. Every page must give exactly the answer the records say — every match once, in (score, id)
 * order with unscored leads first ascending and last descending, across cursor pages — and the index must
 * hold exactly one entry per lead, under its current bucket, with no bucket past 128 leads — also after
 * thousands of unscored leads have all joined the end of the unscored run (the split's gap rule, 0007).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SORTED_SEARCH_WALK_FROM } from "../src/crm/lists.js";
import { allPages, type Client, client, createBusiness, pagedIds, registerUser } from "./support/api.js";
import { expectBuckets, LEADS_BY_SCORE } from "./support/crm-buckets.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let token: string;
let B: string;
let businessId: string;

interface Lead {
  id: string;
  title: string;
  source: string | null;
  score: number | null;
}

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
// about a third unscored; scores from a small range, so many leads share one and the tie-break (the id) counts
const randomScore = () => (rand() < 0.35 ? null : Math.floor(rand() * 12) * 9);
const SOURCES = ["web", "referral", "renewal fair", null] as const;
const randomLead = (i: number) => {
  const r = rand();
  // every title holds "Lead", which the index check below matches on; "renewal" well over the walk
  // threshold, "upsell" a few dozen
  const word = r < 0.55 ? "Renewal" : r < 0.58 ? "Upsell" : pick(["Expansion", "Pilot", "Inbound"]);
  return { title: `Lead ${word} ${i}`, source: pick(SOURCES), score: randomScore() };
};

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  const owner = await registerUser(api, "Lead Search Owner");
  token = owner.token;
  businessId = await createBusiness(api, token, "Lead Search Co");
  B = `/businesses/${businessId}`;
  for (const size of [1000, 400]) {
    const items = Array.from({ length: size }, (_, i) => randomLead(i));
    const res = await api.post(`${B}/leads/bulk`, { items }, { token });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

const words = (l: Lead) => [l.title, l.source ?? ""].join(" ").toLowerCase().split(/[^a-z0-9]+/);
const matches = (l: Lead, word: string) => words(l).some((w) => w.startsWith(word));
const byScore = (a: Lead, b: Lead) => {
  const sa = a.score ?? -1;
  const sb = b.score ?? -1;
  return sa !== sb ? sa - sb : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
};

const everything = () => allPages<Lead>(api, `${B}/leads`, token);
const searched = (q: string, sort: string) => pagedIds(api, `${B}/leads?q=${q}&sort=${sort}`, token, 37);

async function expectExact(all: Lead[], word: string) {
  const ascending = all.filter((l) => matches(l, word)).sort(byScore).map((l) => l.id);
  expect(ascending.length, `matches of ${word}`).toBeGreaterThan(0);
  const up = await searched(word, "score");
  expect(up.ids, `q=${word} sort=score`).toEqual(ascending);
  const down = await searched(word, "-score");
  expect(down.ids, `q=${word} sort=-score`).toEqual([...ascending].reverse());
  return [...up.statements, ...down.statements];
}

function checkIndex(expected: number) {
  expectBuckets(join(server.dataDir, "businesses", `${businessId}.db`), LEADS_BY_SCORE, expected, (db) => {
    // the unscored leads are one run in sort order, split over several buckets
    const nullBuckets = db.prepare("SELECT count(DISTINCT score_bucket) AS n FROM leads WHERE score IS NULL").get() as { n: number };
    expect(nullBuckets.n).toBeGreaterThan(1);
  });
}

describe("leads searched and sorted by score", () => {
  it("gives every match once, in score order, both directions, for many and few matches", async () => {
    const all = await everything();
    expect(all).toHaveLength(1400);
    expect(all.filter((l) => matches(l, "renewal")).length).toBeGreaterThanOrEqual(SORTED_SEARCH_WALK_FROM);
    expect(all.filter((l) => l.score === null).length).toBeGreaterThan(300);
    const statements = new Set<string>();
    for (const word of ["renewal", "upsell", "web"]) for (const s of await expectExact(all, word)) statements.add(s);
    // one statement per page, however many match
    expect([...statements]).toEqual(["1"]);
    checkIndex(1400);
  });

  it("stays exact after creates, rescoring (to and from no score), retitling and deletes", async () => {
    // created one by one and in bulk: unscored ones all join the end of the unscored run, so its buckets split
    for (let i = 0; i < 30; i++) {
      const res = await api.post(`${B}/leads`, randomLead(2000 + i), { token });
      expect(res.status).toBe(201);
    }
    // 3,000 unscored leads created after the others all join the end of the unscored run: halving the gap
    // to the next bucket at every split there would run out of bucket numbers after about 30 splits
    for (let k = 0; k < 3; k++) {
      const unscored = Array.from({ length: 1000 }, (_, i) => ({ ...randomLead(10_000 * (k + 1) + i), score: null }));
      expect((await api.post(`${B}/leads/bulk`, { items: unscored }, { token })).status).toBe(201);
    }
    const fifty = Array.from({ length: 200 }, (_, i) => ({ ...randomLead(4000 + i), score: 50 }));
    expect((await api.post(`${B}/leads/bulk`, { items: fifty }, { token })).status).toBe(201);

    const before = await everything();
    expect(before).toHaveLength(4630);
    const renewals = before.filter((l) => matches(l, "renewal"));
    // rescore: some to another score, some to none, some unscored ones to a score (they leave the unscored run)
    for (const [i, l] of renewals.slice(0, 80).entries()) {
      const score = i % 4 === 0 ? null : i % 4 === 1 ? 100 : i % 4 === 2 ? 0 : Math.floor(rand() * 101);
      const res = await api.patch(`${B}/leads/${l.id}`, { score }, { token });
      expect(res.status).toBe(200);
      expect(res.body.score).toBe(score);
    }
    for (const l of before.filter((x) => x.score === null && !matches(x, "renewal")).slice(0, 20)) {
      const res = await api.patch(`${B}/leads/${l.id}`, { title: `Lead Renewal rescored ${l.id}`, score: 77 }, { token });
      expect(res.status).toBe(200);
    }
    // retitle: out of the search, into it, and a source change
    for (const [i, l] of renewals.slice(80, 120).entries()) {
      const body = i % 2 === 0 ? { title: `Lead Churned ${i}` } : { source: "renewal desk", title: `Lead Winback ${i}` };
      expect((await api.patch(`${B}/leads/${l.id}`, body, { token })).status).toBe(200);
    }
    for (const l of renewals.slice(120, 160)) expect((await api.delete(`${B}/leads/${l.id}`, { token })).status).toBe(204);

    const all = await everything();
    expect(all).toHaveLength(4590);
    for (const word of ["renewal", "churned", "winback", "rescored", "upsell"]) await expectExact(all, word);
    checkIndex(4590);
  });
});
