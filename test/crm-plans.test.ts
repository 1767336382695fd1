/**
 * Lists that stay fast: every list and search query the CRM can issue (each filter alone, with each
 * sort, both directions, first page and later pages, search, tags, ranges, batch get and includes) is
 * run through EXPLAIN QUERY PLAN against a business database the real server created and migrated.
 * A full scan of a CRM table fails the test; so does sorting a whole table or a filtered set when an
 * index could have delivered the order.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildListQuery, LISTS, type ListParams, type ListSpec } from "../src/crm/lists.js";
import * as store from "../src/crm/store.js";
import { Db, DbMeter, type SqlConnection } from "../src/platform/sql.js";
import { client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let db: Database.Database;

beforeAll(async () => {
  server = await startServer();
  const api = client(server.url);
  const owner = await registerUser(api, "Planner");
  const businessId = await createBusiness(api, owner.token, "Plans");
  // the server creates and migrates the business database on first use
  expect((await api.get(`/businesses/${businessId}/companies`, { token: owner.token })).status).toBe(200);
  db = new Database(join(server.dataDir, "businesses", `${businessId}.db`), { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  db?.close();
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

const plan = (sql: string, params: unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);

interface Case {
  label: string;
  sql: string;
  params: unknown[];
  /** An equality filter or tag narrows the set: the table must be searched through an index, never walked. */
  narrowed: boolean;
  /** Search and tag results under another sort than creation order are sorted after the lookup: a temp b-tree is allowed there. */
  maySort: boolean;
  /** A search read from a bucketed index: the page's reading of it must be bounded by rowid on this side (FTS5 index string `<` or `>`). */
  bucketed?: "<" | ">" | undefined;
}

function listCases(spec: ListSpec): Case[] {
  const out: Case[] = [];
  const sample = (type: string) => (type === "bool" ? 1 : "x");
  const variants: { label: string; p: Partial<ListParams>; narrowed: boolean; search?: boolean; tag?: boolean }[] = [
    { label: "no filter", p: {}, narrowed: false },
    { label: "created range", p: { createdFrom: "2025-01-01T00:00:00.000Z", createdTo: "2026-01-01T00:00:00.000Z" }, narrowed: false },
    { label: "updated range", p: { updatedFrom: "2025-01-01T00:00:00.000Z", updatedTo: "2026-01-01T00:00:00.000Z" }, narrowed: false },
  ];
  for (const [name, filter] of Object.entries(spec.filters)) {
    variants.push({ label: `filter ${name}`, p: { filters: { [name]: sample(filter.type) } }, narrowed: true });
    variants.push({ label: `filter ${name} + created range`, p: { filters: { [name]: sample(filter.type) }, createdFrom: "2025-01-01T00:00:00.000Z" }, narrowed: true });
  }
  if (spec.tags) variants.push({ label: "tag", p: { tag: "vip" }, narrowed: true, tag: true });
  if (spec.fts) {
    variants.push({ label: "search", p: { match: '"acme"*' }, narrowed: true, search: true });
    variants.push({ label: "search + filter", p: { match: '"acme"*', filters: { [Object.keys(spec.filters)[0]!]: "x" } }, narrowed: true, search: true });
    if (spec.tags) variants.push({ label: "search + tag", p: { match: '"acme"*', tag: "vip" }, narrowed: true, search: true });
    // a search matching many records under a sort walks the sort's index in order (never sorts), testing each row against the matches
    variants.push({ label: "search walking the sort index", p: { match: '"acme"*', walkSortIndex: true }, narrowed: false });
    variants.push({ label: "search + filter walking the sort index", p: { match: '"acme"*', walkSortIndex: true, filters: { [Object.keys(spec.filters)[0]!]: "x" } }, narrowed: true });
    if (spec.tags) variants.push({ label: "search + tag walking the sort index", p: { match: '"acme"*', walkSortIndex: true, tag: "vip" }, narrowed: false });
  }
  if (spec.due) variants.push({ label: "due range", p: { dueFrom: "2025-01-01T00:00:00.000Z", dueTo: "2026-01-01T00:00:00.000Z" }, narrowed: false });
  for (const [sortName, sort] of Object.entries(spec.sorts)) {
    for (const desc of [false, true]) {
      for (const later of [false, true]) {
        for (const v of variants) {
          const params: ListParams = { sort: sortName, desc, filters: {}, limit: 51, ...v.p };
          const searching = v.p.match !== undefined;
          if (later) params.after = sort.column === null ? [searching && spec.fts ? 1000 : "zzz"] : [sort.type === "number" ? 1 : "m", "zzz"];
          const { sql, params: values } = buildListQuery(spec, params);
          out.push({
            label: `${spec.table}: ${v.label}, sort ${desc ? "-" : ""}${sortName}${later ? ", later page" : ""}`,
            sql,
            params: values,
            narrowed: v.narrowed,
            // a search under a sort with a bucketed index sorts the matches of the buckets the page needs
            maySort: (Boolean(v.search) || Boolean(v.tag) || (searching && spec.sortedFts?.sort === sortName)) && sort.column !== null,
            bucketed: searching && spec.sortedFts?.sort === sortName ? (desc ? ">" : "<") : undefined,
          });
        }
      }
    }
  }
  return out;
}

