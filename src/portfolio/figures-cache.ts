import { lastEventSeq } from "../platform/event-log.js";
import type { MetricsRegistry } from "../platform/metrics.js";
import type { Db } from "../platform/sql.js";
import { TinyLfuCache } from "../platform/tinylfu-cache.js";
import type { BusinessFigures } from "./service.js";

/**
 * A business's portfolio figures for one day, kept until that business commits anything: every change
 * appends to its event log (0004), so an entry is served only while the log's last sequence number is
 * the one it was computed at, and a business's older entries go as soon as it has changed. Admission is
 * W-TinyLFU (0040), bounded in entries and bytes; hits and misses are in /metrics (cache="portfolio").
 */
export class BusinessFiguresCache {
  private readonly cache = new TinyLfuCache<BusinessFigures>({ maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 });

  constructor(metrics: MetricsRegistry) {
    metrics.trackCache("portfolio", this.cache);
  }

  /** The figures of the business behind `db` as of `asOf`, computed only when the business changed since. */
  figures(businessId: string, asOf: string, db: Db, compute: () => BusinessFigures): BusinessFigures {
    // the key names the log position, so a change makes the next lookup an honest miss
    const key = `${businessId}:${asOf}:${lastEventSeq(db)}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    this.cache.invalidateGroup(businessId);
    const figures = compute();
    this.cache.set(key, figures, JSON.stringify(figures).length + key.length);
    return figures;
  }
}
