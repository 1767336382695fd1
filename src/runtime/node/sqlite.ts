import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BusinessDatabases, BusinessHandle } from "../../http/context.js";
import type { WalCheckpointer } from "./checkpointer.js";
import { type Migration, migrate, type PreparedStatement, type SqlConnection } from "../../platform/sql.js";
import { NodeStatement } from "./statement.js";

export type Synchronous = "NORMAL" | "FULL";

/** better-sqlite3 behind the platform's SqlConnection, with a statement cache per connection. */
export class NodeSqlConnection implements SqlConnection {
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly deferred = new Set<(connection: SqlConnection) => void>();
  readonly db: Database.Database;
  generation = 0;
  rollbacks = 0;

  /**
   * `maxBytes` (0: none) caps the file: a write beyond it fails with SQLITE_FULL, as on a full disk.
   * With a `checkpointer`, WAL checkpoints run on its thread (SQLite's own stays, at four times its threshold).
   */
  constructor(
    private readonly file: string,
    synchronous: Synchronous,
    maxBytes = 0,
    private readonly checkpointer?: WalCheckpointer,
  ) {
    this.db = new Database(file, { timeout: 5000 });
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("cache_size = -32768");
    this.db.pragma("temp_store = MEMORY");
    const pageSize = this.db.pragma("page_size", { simple: true }) as number;
    if (maxBytes > 0) this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
    if (checkpointer) {
      // the WAL starts over in place after a checkpoint (cheaper than a truncated file: checkpointer.ts);
      // it is cut back only past the size at which SQLite's own checkpoint would run
      this.db.pragma(`journal_size_limit = ${4 * checkpointer.thresholdBytes}`);
      this.db.pragma(`wal_autocheckpoint = ${Math.ceil((4 * checkpointer.thresholdBytes) / pageSize)}`);
    }
  }

  /** Sets the most memory SQLite may keep pages of this database in (PRAGMA cache_size), in KiB. */
  setPageCache(kib: number): void {
    this.db.pragma(`cache_size = -${kib}`);
  }

  statement(sql: string): PreparedStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = new NodeStatement(this.db.prepare(sql));
      this.statements.set(sql, statement);
    }
    return statement;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    // cached statements rather than better-sqlite3's transaction wrapper, which builds four functions and
    // defines twenty properties on them per call: a transaction of one write is its most common kind
    this.statement("BEGIN IMMEDIATE").run();
    let result: T;
    try {
      result = fn();
      // its work would run after the COMMIT, outside the transaction
      if (result instanceof Promise) throw new TypeError("A transaction's work cannot be asynchronous.");
      this.flushDeferred();
      this.statement("COMMIT").run();
    } catch (error) {
      this.abandon();
      throw error;
    }
    this.checkpointer?.committed(this.file);
    return result;
  }

  /**
   * Rolls the whole transaction back, counted; a failed COMMIT or a full disk may have ended it already.
   * The generation moves too: answers cached from inside the transaction (GenerationCache) may hold
   * what it wrote.
   */
  private abandon(): void {
    this.rollbacks += 1;
    this.generation += 1;
    if (this.db.inTransaction) this.statement("ROLLBACK").run();
  }

  deferWrites(flush: (connection: SqlConnection) => void): void {
    this.deferred.add(flush);
  }

  private flushDeferred(): void {
    for (const flush of this.deferred) flush(this);
  }

  savepoint<T>(fn: () => T): T {
    if (!this.db.inTransaction) throw new Error("a savepoint needs an open transaction");
    try {
      this.flushDeferred();
    } catch (error) {
      // what failed to land belongs to changes made before this savepoint: none of them may commit
      this.abandon();
      throw error;
    }
    // cached statements, as for a transaction
    this.statement("SAVEPOINT write").run();
    try {
      const result = fn();
      this.flushDeferred();
      this.statement("RELEASE write").run();
      return result;
    } catch (error) {
      this.rollbacks += 1;
      this.generation += 1;
      // after a full disk or an I/O error SQLite may have rolled back the whole transaction, savepoint and all
      if (this.db.inTransaction) {
        this.statement("ROLLBACK TO write").run();
        this.statement("RELEASE write").run();
      }
      throw error;
    }
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  close(): void {
    this.statements.clear();
    if (!this.db.open) return;
    this.db.close();
    this.checkpointer?.closed(this.file);
  }
}

