import { hashKey, mix } from "../platform/tinylfu-cache.js";

/** A generation's first layer: 8 KiB, for 4,096 keys; each next one four times larger, up to 512 KiB. */
const FIRST_BITS = 1 << 16;
const LAST_BITS = 1 << 22;
/** At 16 bits a key and 7 probes, a full layer answers ~0.07 % of new keys wrongly. */
const BITS_PER_KEY = 16;
const PROBES = 7;

/** One Bloom filter of a generation, taking keys until it holds as many as it is sized for. */
class Layer {
  private readonly words: Uint32Array;
  private readonly mask: number;
  readonly capacity: number;
  count = 0;

  constructor(readonly bits: number) {
    this.words = new Uint32Array(bits / 32);
    this.mask = bits - 1;
    this.capacity = bits / BITS_PER_KEY;
  }

  add(h1: number, h2: number): void {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.words[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.count += 1;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/**
 * The keys added while it was the current generation, in layers that grow with them, so that a business
 * with few keyed writes keeps 8 KiB, not the most a busy one needs (a process keeps up to 256 open).
 * Past the last layer's size, it takes more keys and answers wrongly more often.
 */
class Generation {
  private readonly layers = [new Layer(FIRST_BITS)];

  constructor(readonly startedMs: number) {}

  add(h1: number, h2: number): void {
    let last = this.layers[this.layers.length - 1]!;
    if (last.count >= last.capacity && last.bits < LAST_BITS) {
      last = new Layer(last.bits * 4);
      this.layers.push(last);
    }
    last.add(h1, h2);
  }

  has(h1: number, h2: number): boolean {
    for (const layer of this.layers) if (layer.has(h1, h2)) return true;
    return false;
  }
}

/**
 * Which Idempotency-Keys one business database may hold a live record under, so that the gate knows a
 * new key (nearly every key) is new without a statement: outside a transaction, SQLite's lookup pays
 * for a read transaction of its own, its locks taken and dropped by system calls (~5 % of a keyed
 * payment's CPU). False only when no live record can exist: every record is added here as it is made,
 * a record lives `retentionMs`, and keys added in one generation stay for the whole next one. Until
 * `vouchesFromMs`, records made before the filter (by an earlier process) may still be live, and it
 * answers true. A key added by a write that was rolled back stays: it costs one lookup, never a wrong
 * answer. Past ~350,000 keys a generation it answers true ever more often, which is slower, never wrong.
 */
export class KeyFilter {
  private current: Generation;
  private previous: Generation | undefined;

  constructor(
    private readonly retentionMs: number,
    private readonly vouchesFromMs: number,
    nowMs: number,
  ) {
    this.current = new Generation(nowMs);
  }

  add(principal: string, key: string, nowMs: number): void {
    this.rotate(nowMs);
    const h1 = hashKey(`${principal} ${key}`);
    this.current.add(h1, probeStep(h1));
  }

  mayHold(principal: string, key: string, nowMs: number): boolean {
    if (nowMs < this.vouchesFromMs) return true;
    this.rotate(nowMs);
    const h1 = hashKey(`${principal} ${key}`);
    const h2 = probeStep(h1);
    return this.current.has(h1, h2) || this.previous?.has(h1, h2) === true;
  }

  /**
   * Once the current generation is a retention old it becomes the previous one (its keys, added within
   * two retentions, may be live) or, two retentions old, goes too; the previous one goes (its keys were
   * all added before the current one began, a retention or more ago).
   */
  private rotate(nowMs: number): void {
    const age = nowMs - this.current.startedMs;
    if (age < this.retentionMs) return;
    this.previous = age < 2 * this.retentionMs ? this.current : undefined;
    this.current = new Generation(nowMs);
  }
}

/** The second hash of double hashing, odd so that the probes differ. */
const probeStep = (h1: number): number => mix(h1 ^ 0x9e3779b9) | 1;