/** The SQL the batch get and every include relation run, captured from the store functions themselves. */
function relationCases(): Case[] {
  const captured: string[] = [];
  const connection: SqlConnection = {
    generation: 0,
    statement(sql: string) {
      captured.push(sql);
      return db.prepare(sql) as never;
    },
    exec() {
      throw new Error("read only");
    },
    transaction<T>(fn: () => T) {
      return fn();
    },
    savepoint<T>(fn: () => T) {
      return fn();
    },
    deferWrites() {
      throw new Error("read only");
    },
    inTransaction: false,
    rollbacks: 0,
  };
  const handle = new Db(connection, new DbMeter());
  const ids = ["x_1", "x_2"];
  for (const table of ["companies", "contacts", "leads", "deals", "activities"]) store.findByIds(handle, table, ids);
  store.childrenOf(handle, "contacts", "company_id", ids, 200);
  for (const column of ["company_id", "contact_id"]) {
    store.childrenOf(handle, "leads", column, ids, 200);
    store.childrenOf(handle, "deals", column, ids, 200);
  }
  for (const column of ["company_id", "contact_id", "lead_id", "deal_id"]) store.childrenOf(handle, "activities", column, ids, 200);
  for (const fts of ["companies_fts", "contacts_fts", "leads_fts", "deals_fts"]) store.matchCountUpTo(handle, fts, '"acme"*', 600);
  store.stagesOf(handle, ids);
  store.stageTotals(handle, "p");
  store.statusTotals(handle, "p");
  store.dealsInStage(handle, "s");
  store.dealsInPipeline(handle, "p");
  return captured.map((sql) => ({ label: sql.slice(0, 140), sql, params: sql.includes("json_each") ? [JSON.stringify(ids), 200].slice(0, (sql.match(/\?/g) ?? []).length) : Array((sql.match(/\?/g) ?? []).length).fill("x"), narrowed: true, maySort: true }));
}

const CRM_TABLES = /^(?:SCAN|SEARCH) (t|companies|contacts|leads|deals|activities|pipelines|pipeline_stages|company_tags|contact_tags|deal_totals|g)\b/;

function faults(c: Case): string[] {
  const lines = plan(c.sql, c.params);
  const out: string[] = [];
  for (const line of lines) {
    const table = CRM_TABLES.exec(line);
    if (!table) continue;
    if (line.startsWith("SCAN") && !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(line)) out.push(`full table scan: ${line}`);
    else if (line.startsWith("SCAN") && c.narrowed) out.push(`walks a whole index although the query is narrowed: ${line}`);
  }
  if (!c.maySort && lines.some((l) => l.includes("USE TEMP B-TREE FOR ORDER BY"))) out.push("sorts the result set instead of reading it in index order");
  if (c.bucketed && !new RegExp(`^SCAN f VIRTUAL TABLE INDEX \\d+:M\\d+.*\\${c.bucketed}`).test(lines[0] ?? "")) out.push(`reads the bucketed index without the page's rowid bound (${c.bucketed})`);
  return out.length > 0 ? [`${c.label}\n    ${c.sql}\n    plan: ${lines.join(" | ")}\n    ${out.join("; ")}`] : [];
}

describe("EXPLAIN QUERY PLAN for every list, search and relation query", () => {
  it("never scans a whole CRM table, and reads every sort from an index", () => {
    const cases = [...Object.values(LISTS).flatMap((spec) => listCases(spec as ListSpec)), ...relationCases()];
    expect(cases.length).toBeGreaterThan(500);
    const problems = cases.flatMap(faults);
    expect(problems, `${problems.length} of ${cases.length} queries:\n${problems.slice(0, 15).join("\n")}`).toEqual([]);
  });

  it("would catch a full scan (the check is not vacuous)", () => {
    const bad: Case = { label: "unindexed", sql: "SELECT * FROM contacts t WHERE t.phone = ? ORDER BY t.id LIMIT 5", params: ["x"], narrowed: true, maySort: false };
    expect(faults(bad)).toHaveLength(1);
    const unsorted: Case = { label: "sort", sql: "SELECT * FROM companies t WHERE t.industry = ? ORDER BY t.website LIMIT 5", params: ["x"], narrowed: true, maySort: false };
    expect(faults(unsorted)[0]).toContain("sorts the result set");
  });
});
