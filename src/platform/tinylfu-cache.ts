/**
 * An in-process cache with the W-TinyLFU policy (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient
 * Cache Admission Policy", and Caffeine's implementation of it), bounded both in entries and in bytes.
 *
 * - A small admission window (1 % of the capacity) is a plain LRU: every new entry lands there, so a
 *   burst of new keys is served without being judged yet.
 * - The main space (the other 99 %) is a segmented LRU: probation (20 %) and protected (80 %). An entry
 *   read while on probation is promoted to protected; protected overflow is demoted back to probation.
 * - When the window overflows, its least recent entry becomes a candidate for the main space. While the
 *   cache is over a bound, the candidate is compared with main's victim (least recent on probation, else
 *   on protected) by estimated frequency: only a candidate seen strictly more often than the victim is
 *   admitted (the victim is evicted), otherwise the candidate is evicted. A scan of one-hit wonders thus
 *   passes through the window without displacing the working set.
 * - Frequencies come from a Count-Min Sketch of 4-bit counters (depth 4), halved every
 *   `10 × maxEntries` increments so that the history ages.
 *
 * Entries belong to a group (by default the key up to its first ':', e.g. the business id of
 * `${businessId}:${what}`); `invalidateGroup(group)` drops a group in time proportional to its entries.
 *
 * Runtime-neutral: no built-ins, no packages. Not thread-safe (JS isn't threaded). `hits`, `misses` and
 * `evictions` can be handed to `MetricsRegistry.trackCache(name, cache)`.
 */

const Segment = { Window: 0, Probation: 1, Protected: 2 } as const;
type Segment = (typeof Segment)[keyof typeof Segment];

interface Node<V> {
  key: string;
  value: V;
  weight: number;
  group: string;
  hash: number;
  segment: Segment;
  prev: Node<V> | null;
  next: Node<V> | null;
  /** Neighbours in the node's group (an intrusive list, so joining and leaving a group allocate nothing). */
  groupPrev: Node<V> | null;
  groupNext: Node<V> | null;
}

/** A doubly linked list, least recent at `head`, most recent at `tail`, with its own totals. */
class Queue<V> {
  head: Node<V> | null = null;
  tail: Node<V> | null = null;
  count = 0;
  bytes = 0;

  push(node: Node<V>): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.count += 1;
    this.bytes += node.weight;
  }

  unlink(node: Node<V>): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = null;
    node.next = null;
    this.count -= 1;
    this.bytes -= node.weight;
  }

  /** Makes `node` (already in this queue) the most recent. */
  touch(node: Node<V>): void {
    if (this.tail === node) return;
    this.unlink(node);
    this.push(node);
  }
}

/** 32-bit FNV-1a of a string's UTF-16 code units, finished with a murmur3 mix. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix(h);
}

/** murmur3's 32-bit finaliser: every input bit reaches every output bit. */
export function mix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEED = 0x97cb3127;

/**
 * A Count-Min Sketch of 4-bit counters (eight to a 32-bit word, 16 per expected entry, as in Caffeine),
 * depth 4 (the four positions by double hashing: hash + i × step). `frequency` is the minimum of the key's four counters, 0..15. After `sampleSize` increments
 * every counter is halved ("reset"), so old popularity fades.
 */
export class FrequencySketch {
  private readonly table: Uint32Array;
  private readonly mask: number;
  private readonly sampleSize: number;
  private additions = 0;
  /** How many times the counters were halved; for tests and diagnostics. */
  resets = 0;

  constructor(maxEntries: number) {
    const capacity = Math.max(1, Math.min(maxEntries, 1 << 24));
    let words = 16;
    while (words < capacity * 2) words *= 2;
    this.table = new Uint32Array(words);
    this.mask = words - 1;
    this.sampleSize = 10 * capacity;
  }

  frequency(hash: number): number {
    let min = 15;
    const step = mix(hash ^ SEED) | 1;
    for (let i = 0, h = hash; i < 4; i++, h = (h + step) >>> 0) {
      const shift = (h >>> 29) << 2;
      const value = (this.table[h & this.mask]! >>> shift) & 0xf;
      if (value < min) min = value;
    }
    return min;
  }

