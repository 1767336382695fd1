import type { SqlConnection } from "./sql.js";

/**
 * Remembers answers read from one database until that database is next written. Answers are never
 * stale: any write through the connection moves its generation and empties the cache. Bounded in
 * entries; when full, it starts over.
 */
export class GenerationCache<V> {
  // replaced, never clear()ed: a cleared Map's old table keeps its entries alive for V8's scavenger (decision 0009)
  private entries = new Map<string, V>();
  private generation = -1;
  hits = 0;
  misses = 0;

  constructor(
    private readonly connection: SqlConnection,
    private readonly maxEntries = 50_000,
  ) {}

  get(key: string, load: () => V): V {
    if (this.generation !== this.connection.generation) {
      this.entries = new Map();
      this.generation = this.connection.generation;
    }
    if (this.entries.has(key)) {
      this.hits += 1;
      return this.entries.get(key) as V;
    }
    this.misses += 1;
    const value = load();
    // a load that wrote (none should) must not be cached against the old generation
    if (this.generation === this.connection.generation) {
      if (this.entries.size >= this.maxEntries) this.entries = new Map();
      this.entries.set(key, value);
    }
    return value;
  }
}
