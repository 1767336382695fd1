import type { SqlValue } from "../platform/sql.js";
import { idFloorAt } from "../platform/ids.js";

/**
 * How each CRM list is filtered, sorted and searched, and the one SQL builder for all of them. Pure:
 * no I/O, so a test can EXPLAIN QUERY PLAN every query the API can issue against a real database.
 *
 * Every equality filter F and every sort S has an index (F, S, id) in migrations/business/0002_crm.sql;
 * created-at ranges are id ranges (ids begin with their creation time), so they need no index of their own.
 */
export interface SortSpec {
  /** null: creation order, which is id order. */
  column: string | null;
  type: "string" | "number";
}

export interface FilterSpec {
  column: string;
  type: "text" | "int" | "bool";
}

export interface ListSpec {
  entity: string;
  table: string;
  prefix: string;
  sorts: Record<string, SortSpec>;
  filters: Record<string, FilterSpec>;
  tags?: { table: string; column: string };
  fts?: string;
  /**
   * A second full-text index whose rowid is `(bucket << 32) | seq`, where `bucket` numbers runs of 64–128
   * records consecutive in this sort's order (kept by triggers, migrations 0006, 0007 and 0008): a search under this sort
   * reads it in rowid order and sorts only the matches of the few buckets a page needs.
   */
  sortedFts?: { sort: string; fts: string; bucket: string };
  /** A time-of-day range filter on this column (activities' dueAt), beside created and updated. */
  due?: string;
}

const CREATED: SortSpec = { column: null, type: "string" };
const UPDATED: SortSpec = { column: "updated_at", type: "string" };

export const LISTS = {
  company: {
    entity: "company",
    table: "companies",
    prefix: "cmp",
    sorts: { createdAt: CREATED, updatedAt: UPDATED, name: { column: "name", type: "string" } },
    filters: {
      ownerId: { column: "owner_id", type: "text" },
      industry: { column: "industry", type: "text" },
      size: { column: "size", type: "text" },
      domain: { column: "domain", type: "text" },
    },
    tags: { table: "company_tags", column: "company_id" },
    fts: "companies_fts",
    sortedFts: { sort: "name", fts: "companies_sorted_fts", bucket: "name_bucket" },
  },
  contact: {
    entity: "contact",
    table: "contacts",
    prefix: "con",
    sorts: { createdAt: CREATED, updatedAt: UPDATED, name: { column: "sort_name", type: "string" } },
    filters: {
      ownerId: { column: "owner_id", type: "text" },
      companyId: { column: "company_id", type: "text" },
      email: { column: "email", type: "text" },
    },
    tags: { table: "contact_tags", column: "contact_id" },
    fts: "contacts_fts",
    sortedFts: { sort: "name", fts: "contacts_sorted_fts", bucket: "name_bucket" },
  },
  lead: {
    entity: "lead",
    table: "leads",
    prefix: "led",
    sorts: { createdAt: CREATED, updatedAt: UPDATED, score: { column: "score_sort", type: "number" } },
    filters: {
      status: { column: "status", type: "text" },
      ownerId: { column: "owner_id", type: "text" },
      companyId: { column: "company_id", type: "text" },
      contactId: { column: "contact_id", type: "text" },
      source: { column: "source", type: "text" },
    },
    fts: "leads_fts",
    sortedFts: { sort: "score", fts: "leads_sorted_fts", bucket: "score_bucket" },
  },
  deal: {
    entity: "deal",
    table: "deals",
    prefix: "deal",
    sorts: { createdAt: CREATED, updatedAt: UPDATED, expectedClose: { column: "close_sort", type: "string" } },
    filters: {
      pipelineId: { column: "pipeline_id", type: "text" },
      stageId: { column: "stage_id", type: "text" },
      status: { column: "status", type: "text" },
      ownerId: { column: "owner_id", type: "text" },
      companyId: { column: "company_id", type: "text" },
      contactId: { column: "contact_id", type: "text" },
    },
    fts: "deals_fts",
  },
  activity: {
    entity: "activity",
    table: "activities",
    prefix: "act",
    sorts: { createdAt: CREATED, updatedAt: UPDATED, dueAt: { column: "due_sort", type: "string" } },
    filters: {
      type: { column: "type", type: "text" },
      done: { column: "done", type: "bool" },
      ownerId: { column: "owner_id", type: "text" },
      companyId: { column: "company_id", type: "text" },
      contactId: { column: "contact_id", type: "text" },
      leadId: { column: "lead_id", type: "text" },
      dealId: { column: "deal_id", type: "text" },
    },
    due: "due_sort",
  },
} as const satisfies Record<string, ListSpec>;

