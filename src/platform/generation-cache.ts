import type { Db, SqlConnection } from "./sql.js";

/**
 * What a write can change among the cached answers of its database, declared by the code that made it:
 * `business:<id>` (a business's row, its memberships and API keys as admission reads them) or
 * `session:<id>` (one sign-in session). Undeclared writes, and rollbacks, can change anything.
 */
export const cacheScope = {
  business: (id: string) => `business:${id}`,
  session: (id: string) => `session:${id}`,
  /** Refresh tokens: no cached answer reads them, so a write of them drops nothing. */
  refreshTokens: "refresh-tokens",
};

/** The scopes of a connection's latest writes, by generation (the write's, right after it). */
interface ScopeLog {
  generations: number[];
  scopes: string[];
}

/** Writes a cache may catch up on one by one; a cache further behind starts over. */
const LOG_SIZE = 256;
const logs = new WeakMap<SqlConnection, ScopeLog>();

/**
 * Declares the scope of the write just made through `db` (call it right after the statement): caches
 * then drop only the answers in that scope, not every answer they hold. A write not declared moves the
 * generation with no scope, and every cache of the database starts over, as before any declaration.
 */
export function declareScope(db: Db, scope: string): void {
  const connection = db.connection;
  let log = logs.get(connection);
  if (!log) {
    log = { generations: new Array<number>(LOG_SIZE).fill(-1), scopes: new Array<string>(LOG_SIZE).fill("") };
    logs.set(connection, log);
  }
  const at = connection.generation % LOG_SIZE;
  log.generations[at] = connection.generation;
  log.scopes[at] = scope;
}

/** The scopes of the writes after generation `from` up to `to`, or undefined if any was not declared. */
function scopesWritten(connection: SqlConnection, from: number, to: number): Set<string> | undefined {
  const log = logs.get(connection);
  if (!log || from < 0 || to - from > LOG_SIZE) return undefined;
  const scopes = new Set<string>();
  for (let generation = from + 1; generation <= to; generation++) {
    const at = generation % LOG_SIZE;
    if (log.generations[at] !== generation) return undefined;
    scopes.add(log.scopes[at]!);
  }
  return scopes;
}

/** The scope of answers that name none: any write drops them. */
const ANY = "";

interface Entry<V> {
  value: V;
  scope: string;
  /** The scope's stamp when the value was read: the value holds while the stamp has not moved. */
  stamp: number;
}

/**
 * Remembers answers read from one database until a write can have changed them. Answers are never
 * stale: every write through the connection moves its generation, and the cache catches up before it
 * answers — dropping the answers in the scopes of declared writes (declareScope), or all of them after
 * an undeclared write or a rollback. Bounded in entries and scopes; when full, it starts over.
 */
export class GenerationCache<V> {
  // replaced, never clear()ed: a cleared Map's old table keeps its entries alive for V8's scavenger (decision 0009)
  private entries = new Map<string, Entry<V>>();
  /** Per scope of the entries kept since they started over, the declared writes to it since then. */
  private stamps = new Map<string, number>();
  private generation = -1;
  hits = 0;
  misses = 0;

  constructor(
    private readonly connection: SqlConnection,
    private readonly maxEntries = 50_000,
  ) {}

  /** The answer for `key`, loaded if needed; `scopeOf` names the scope it belongs to (none: ANY). */
  get(key: string, load: () => V, scopeOf?: (value: V) => string | undefined): V {
    this.catchUp();
    const entry = this.entries.get(key);
    if (entry !== undefined && this.stamps.get(entry.scope) === entry.stamp) {
      this.hits += 1;
      return entry.value;
    }
    this.misses += 1;
    const value = load();
    // a load that wrote (none should) must not be cached against the old generation
    if (this.generation === this.connection.generation) this.keep(key, value, scopeOf?.(value) ?? ANY);
    return value;
  }

  /**
   * Remembers `value` as the answer for `key` without reading it: for the code that has just committed
   * exactly that row, in the same synchronous run (nothing can have written in between).
   */
  prime(key: string, value: V, scope: string): void {
    this.catchUp();
    this.keep(key, value, scope);
  }

  private keep(key: string, value: V, scope: string): void {
    if (this.entries.size >= this.maxEntries || this.stamps.size >= this.maxEntries) this.startOver();
    let stamp = this.stamps.get(scope);
    if (stamp === undefined) {
      stamp = 0;
      this.stamps.set(scope, stamp);
    }
    this.entries.set(key, { value, scope, stamp });
  }

  private catchUp(): void {
    const current = this.connection.generation;
    if (this.generation === current) return;
    const scopes = scopesWritten(this.connection, this.generation, current);
    this.generation = current;
    if (scopes === undefined) {
      this.startOver();
      return;
    }
    // only scopes some entry was kept in are counted: the others have nothing here to drop
    scopes.add(ANY);
    for (const scope of scopes) {
      const stamp = this.stamps.get(scope);
      if (stamp !== undefined) this.stamps.set(scope, stamp + 1);
    }
  }

  private startOver(): void {
    this.entries = new Map();
    this.stamps = new Map();
  }
}
