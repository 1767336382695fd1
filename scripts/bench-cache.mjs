// Compares the W-TinyLFU cache (src/platform/tinylfu-cache.ts) with lru-cache on the same trace, same capacity:
//   node scripts/bench-cache.mjs [--keys 100000] [--accesses 2000000] [--capacity 5000] [--zipf 0.99]
//                                [--scan-every 100000] [--scan-length 20000] [--reps 5] [--seed 42]
// The trace: Zipf(s) over `keys` keys (key 1 the most popular), with a scan of `scan-length` never-repeated keys
// after every `scan-every` Zipf accesses; generated once from a fixed-seed PRNG, so both caches see the same
// accesses. Each access is cache-aside: get, and on a miss set (weight 64..1,087 bytes, fixed per key). Both
// caches are bounded to `capacity` entries and `capacity × 576` bytes (the mean weight). Hit rates are
// deterministic; ops/s is the median of `reps` timed passes (the two caches alternate who goes first).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { LRUCache } from "lru-cache";
import { median, numberArg } from "./built-server.mjs";

const keys = numberArg("keys", 100_000);
const accesses = numberArg("accesses", 2_000_000);
const capacity = numberArg("capacity", 5_000);
const s = numberArg("zipf", 0.99);
const scanEvery = numberArg("scan-every", 100_000);
const scanLength = numberArg("scan-length", 20_000);
const reps = Math.max(1, Math.min(numberArg("reps", 5), 50));
const seed = numberArg("seed", 42);

const dir = mkdtempSync(join(tmpdir(), "coreflow-bench-cache-"));
let TinyLfuCache;
try {
  const bundle = join(dir, "tinylfu-cache.mjs");
  await build({ entryPoints: ["src/platform/tinylfu-cache.ts"], bundle: true, platform: "neutral", format: "esm", outfile: bundle, logLevel: "warning" });
  ({ TinyLfuCache } = await import(bundle));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** mulberry32: a small fixed-seed PRNG, uniform in [0, 1). */
function prng(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The trace: key ids (Zipf ranks 1..keys are popular keys, ids above `keys` are scan keys seen once).
const random = prng(seed);
const cdf = new Float64Array(keys);
let total = 0;
for (let k = 1; k <= keys; k++) cdf[k - 1] = total += 1 / k ** s;
for (let k = 0; k < keys; k++) cdf[k] /= total;
// Zipf ranks are shuffled onto ids so that popularity is not correlated with the key's text
const idOfRank = Int32Array.from({ length: keys }, (_, i) => i);
for (let i = keys - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [idOfRank[i], idOfRank[j]] = [idOfRank[j], idOfRank[i]];
}
const zipfCount = accesses;
const scans = Math.floor(zipfCount / scanEvery);
const trace = new Int32Array(zipfCount + scans * scanLength);
const isScan = new Uint8Array(trace.length);
let n = 0;
let nextScanId = keys;
for (let i = 0; i < zipfCount; i++) {
  const u = random();
  let lo = 0;
  let hi = keys - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  trace[n++] = idOfRank[lo];
  if ((i + 1) % scanEvery === 0) {
    for (let j = 0; j < scanLength; j++) {
      isScan[n] = 1;
      trace[n++] = nextScanId++;
    }
  }
}
// keys as the portfolio will use them: `${businessId}:${what}`; strings built once, outside the timing
const names = new Array(nextScanId);
const weights = new Int32Array(nextScanId);
for (let id = 0; id < nextScanId; id++) {
  names[id] = `b${id % 97}:report-${id}`;
  weights[id] = 64 + ((Math.imul(id, 2654435761) >>> 0) % 1024);
}
const maxBytes = capacity * 576;

const contenders = {
  "w-tinylfu": () => {
    const cache = new TinyLfuCache({ maxEntries: capacity, maxBytes });
    return { get: (k) => cache.get(k), set: (k, v, w) => cache.set(k, v, w), evictions: () => cache.evictions, size: () => cache.size };
  },
  "lru-cache": () => {
    let evictions = 0;
    const cache = new LRUCache({ max: capacity, maxSize: maxBytes, dispose: (_v, _k, reason) => reason === "evict" && evictions++ });
    return { get: (k) => cache.get(k), set: (k, v, w) => cache.set(k, v, { size: w }), evictions: () => evictions, size: () => cache.size };
  },
};

function pass(make) {
  const cache = make();
  const value = { cached: true };
  let hits = 0;
  let zipfHits = 0;
  const started = performance.now();
  for (let i = 0; i < trace.length; i++) {
    const id = trace[i];
    const key = names[id];
    if (cache.get(key) === undefined) cache.set(key, value, weights[id]);
    else {
      hits += 1;
      if (isScan[i] === 0) zipfHits += 1;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { hits, zipfHits, seconds, evictions: cache.evictions(), size: cache.size() };
}

const names2 = Object.keys(contenders);
const results = Object.fromEntries(names2.map((name) => [name, []]));
pass(contenders["w-tinylfu"]); // warm the JIT for both before timing
pass(contenders["lru-cache"]);
for (let r = 0; r < reps; r++) {
  const order = r % 2 === 0 ? names2 : [...names2].reverse();
  for (const name of order) results[name].push(pass(contenders[name]));
}

const zipfAccesses = zipfCount;
const summary = Object.fromEntries(
  names2.map((name) => {
    const runs = results[name];
    const first = runs[0];
    const seconds = median(runs.map((x) => x.seconds));
    return [
      name,
      {
        hitRate: Number((first.hits / trace.length).toFixed(4)),
        zipfHitRate: Number((first.zipfHits / zipfAccesses).toFixed(4)),
        evictions: first.evictions,
        finalSize: first.size,
        opsPerSecond: Math.round(trace.length / seconds),
        medianSeconds: Number(seconds.toFixed(3)),
        allSeconds: runs.map((x) => Number(x.seconds.toFixed(3))),
      },
    ];
  }),
);
console.log(
  JSON.stringify(
    {
      node: process.version,
      workload: { keys, zipf: s, zipfAccesses, scans, scanLength, totalAccesses: trace.length, capacity, maxBytes, reps, seed },
      results: summary,
    },
    null,
    2,
  ),
);
