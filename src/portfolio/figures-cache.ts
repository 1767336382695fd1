import { lastEventSeq } from "../platform/event-log.js";
import { Counter, type MetricsRegistry } from "../platform/metrics.js";
import type { Db } from "../platform/sql.js";
import { TinyLfuCache } from "../platform/tinylfu-cache.js";
import type { BusinessFigures } from "./service.js";

/**
 * What the portfolio computes per business — the day's figures, and base-currency statements for given
 * parameters — kept until that business commits anything: every change appends to its event log (0004),
 * so an entry is served only while the log's last sequence number is the one it was computed at, and a
 * business's entries of an older sequence go as soon as it has changed. Admission is W-TinyLFU (0040),
 * bounded in entries and bytes; hits and misses are in /metrics (cache="portfolio").
 *
 * Keys: `${businessId}:${what}:${lastEventSeq}`, `what` naming the computation and its parameters (the
 * figures' `what` is the day, as before). Translation into the caller's currency is never cached: it
 * depends on the caller's own rate table, and it is cheap.
 */
export class BusinessFiguresCache {
  private readonly cache = new TinyLfuCache<unknown>({ maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 });
  /** Businesses whose figures the warm-up after sign-in computed, found already cached, or failed on. */
  readonly warmUps: Counter;

  constructor(metrics: MetricsRegistry) {
    metrics.trackCache("portfolio", this.cache);
    this.warmUps = metrics.add(
      new Counter("coreflow_portfolio_warmups_total", "Businesses the background warm-up after sign-in handled, by outcome (computed, cached, failed)."),
    );
  }

  /** The value of `what` for the business behind `db`, computed only when the business changed since. */
  lookup<T>(businessId: string, what: string, db: Db, compute: () => T): T {
    // the key names the log position, so a change makes the next lookup an honest miss
    const seq = lastEventSeq(db);
    const key = `${businessId}:${what}:${seq}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached as T;
    this.dropOlder(businessId, seq);
    const value = compute();
    this.cache.set(key, value, JSON.stringify(value).length + key.length);
    return value;
  }

  /** True when `what` is cached for the business's current sequence; no effect on hits, misses or recency. */
  holds(businessId: string, what: string, db: Db): boolean {
    return this.cache.has(`${businessId}:${what}:${lastEventSeq(db)}`);
  }

  /** Stores a value computed outside `lookup` (the warm-up), dropping the business's older entries. */
  store(businessId: string, what: string, db: Db, value: unknown): void {
    const seq = lastEventSeq(db);
    const key = `${businessId}:${what}:${seq}`;
    this.dropOlder(businessId, seq);
    this.cache.set(key, value, JSON.stringify(value).length + key.length);
  }

  figures(businessId: string, asOf: string, db: Db, compute: () => BusinessFigures): BusinessFigures {
    return this.lookup(businessId, asOf, db, compute);
  }

  /** Entries of this business computed at another sequence are stale: drop them (O(entries of the business)). */
  private dropOlder(businessId: string, seq: number): void {
    const suffix = `:${seq}`;
    for (const key of this.cache.groupKeys(businessId)) if (!key.endsWith(suffix)) this.cache.delete(key);
  }
}

const perRegistry = new WeakMap<MetricsRegistry, BusinessFiguresCache>();

/** The one portfolio cache of an application (its metrics registry): the routes and the warm-up share it. */
export function portfolioCache(metrics: MetricsRegistry): BusinessFiguresCache {
  let cache = perRegistry.get(metrics);
  if (!cache) {
    cache = new BusinessFiguresCache(metrics);
    perRegistry.set(metrics, cache);
  }
  return cache;
}
