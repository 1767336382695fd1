/**
 * Token buckets keyed by credential or address, held in memory and bounded in size: the oldest keys
 * are dropped first, which at worst forgives a client, never blocks one wrongly.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token; returns 0 when allowed, or the seconds to wait. */
  take(key: string, now = Date.now()): number {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.perSecond;
  }
}

/** Counts failures in a fixed window per key: N failures lock the key until the window ends. */
export class FailureWindow {
  private readonly windows = new Map<string, { failures: number; until: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until the key may try again, or 0. */
  blockedFor(key: string, now = Date.now()): number {
    const window = this.windows.get(key);
    if (!window || window.until <= now) return 0;
    return window.failures >= this.limit ? (window.until - now) / 1000 : 0;
  }

  fail(key: string, now = Date.now()): void {
    let window = this.windows.get(key);
    if (!window || window.until <= now) {
      if (!window && this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
      window = { failures: 0, until: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.failures += 1;
  }

  clear(key: string): void {
    this.windows.delete(key);
  }
}
