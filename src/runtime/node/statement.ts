import type Database from "better-sqlite3";
import type { PreparedStatement, RunResult, SqlValue } from "../../platform/sql.js";

type Row = Record<string, unknown>;
type RowOf = (values: unknown[]) => Row;

/**
 * Builds a statement's rows as object literals of one fixed shape, compiled once from its column
 * names. better-sqlite3 builds each row by setting its columns one by one, which leaves a wide row in
 * V8's slow dictionary mode: measured on Node 20, a 22-column row costs ~4.6 µs that way and ~1.9 µs
 * as an array turned into a literal (50 such rows: ~220 vs ~80 µs), and the literal stays fast to read.
 */
function rowBuilder(names: readonly string[]): RowOf {
  // in a literal, a "__proto__" key would set the prototype instead of a column
  if (names.includes("__proto__")) throw new Error("a result column is named __proto__: name it otherwise with AS");
  // the names are quoted as JSON string literals: nothing in a column name can escape them
  const fields = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(", ");
  return new Function("v", `return { ${fields} };`) as RowOf;
}

/**
 * A better-sqlite3 statement behind the platform's PreparedStatement, its rows built by `rowBuilder`.
 * The shape is taken once, when the statement is prepared: a connection's schema is settled by then
 * (migrations run when a database is opened, before anything else prepares a statement on it).
 */
export class NodeStatement implements PreparedStatement {
  readonly readonly: boolean;
  /** Only for statements that return rows: better-sqlite3's get and all refuse the others before this is needed. */
  private readonly row?: RowOf;

  constructor(private readonly statement: Database.Statement<SqlValue[]>) {
    this.readonly = statement.readonly;
    if (statement.reader) {
      statement.raw(true);
      this.row = rowBuilder(statement.columns().map((c) => c.name));
    }
  }

  get(...params: SqlValue[]): unknown {
    const values = this.statement.get(...params) as unknown[] | undefined;
    return values === undefined ? undefined : this.row!(values);
  }

  all(...params: SqlValue[]): unknown[] {
    const rows = this.statement.all(...params) as unknown[][];
    const built: Row[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) built[i] = this.row!(rows[i]!);
    return built;
  }

  run(...params: SqlValue[]): RunResult {
    // lastInsertRowid is a number: no statement here uses better-sqlite3's safeIntegers
    return this.statement.run(...params) as RunResult;
  }
}