/** Reads a migration chain: `NNNN_name.sql` files, applied in order of NNNN. */
export function loadMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: readFileSync(join(dir, f), "utf8") }))
    .sort((a, b) => a.version - b.version);
}

/** An open business database; it is its own handle, so borrowing one allocates nothing. */
interface PooledBusiness extends BusinessHandle {
  connection: NodeSqlConnection;
  borrowers: number;
  lastUsed: number;
}

/** Each open business database's page cache, in KiB: the budget shared, in powers of two from 256 KiB to 32 MiB. */
export function pageCacheKib(budgetBytes: number, open: number): number {
  const share = budgetBytes / 1024 / Math.max(1, open);
  return Math.min(32_768, Math.max(256, 2 ** Math.floor(Math.log2(Math.max(1, share)))));
}

/**
 * A bounded pool of open business databases, least recently used first out. A database in use by a
 * request is never closed under it; the pool may exceed its bound until those requests finish.
 * Callers release each handle exactly once (the request pipeline and every background reader do so in
 * a `finally`). The open databases share one page-cache budget (pageCacheKib): a founder's hundred
 * businesses take no more memory for pages than a few, each cache shrinking as more are open.
 */
export class BusinessPool implements BusinessDatabases {
  private readonly open = new Map<string, PooledBusiness>();
  private clock = 0;
  /** The page cache every open database has now, in KiB. */
  private pageCache = 0;

  constructor(
    private readonly dir: string,
    private readonly migrations: Migration[],
    private readonly synchronous: Synchronous,
    private readonly capacity: number,
    private readonly maxBytes = 0,
    private readonly checkpointer?: WalCheckpointer,
    private readonly pageCacheBudgetBytes = 128 * 1024 * 1024,
  ) {}

  acquire(businessId: string): BusinessHandle {
    let entry = this.open.get(businessId);
    if (!entry) {
      // the id becomes a file name: only the exact shape of a business id may reach the file system
      if (!/^biz_[0-9a-z]{26}$/.test(businessId)) throw new Error(`not a business id: ${businessId}`);
      const connection = new NodeSqlConnection(join(this.dir, `${businessId}.db`), this.synchronous, this.maxBytes, this.checkpointer);
      try {
        migrate(connection, this.migrations);
      } catch (error) {
        connection.close();
        throw error;
      }
      entry = { connection, borrowers: 0, lastUsed: 0, release: () => {} };
      const opened = entry;
      opened.release = () => {
        opened.borrowers -= 1;
        // grown past its bound while databases were in use: shrink back as they are returned
        if (this.open.size > this.capacity) this.evict(this.capacity);
      };
      this.open.set(businessId, entry);
      if (!this.sharePageCaches()) connection.setPageCache(this.pageCache);
    }
    this.clock += 1;
    entry.lastUsed = this.clock;
    entry.borrowers += 1;
    // after borrowing, so the database just opened is never the one closed to make room
    if (this.open.size > this.capacity) this.evict(this.capacity);
    return entry;
  }

  /** Closes the least recently used databases not in use until at most `keep` stay open (a rare path: only when one opens or the pool has overgrown). */
  private evict(keep: number): void {
    while (this.open.size > keep) {
      let oldest: [string, PooledBusiness] | undefined;
      for (const candidate of this.open) {
        if (candidate[1].borrowers === 0 && (!oldest || candidate[1].lastUsed < oldest[1].lastUsed)) oldest = candidate;
      }
      if (!oldest) break;
      oldest[1].connection.close();
      this.open.delete(oldest[0]);
    }
    this.sharePageCaches();
  }

  /**
   * Resizes every open database's page cache when the budget's share changed (rarely: sizes are powers
   * of two); true when it did. SQLite frees the pages beyond a smaller size at once.
   */
  private sharePageCaches(): boolean {
    const kib = pageCacheKib(this.pageCacheBudgetBytes, this.open.size);
    if (kib === this.pageCache) return false;
    this.pageCache = kib;
    for (const entry of this.open.values()) entry.connection.setPageCache(kib);
    return true;
  }

  openCount(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const entry of this.open.values()) entry.connection.close();
    this.open.clear();
  }
}
