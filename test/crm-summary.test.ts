/**
 * The pipeline summary is read from `deal_totals`, a table the deals' triggers keep (migration 0006).
 * This proves it equal to the deals themselves — recomputed from the deals list through the API and,
 * in the database, from a GROUP BY over `deals` — after a seeded sequence of creates, bulk creates, a
 * refused bulk create, stage moves (within and across pipelines), value and currency edits, won/lost and
 * reopening, deletes and lead conversions.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allPages, type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let token: string;
let B: string;
let businessId: string;

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  const owner = await registerUser(api, "Summary Owner");
  token = owner.token;
  businessId = await createBusiness(api, token, "Summary Co", "USD");
  B = `/businesses/${businessId}`;
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

interface Deal {
  id: string;
  pipelineId: string;
  stageId: string;
  status: string;
  value: number | null;
  currency: string | null;
}
interface Pipeline {
  id: string;
  stages: { id: string; name: string; position: number }[];
}

/** The summary as the deals say it should be: open deals per stage with their value per currency, deals per status. */
function expected(pipeline: Pipeline, deals: Deal[]) {
  const mine = deals.filter((d) => d.pipelineId === pipeline.id);
  return {
    pipelineId: pipeline.id,
    stages: pipeline.stages.map((s) => {
      const open = mine.filter((d) => d.stageId === s.id && d.status === "open");
      const values = new Map<string, number>();
      for (const d of open) if (d.currency !== null) values.set(d.currency, (values.get(d.currency) ?? 0) + (d.value ?? 0));
      return {
        stageId: s.id,
        name: s.name,
        position: s.position,
        count: open.length,
        values: [...values].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amount })),
      };
    }),
    totals: {
      open: mine.filter((d) => d.status === "open").length,
      won: mine.filter((d) => d.status === "won").length,
      lost: mine.filter((d) => d.status === "lost").length,
    },
  };
}

async function check(pipelines: Pipeline[], step: string) {
  const deals = await allPages<Deal>(api, `${B}/deals`, token);
  for (const p of pipelines) {
    const res = await api.get(`${B}/pipelines/${p.id}/summary`, { token });
    expect(res.status).toBe(200);
    expect(res.body, `summary of ${p.id} after ${step}`).toEqual(expected(p, deals));
  }
  const db = new Database(join(server.dataDir, "businesses", `${businessId}.db`), { readonly: true, fileMustExist: true });
  try {
    const kept = db.prepare("SELECT pipeline_id, status, stage_id, currency, n, amount, valued FROM deal_totals ORDER BY 1, 2, 3, 4").all();
    const recomputed = db
      .prepare(
        `SELECT pipeline_id, status, stage_id, coalesce(currency, '') AS currency, count(*) AS n, coalesce(sum(value), 0) AS amount, count(value) AS valued
           FROM deals GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      )
      .all();
    expect(kept, `deal_totals after ${step}`).toEqual(recomputed);
  } finally {
    db.close();
  }
  return deals;
}

describe("pipeline summary kept by triggers", () => {
  it("equals the deals after creates, moves, edits, won/lost, deletes and conversions", async () => {
    const other = await api.post(`${B}/pipelines`, { name: "Partners", stages: [{ name: "Intro" }, { name: "Pilot" }, { name: "Signed" }] }, { token });
    expect(other.status).toBe(201);
    const list = await api.get(`${B}/pipelines`, { token });
    const pipelines: Pipeline[] = list.body.data;
    expect(pipelines).toHaveLength(2);
    const stages = pipelines.flatMap((p) => p.stages.map((s) => ({ pipelineId: p.id, stageId: s.id })));
    const company = await api.post(`${B}/companies`, { name: "Summary Buyer" }, { token });

    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const money = () => (rand() < 0.2 ? null : Math.floor(rand() * 100_000));
    const currency = () => pick(["USD", "EUR", "GBP", null] as const);
    const body = () => {
      const s = pick(stages);
      const out: Record<string, unknown> = { name: `Deal ${Math.floor(rand() * 1e6)}`, stageId: s.stageId, value: money() };
      const c = currency();
      if (c !== null) out.currency = c;
      return out;
    };

    let deals = await check(pipelines, "start");
    expect(deals).toHaveLength(0);
    const created = await api.post(`${B}/deals/bulk`, { items: Array.from({ length: 12 }, body) }, { token });
    expect(created.status).toBe(201);
    deals = await check(pipelines, "a bulk create");

    // a refused bulk create writes nothing, so the totals do not move either
    const refused = await api.post(`${B}/deals/bulk`, { items: [body(), { ...body(), stageId: "stg_00000000000000000000000000" }] }, { token });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    deals = await check(pipelines, "a refused bulk create");

    const seen = new Set<string>();
    for (let step = 0; step < 60; step++) {
      const op = rand();
      const target = deals.length > 0 ? pick(deals) : undefined;
      let label: string;
      let res: { status: number } | undefined;
      if (op < 0.15 || !target) {
        label = "create";
        res = await api.post(`${B}/deals`, body(), { token });
        expect(res.status).toBe(201);
      } else if (op < 0.35) {
        label = "move";
        res = await api.patch(`${B}/deals/${target.id}`, { stageId: pick(stages).stageId }, { token });
      } else if (op < 0.5) {
        label = "edit value and currency";
        const c = currency();
        const v = money();
        res = await api.patch(`${B}/deals/${target.id}`, c === null && v !== null ? { value: v } : { value: v, currency: c }, { token });
      } else if (op < 0.7) {
        const status = pick(["won", "lost", "open"] as const);
        label = `status ${status}`;
        res = await api.patch(`${B}/deals/${target.id}`, status === "lost" ? { status, lostReason: "budget" } : { status, lostReason: null }, { token });
      } else if (op < 0.85) {
        label = "delete";
        res = await api.delete(`${B}/deals/${target.id}`, { token });
        expect(res.status).toBe(204);
      } else {
        label = "convert a lead";
        const lead = await api.post(`${B}/leads`, { title: `Lead ${step}`, value: money(), companyId: company.body.id }, { token });
        res = await api.post(`${B}/leads/${lead.body.id}/convert`, { stageId: pick(stages).stageId }, { token });
        expect([200, 201]).toContain(res.status);
      }
      expect(res.status, label).toBeLessThan(300);
      seen.add(label.startsWith("status") ? "status" : label);
      if (step % 6 === 5) deals = await check(pipelines, `step ${step} (${label})`);
      else deals = await allPages<Deal>(api, `${B}/deals`, token);
    }
    deals = await check(pipelines, "the end");
    expect([...seen].sort()).toEqual(["convert a lead", "create", "delete", "edit value and currency", "move", "status"]);
    expect(deals.some((d) => d.status === "won") && deals.some((d) => d.status === "lost") && deals.some((d) => d.status === "open")).toBe(true);
  });
});
