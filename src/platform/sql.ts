/**
 * The storage seam between business code and a runtime. Business code is synchronous SQL
 * (better-sqlite3 on Node, Durable Object SQLite on Workers); both fit this interface.
 */
export type SqlValue = string | number | bigint | null | Uint8Array;

export interface RunResult {
  changes: number;
  /**
   * The rowid of the row the statement inserted (an INTEGER PRIMARY KEY is the rowid): cheaper than
   * `RETURNING`, which makes SQLite collect the returned rows apart (~2 µs an insert, measured on
   * better-sqlite3). On Durable Object SQLite, `last_insert_rowid()`.
   */
  lastInsertRowid: number;
}

export interface PreparedStatement {
  /** True when the statement cannot change the database (false for INSERT … RETURNING, say). */
  readonly readonly: boolean;
  all(...params: SqlValue[]): unknown[];
  get(...params: SqlValue[]): unknown;
  run(...params: SqlValue[]): RunResult;
}

export interface SqlConnection {
  /**
   * Bumped by every statement made through Db that can write (every Db.run; a Db.get or Db.all of a
   * statement that is not read-only). A process owns its DATA_DIR exclusively, so an in-memory view of
   * this database stays true exactly as long as the generation does not move.
   */
  generation: number;
  /** A prepared statement, cached by the connection for its lifetime. */
  statement(sql: string): PreparedStatement;
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): void;
  /** Runs fn inside one write transaction; it commits when fn returns and rolls back when it throws. */
  transaction<T>(fn: () => T): T;
  /** Inside a transaction: runs fn in a savepoint, rolled back to (and only it) when fn throws. */
  savepoint<T>(fn: () => T): T;
  /** False after SQLite rolled an open transaction back by itself (a full disk, an I/O error). */
  readonly inTransaction: boolean;
  /**
   * Counts the transactions and savepoints rolled back on this connection. A value kept in memory from
   * inside a transaction is true while this has not moved since (see `ConnectionMemo`).
   */
  readonly rollbacks: number;
  /**
   * Registers writes a module puts off inside a transaction and sums over many changes (the ledger's
   * daily totals: src/finance/ledger-totals.ts): `flush` writes them, and the connection calls it before
   * a transaction commits and before a savepoint opens and is released, so what was put off lands in the
   * unit of work it belongs to. What a rollback undoes, the module forgets (it keeps its pending writes
   * in a ConnectionMemo). A flush that fails before a savepoint opens rolls the whole transaction back:
   * the writes it carried belong to changes already made. Registering the same function again is a no-op.
   */
  deferWrites(flush: (connection: SqlConnection) => void): void;
}

/**
 * One value per connection, remembered by the code that reads and writes it (a chain's head, a
 * setting), so that a write path does not read it back from the database each time. A value is
 * forgotten when any transaction or savepoint on its connection rolls back, since it may have been
 * remembered inside it. Only for values that nothing but that code writes: one process owns its
 * databases (DATA_DIR is locked) and each is one connection.
 */
export class ConnectionMemo<T> {
  private readonly values = new WeakMap<SqlConnection, { value: T; rollbacks: number }>();

  get(connection: SqlConnection): T | undefined {
    const kept = this.values.get(connection);
    return kept && kept.rollbacks === connection.rollbacks ? kept.value : undefined;
  }

  set(connection: SqlConnection, value: T): T {
    this.values.set(connection, { value, rollbacks: connection.rollbacks });
    return value;
  }
}

/** What one request spent in the database: feeds Server-Timing and /metrics. */
export class DbMeter {
  statements = 0;
  durationMs = 0;
}

/**
 * A connection as seen by one request: the same statements, counted and timed for that request.
 * Handing business code this object (and nothing else) is what keeps it inside one database.
 */
export class Db {
  constructor(
    readonly connection: SqlConnection,
    readonly meter: DbMeter,
  ) {}

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    const start = performance.now();
    const statement = this.connection.statement(sql);
    try {
      return statement.all(...params) as T[];
    } finally {
      if (!statement.readonly) this.connection.generation += 1;
      this.count(start);
    }
  }

  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    const start = performance.now();
    const statement = this.connection.statement(sql);
    try {
      return statement.get(...params) as T | undefined;
    } finally {
      if (!statement.readonly) this.connection.generation += 1;
      this.count(start);
    }
  }

  run(sql: string, ...params: SqlValue[]): RunResult {
    const start = performance.now();
    try {
      return this.connection.statement(sql).run(...params);
    } finally {
      this.connection.generation += 1;
      this.count(start);
    }
  }

  transaction<T>(fn: () => T): T {
    return this.connection.transaction(fn);
  }

  private count(start: number): void {
    this.meter.statements += 1;
    this.meter.durationMs += performance.now() - start;
  }
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Brings a database to the newest version of its chain, one transaction per migration. */
export function migrate(connection: SqlConnection, migrations: readonly Migration[]): number {
  const current = (connection.statement("PRAGMA user_version").get() as { user_version: number }).user_version;
  let version = current;
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= version) continue;
    connection.transaction(() => {
      connection.exec(migration.sql);
      connection.exec(`PRAGMA user_version = ${migration.version}`);
    });
    version = migration.version;
  }
  return version;
}