export type EntityName = keyof typeof LISTS;

export interface ListParams {
  sort: string;
  desc: boolean;
  /** Equality filters by API name, already typed (booleans as 0/1). */
  filters: Record<string, SqlValue>;
  tag?: string;
  /** An FTS5 MATCH expression (see ftsQuery), not raw user text. */
  match?: string;
  /**
   * A search under a sort with a column: read the sort's index in order and keep the rows the search
   * matches (a lookup in the set of matches), instead of reading every match and sorting them. The list
   * picks it when the search matches many records (see SORTED_SEARCH_WALK_FROM); ignored otherwise.
   */
  walkSortIndex?: boolean;
  createdFrom?: string;
  createdTo?: string;
  updatedFrom?: string;
  updatedTo?: string;
  dueFrom?: string;
  dueTo?: string;
  /** The sort key and id of the last row of the previous page. */
  after?: (string | number)[];
  limit: number;
}

/**
 * From how many full-text matches a search under a sort walks the sort's index (walkSortIndex) instead of
 * sorting the matches: sorting costs one row lookup per match (about 2 µs each on the benchmark
 * business), walking costs a pass over the matches' ids plus the index entries read until a page is full.
 */
export const SORTED_SEARCH_WALK_FROM = 600;

/** The smallest id of a record created at or after `iso` (ids begin with 10 base32 digits of milliseconds). */
export const idFloor = (prefix: string, iso: string): string => idFloorAt(prefix, Date.parse(iso));

/** Whether a search under this sort reads a bucketed full-text index (ListSpec.sortedFts) rather than counting its matches to pick a strategy. */
export const hasSortedSearchIndex = (spec: ListSpec, sortName: string) => spec.sortedFts?.sort === sortName;

/** The row conditions of a list (filters, tag, ranges, cursor) on the table aliased `a`, for the bucketed search. */
function rowConditions(spec: ListSpec, p: ListParams, column: string, a: string): { where: string[]; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (p.tag !== undefined && spec.tags) {
    where.push(`${a}.id IN (SELECT ${spec.tags.column} FROM ${spec.tags.table} WHERE tag = ?)`);
    params.push(p.tag);
  }
  for (const [name, value] of Object.entries(p.filters)) {
    const filter = spec.filters[name];
    if (!filter) throw new Error(`unknown filter ${name}`);
    where.push(`${a}.${filter.column} = ?`);
    params.push(value);
  }
  const ranges: [string | undefined, string, string, (v: string) => string][] = [
    [p.createdFrom, "id", ">=", (v) => idFloor(spec.prefix, v)],
    [p.createdTo, "id", "<", (v) => idFloor(spec.prefix, v)],
    [p.updatedFrom, "updated_at", ">=", (v) => v],
    [p.updatedTo, "updated_at", "<", (v) => v],
  ];
  for (const [value, col, op, conv] of ranges) {
    if (value === undefined) continue;
    where.push(`${a}.${col} ${op} ?`);
    params.push(conv(value));
  }
  if (p.after) {
    where.push(`(${a}.${column}, ${a}.id) ${p.desc ? "<" : ">"} (?, ?)`);
    params.push(p.after[0]!, p.after[1]!);
  }
  return { where, params };
}

/**
 * A search under a sort with a bucketed index (ListSpec.sortedFts): the matches are read in bucket order;
 * the bucket of the limit-th match bounds the page (no later bucket can hold one of its rows), so only the
 * matches up to that bucket are sorted — at most the page plus about two buckets, however many match.
 * With a cursor, the reading starts at the bucket of the first record after it.
 */