  increment(hash: number): void {
    let added = false;
    const step = mix(hash ^ SEED) | 1;
    for (let i = 0, h = hash; i < 4; i++, h = (h + step) >>> 0) {
      const index = h & this.mask;
      const shift = (h >>> 29) << 2;
      const word = this.table[index]!;
      if (((word >>> shift) & 0xf) < 15) {
        this.table[index] = (word + (1 << shift)) >>> 0;
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.reset();
  }

  /** Halves every counter. Counters that were odd lose their half, which `additions` accounts for. */
  private reset(): void {
    let odd = 0;
    for (let i = 0; i < this.table.length; i++) {
      const word = this.table[i]!;
      odd += popcount(word & 0x11111111);
      this.table[i] = (word >>> 1) & 0x77777777;
    }
    this.additions = (this.additions - (odd >>> 2)) >>> 1;
    this.resets += 1;
  }
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export interface TinyLfuOptions {
  /** At most this many entries (≥ 1). */
  maxEntries: number;
  /** At most this many bytes, summed over the entries' weights (≥ 1). */
  maxBytes: number;
  /** The group of a key, for `invalidateGroup`; by default the key up to its first ':' (all of it if none). */
  groupOf?: (key: string) => string;
  /** Share of the capacity given to the admission window; 0.01 unless told. */
  windowShare?: number;
}

const defaultGroupOf = (key: string): string => {
  const i = key.indexOf(":");
  return i < 0 ? key : key.slice(0, i);
};

export class TinyLfuCache<V> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly nodes = new Map<string, Node<V>>();
  /** The first node of each group's list. */
  private readonly groups = new Map<string, Node<V>>();
  private readonly window = new Queue<V>();
  private readonly probation = new Queue<V>();
  private readonly protectedQueue = new Queue<V>();
  private readonly sketch: FrequencySketch;
  private readonly groupOf: (key: string) => string;
  private readonly windowMaxEntries: number;
  private readonly windowMaxBytes: number;
  private readonly protectedMaxEntries: number;
  private readonly protectedMaxBytes: number;
  private totalBytes = 0;
  private hitCount = 0;
  private missCount = 0;
  private evictionCount = 0;

  constructor(options: TinyLfuOptions) {
    const { maxEntries, maxBytes } = options;
    if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) throw new RangeError("maxEntries must be a positive integer");
    if (!(Number.isFinite(maxBytes) && maxBytes >= 1)) throw new RangeError("maxBytes must be a positive number");
    const share = options.windowShare ?? 0.01;
    if (!(share > 0 && share < 1)) throw new RangeError("windowShare must be between 0 and 1");
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.groupOf = options.groupOf ?? defaultGroupOf;
    this.windowMaxEntries = Math.max(1, Math.floor(maxEntries * share));
    this.windowMaxBytes = Math.max(1, maxBytes * share);
    this.protectedMaxEntries = Math.floor((maxEntries - this.windowMaxEntries) * 0.8);
    this.protectedMaxBytes = (maxBytes - this.windowMaxBytes) * 0.8;
    this.sketch = new FrequencySketch(maxEntries);
  }

  /** Lookups answered from the cache. */
  get hits(): number {
    return this.hitCount;
  }
  /** Lookups of a key that was not cached. */
  get misses(): number {
    return this.missCount;
  }
  /** Entries removed to respect a bound (rejected candidates included); deletions and invalidations are not counted. */
  get evictions(): number {
    return this.evictionCount;
  }
  /** Entries currently cached. */
  get size(): number {
    return this.nodes.size;
  }
  /** Sum of the cached entries' weights. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The cached value, counted as a hit or a miss; a hit records the access. */
  get(key: string): V | undefined {
    const node = this.nodes.get(key);
    if (node === undefined) {
      this.missCount += 1;
      return undefined;
    }
    this.hitCount += 1;
    this.sketch.increment(node.hash);
    this.onAccess(node);
    return node.value;
  }

  /** The cached value without counting or recording an access. */
  peek(key: string): V | undefined {
    return this.nodes.get(key)?.value;
  }

  has(key: string): boolean {
    return this.nodes.has(key);
  }

  /**
   * Caches `value` under `key`, weighing `weight` bytes (e.g. the length of its JSON). Returns false, and
   * drops any previous value of the key, when the weight alone exceeds `maxBytes`. The entry (or another)
   * may be evicted right away to respect the bounds; `evictions` counts it.
   */
  set(key: string, value: V, weight: number): boolean {
    if (!(Number.isFinite(weight) && weight >= 0)) throw new RangeError("weight must be a non-negative number");
    const existing = this.nodes.get(key);
    if (weight > this.maxBytes) {
      if (existing) this.remove(existing);
      return false;
    }
    if (existing) {
      this.sketch.increment(existing.hash);
      existing.value = value;
      const queue = this.queueOf(existing.segment);
      queue.bytes += weight - existing.weight;
      this.totalBytes += weight - existing.weight;
      existing.weight = weight;
      this.onAccess(existing);
      this.demoteProtectedOverflow();
    } else {
      const hash = hashKey(key);
      this.sketch.increment(hash);
      const group = this.groupOf(key);
      const first = this.groups.get(group) ?? null;
      const node: Node<V> = { key, value, weight, group, hash, segment: Segment.Window, prev: null, next: null, groupPrev: null, groupNext: first };
      if (first) first.groupPrev = node;
      this.groups.set(group, node);
      this.nodes.set(key, node);
      this.window.push(node);
      this.totalBytes += weight;
    }
    this.drainWindow();
    this.evictWhileOver();
    return true;
  }

  /** Removes one key; true if it was cached. */
  delete(key: string): boolean {
    const node = this.nodes.get(key);
    if (node === undefined) return false;
    this.remove(node);
    return true;
  }

  /** Removes every entry of a group (e.g. one business), in time proportional to their number; returns how many. */
  invalidateGroup(group: string): number {
    let count = 0;
    for (let node = this.groups.get(group); node; node = this.groups.get(group)) {
      this.remove(node);
      count += 1;
    }
    return count;
  }

  /** Empties the cache (counters and frequency history are kept). */
  clear(): void {
    for (const node of [...this.nodes.values()]) this.remove(node);
  }

  /** The cached keys, least recent first within each segment (window, probation, protected). */
  *keys(): IterableIterator<string> {
    for (const queue of [this.window, this.probation, this.protectedQueue]) {
      for (let node = queue.head; node; node = node.next) yield node.key;
    }
  }

  /** The group's cached keys. */
  groupKeys(group: string): string[] {
    const keys: string[] = [];
    for (let node = this.groups.get(group) ?? null; node; node = node.groupNext) keys.push(node.key);
    return keys;
  }

  /** Estimated access frequency of a key, 0..15. */
  frequency(key: string): number {
    return this.sketch.frequency(hashKey(key));
  }

  private queueOf(segment: Segment): Queue<V> {
    return segment === Segment.Window ? this.window : segment === Segment.Probation ? this.probation : this.protectedQueue;
  }

  private onAccess(node: Node<V>): void {
    if (node.segment === Segment.Window) this.window.touch(node);
    else if (node.segment === Segment.Protected) this.protectedQueue.touch(node);
    else {
      this.probation.unlink(node);
      node.segment = Segment.Protected;
      this.protectedQueue.push(node);
      this.demoteProtectedOverflow();
    }
  }

  private demoteProtectedOverflow(): void {
    while (this.protectedQueue.head && (this.protectedQueue.count > this.protectedMaxEntries || this.protectedQueue.bytes > this.protectedMaxBytes)) {
      const node = this.protectedQueue.head;
      this.protectedQueue.unlink(node);
      node.segment = Segment.Probation;
      this.probation.push(node);
    }
  }

  private isOver(): boolean {
    return this.nodes.size > this.maxEntries || this.totalBytes > this.maxBytes;
  }

  /** Moves the window's overflow, least recent first, to main, each as a candidate for admission. */
  private drainWindow(): void {
    while (this.window.head && (this.window.count > this.windowMaxEntries || this.window.bytes > this.windowMaxBytes)) {
      const candidate = this.window.head;
      this.window.unlink(candidate);
      this.admit(candidate);
    }
  }

  /**
   * `candidate` (out of any queue, still counted in the totals) either joins probation or is evicted.
   * While the cache is over a bound, the candidate duels main's victim: the more frequent stays.
   */
  private admit(candidate: Node<V>): void {
    candidate.segment = Segment.Probation;
    if (this.isOver()) {
      const candidateFrequency = this.sketch.frequency(candidate.hash);
      while (this.isOver()) {
        const victim = this.probation.head ?? this.protectedQueue.head;
        if (victim === null) break;
        if (candidateFrequency > this.sketch.frequency(victim.hash)) {
          this.evict(victim);
        } else {
          this.evictionCount += 1;
          this.forget(candidate);
          return;
        }
      }
    }
    this.probation.push(candidate);
  }

  /** Reached when main was empty during admission, or when an update made an entry heavier. */
  private evictWhileOver(): void {
    while (this.isOver()) {
      const victim = this.probation.head ?? this.protectedQueue.head ?? this.window.head;
      if (victim === null) return;
      this.evict(victim);
    }
  }

  private evict(node: Node<V>): void {
    this.evictionCount += 1;
    this.remove(node);
  }

  private remove(node: Node<V>): void {
    this.queueOf(node.segment).unlink(node);
    this.forget(node);
  }

  /** Drops a node that is in no queue from the index, its group and the totals. */
  private forget(node: Node<V>): void {
    this.nodes.delete(node.key);
    if (node.groupNext) node.groupNext.groupPrev = node.groupPrev;
    if (node.groupPrev) node.groupPrev.groupNext = node.groupNext;
    else if (node.groupNext) this.groups.set(node.group, node.groupNext);
    else this.groups.delete(node.group);
    node.groupPrev = null;
    node.groupNext = null;
    this.totalBytes -= node.weight;
  }
}
