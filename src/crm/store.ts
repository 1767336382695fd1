import type { Db, SqlValue } from "../platform/sql.js";

/** SQL for the CRM and nothing else. Rows are the tables' own columns, snake_case. */
export type Row = Record<string, SqlValue>;

export const findById = (db: Db, table: string, id: string) => db.get<Row>(`SELECT * FROM ${table} WHERE id = ?`, id);

/** Several records in one statement, in the order asked for; ids this database does not hold are left out. */
export const findByIds = (db: Db, table: string, ids: readonly string[]) =>
  db.all<Row>(
        `SELECT t.* FROM json_each(?) j CROSS JOIN ${table} t ON t.id = j.value ORDER BY j.key`,
        JSON.stringify(ids),
      );

export function insertRow(db: Db, table: string, row: Row): void {
  const columns = Object.keys(row);
  db.run(
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
    ...columns.map((c) => row[c] as SqlValue),
  );
}

export function updateRow(db: Db, table: string, id: string, changes: Row): void {
  const columns = Object.keys(changes);
  if (columns.length === 0) return;
  db.run(`UPDATE ${table} SET ${columns.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`, ...columns.map((c) => changes[c] as SqlValue), id);
}

export const deleteRow = (db: Db, table: string, id: string) => db.run(`DELETE FROM ${table} WHERE id = ?`, id).changes;

export function replaceTags(db: Db, tagTable: { table: string; column: string }, id: string, tags: readonly string[]): void {
  db.run(`DELETE FROM ${tagTable.table} WHERE ${tagTable.column} = ?`, id);
  for (const tag of tags) db.run(`INSERT INTO ${tagTable.table} (tag, ${tagTable.column}) VALUES (?, ?)`, tag, id);
}

/** Which of these ids exist in a table (one statement). */
export const existingIds = (db: Db, table: string, ids: readonly string[]) =>
  new Set(
    db.all<{ id: string }>(`SELECT id FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids)).map((r) => r.id),
  );

export const list = (db: Db, sql: string, params: SqlValue[]) => db.all<Row>(sql, ...params);

/** How many records a full-text search matches, counted up to `cap` (reads at most `cap` entries of the index). */
export const matchCountUpTo = (db: Db, fts: string, match: string, cap: number) =>
  db.get<{ n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${fts} WHERE ${fts} MATCH ? LIMIT ?)`, match, cap)!.n;

/**
 * The newest `perParent` rows of `table` for each parent, in one statement whatever the number of
 * parents or children: for each parent, the `(parent, id)` index is read newest first and stops after
 * `perParent` entries, then only those rows are fetched — a parent with thousands of children costs
 * `perParent` rows, not thousands (the window-function form read and ranked every child).
 */
export const childrenOf = (db: Db, table: string, column: string, parentIds: readonly string[], perParent: number) =>
  db.all<Row>(
    `SELECT t.* FROM json_each(?) p
       CROSS JOIN ${table} t ON t.seq IN (SELECT c.seq FROM ${table} c WHERE c.${column} = p.value ORDER BY c.id DESC LIMIT ?)
      ORDER BY t.id DESC`,
    JSON.stringify([...new Set(parentIds)]),
    perParent,
  );

// ---------- pipelines ----------

export interface PipelineRow {
  id: string;
  name: string;
  is_default: number;
  created_at: string;
  updated_at: string;
}
export interface StageRow {
  id: string;
  pipeline_id: string;
  name: string;
  position: number;
  probability: number;
}

export const findPipeline = (db: Db, id: string) => db.get<PipelineRow>("SELECT id, name, is_default, created_at, updated_at FROM pipelines WHERE id = ?", id);
export const defaultPipeline = (db: Db) =>
  db.get<PipelineRow>("SELECT id, name, is_default, created_at, updated_at FROM pipelines WHERE is_default = 1");
export const listPipelines = (db: Db, afterId: string, limit: number) =>
  db.all<PipelineRow>("SELECT id, name, is_default, created_at, updated_at FROM pipelines WHERE id > ? ORDER BY id LIMIT ?", afterId, limit);
export const stagesOf = (db: Db, pipelineIds: readonly string[]) =>
  db.all<StageRow>(
    "SELECT id, pipeline_id, name, position, probability FROM pipeline_stages WHERE pipeline_id IN (SELECT value FROM json_each(?)) ORDER BY pipeline_id, position",
    JSON.stringify(pipelineIds),
  );
export const findStage = (db: Db, id: string) =>
  db.get<StageRow>("SELECT id, pipeline_id, name, position, probability FROM pipeline_stages WHERE id = ?", id);

export function insertStage(db: Db, s: StageRow): void {
  db.run("INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability) VALUES (?, ?, ?, ?, ?)", s.id, s.pipeline_id, s.name, s.position, s.probability);
}
export function updateStage(db: Db, s: StageRow): void {
  db.run("UPDATE pipeline_stages SET name = ?, position = ?, probability = ? WHERE id = ?", s.name, s.position, s.probability, s.id);
}
export const deleteStage = (db: Db, id: string) => db.run("DELETE FROM pipeline_stages WHERE id = ?", id);
export const clearDefaultPipeline = (db: Db) => db.run("UPDATE pipelines SET is_default = 0 WHERE is_default = 1");

export const dealsInStage = (db: Db, stageId: string) =>
  db.get<{ n: number }>("SELECT count(*) AS n FROM (SELECT 1 FROM deals WHERE stage_id = ? LIMIT 1)", stageId)!.n;
export const dealsInPipeline = (db: Db, pipelineId: string) =>
  db.get<{ n: number }>("SELECT count(*) AS n FROM (SELECT 1 FROM deals WHERE pipeline_id = ? LIMIT 1)", pipelineId)!.n;

/**
 * Open deals per stage and currency, and deals per status, of one pipeline: read from `deal_totals`, which
 * the deals' own triggers keep in the same statement as each write (migration 0006), so the cost is the
 * number of stages and currencies, not of deals. `amount` is NULL when no deal of the group has a value.
 */
export const stageTotals = (db: Db, pipelineId: string) =>
  db.all<{ stage_id: string; currency: string | null; n: number; amount: number | null }>(
    `SELECT stage_id, nullif(currency, '') AS currency, n, CASE WHEN valued > 0 THEN amount END AS amount FROM deal_totals
      WHERE pipeline_id = ? AND status = 'open'`,
    pipelineId,
  );
export const statusTotals = (db: Db, pipelineId: string) =>
  db.all<{ status: string; n: number }>("SELECT status, sum(n) AS n FROM deal_totals WHERE pipeline_id = ? GROUP BY status", pipelineId);