function bucketedSearch(spec: ListSpec, p: ListParams, column: string): { sql: string; params: SqlValue[] } {
  const { fts, bucket } = spec.sortedFts!;
  const join = (f: string, t: string) => `${fts} ${f} CROSS JOIN ${spec.table} ${t} ON ${t}.seq = (${f}.rowid & 4294967295)`;
  const dir = p.desc ? "DESC" : "ASC";
  const params: SqlValue[] = [];
  // where the reading starts: the bucket of the first record past the cursor (none past it: no rows)
  const start = (f: string) => {
    if (!p.after) return "";
    params.push(p.after[0]!, p.after[1]!);
    const first = `(SELECT b.${bucket} FROM ${spec.table} b WHERE (b.${column}, b.id) ${p.desc ? "<" : ">"} (?, ?) ORDER BY b.${column} ${dir}, b.id ${dir} LIMIT 1)`;
    return p.desc ? ` AND ${f}.rowid <= ((${first} << 32) | 4294967295)` : ` AND ${f}.rowid >= (${first} << 32)`;
  };
  const inner = rowConditions(spec, p, column, "u");
  const outer = rowConditions(spec, p, column, "t");
  params.push(p.match!);
  let sql = `SELECT t.* FROM ${join("f", "t")} WHERE f.${fts} MATCH ?`;
  for (const w of outer.where) sql += ` AND ${w}`;
  params.push(...outer.params);
  sql += start("f");
  // the bucket of the limit-th match, read in bucket order with the same conditions
  params.push(p.match!, ...inner.params);
  let bound = `SELECT ${p.desc ? "s.rowid >> 32" : "(s.rowid >> 32) + 1"} FROM ${join("s", "u")} WHERE s.${fts} MATCH ?`;
  for (const w of inner.where) bound += ` AND ${w}`;
  bound += start("s");
  bound += ` ORDER BY s.rowid ${dir} LIMIT 1 OFFSET ?`;
  params.push(Math.max(0, p.limit - 1));
  // (no limit-th match: no bound; buckets stay below 2^31 - 1, so the shift never overflows)
  sql += p.desc ? ` AND f.rowid >= coalesce((${bound}) << 32, 0)` : ` AND f.rowid < coalesce((${bound}) << 32, 9223372036854775807)`;
  sql += ` ORDER BY t.${column} ${dir}, t.id ${dir} LIMIT ?`;
  params.push(p.limit);
  return { sql, params };
}

/** The one SELECT a list request runs: keyset pagination over (sort key, id), limit + 1 rows. */
export function buildListQuery(spec: ListSpec, p: ListParams): { sql: string; params: SqlValue[] } {
  const sort = spec.sorts[p.sort];
  if (!sort) throw new Error(`unknown sort ${p.sort}`);
  if (p.match !== undefined && sort.column !== null && hasSortedSearchIndex(spec, p.sort)) return bucketedSearch(spec, p, sort.column);
  const params: SqlValue[] = [];
  const where: string[] = [];
  let from = `${spec.table} t`;
  // the id the order and ranges use: with a tag filter, the tag index's copy of it, so that index drives the walk
  let id = "t.id";
  // a search under a sort that matches many records reads the sort's index and tests each row against
  // the matches (`+` keeps the planner from driving from the matches and sorting them)
  const walkSort = p.match !== undefined && spec.fts !== undefined && sort.column !== null && p.walkSortIndex === true;
  if (p.match !== undefined && spec.fts) {
    if (walkSort) {
      where.push(`+t.seq IN (SELECT rowid FROM ${spec.fts} WHERE ${spec.fts} MATCH ?)`);
    } else {
      from = `${spec.fts} f CROSS JOIN ${spec.table} t ON t.seq = f.rowid`;
      where.push(`${spec.fts} MATCH ?`);
    }
    params.push(p.match);
  }
  if (p.tag !== undefined && spec.tags) {
    if (p.match !== undefined) {
      // search and tag together: the search (or, walking, the sort's index) drives, the tag is a lookup
      where.push(`${walkSort ? "+" : ""}t.id IN (SELECT ${spec.tags.column} FROM ${spec.tags.table} WHERE tag = ?)`);
      params.push(p.tag);
    } else {
      from = `${spec.tags.table} g CROSS JOIN ${spec.table} t ON t.id = g.${spec.tags.column}`;
      where.push("g.tag = ?");
      params.push(p.tag);
      id = `g.${spec.tags.column}`;
    }
  }
  for (const [name, value] of Object.entries(p.filters)) {
    const filter = spec.filters[name];
    if (!filter) throw new Error(`unknown filter ${name}`);
    where.push(`t.${filter.column} = ?`);
    params.push(value);
  }
  // a range on the sort's own column is read from the sort's index; a range on another column is a row
  // filter (`+` keeps the planner from trading the index order for it, which would sort the whole range)
  const rangeOn = (column: string) => (sort.column === column || (column === "id" && sort.column === null) ? "" : "+");
  if (p.createdFrom !== undefined) {
    where.push(`${rangeOn("id")}${id} >= ?`);
    params.push(idFloor(spec.prefix, p.createdFrom));
  }
  if (p.createdTo !== undefined) {
    where.push(`${rangeOn("id")}${id} < ?`);
    params.push(idFloor(spec.prefix, p.createdTo));
  }
  if (p.updatedFrom !== undefined) {
    where.push(`${rangeOn("updated_at")}t.updated_at >= ?`);
    params.push(p.updatedFrom);
  }
  if (p.updatedTo !== undefined) {
    where.push(`${rangeOn("updated_at")}t.updated_at < ?`);
    params.push(p.updatedTo);
  }
  if (spec.due && p.dueFrom !== undefined) {
    where.push(`${rangeOn(spec.due)}t.${spec.due} >= ?`);
    params.push(p.dueFrom);
  }
  if (spec.due && p.dueTo !== undefined) {
    where.push(`${rangeOn(spec.due)}t.${spec.due} < ?`);
    params.push(p.dueTo);
  }
  // search in creation order reads the full-text index in its own (insertion) order, so the walk stops at
  // the page size however many records match; its cursor is that position
  const walk = p.match !== undefined && spec.fts && sort.column === null ? "f.rowid" : id;
  const dir = p.desc ? "DESC" : "ASC";
  const cmp = p.desc ? "<" : ">";
  if (p.after) {
    if (sort.column === null) {
      where.push(`${walk} ${cmp} ?`);
      params.push(p.after[0]!);
    } else {
      where.push(`(t.${sort.column}, ${id}) ${cmp} (?, ?)`);
      params.push(p.after[0]!, p.after[1]!);
    }
  }
  const order = sort.column === null ? `${walk} ${dir}` : `t.${sort.column} ${dir}, ${id} ${dir}`;
  params.push(p.limit);
  return {
    sql: `SELECT t.* FROM ${from}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} LIMIT ?`,
    params,
  };
}

/** The cursor key of a row under a sort: the sort's value (when it has a column) and the id; a search in creation order: its position. */
export function sortKey(spec: ListSpec, sortName: string, row: Record<string, unknown>, search = false): (string | number)[] {
  const sort = spec.sorts[sortName]!;
  if (sort.column === null) return search && spec.fts ? [row.seq as number] : [row.id as string];
  return [row[sort.column] as string | number, row.id as string];
}

/** The shape of a cursor key under a sort (see sortKey). */
export function cursorShape(spec: ListSpec, sortName: string, search: boolean): ("string" | "number")[] {
  const sort = spec.sorts[sortName]!;
  if (sort.column === null) return [search && spec.fts ? "number" : "string"];
  return [sort.type, "string"];
}

/** Index DDL for every (filter, sort) pair and every sort alone: the migration carries exactly these. */
export function indexDdl(spec: ListSpec): string[] {
  const out: string[] = [];
  const sorts = Object.values(spec.sorts).map((s) => s.column);
  for (const column of sorts) {
    if (column === null) continue;
    out.push(`CREATE INDEX ${spec.table}_by_${column} ON ${spec.table}(${column}, id);`);
  }
  for (const filter of Object.values(spec.filters)) {
    for (const column of sorts) {
      const name = `${spec.table}_${filter.column}_${column ?? "id"}`;
      out.push(`CREATE INDEX ${name} ON ${spec.table}(${filter.column}, ${column === null ? "id" : `${column}, id`});`);
    }
  }
  return out;
}
