/**
 * A small Prometheus text-format registry. prom-client depends on Node built-ins, and this code must
 * also run on Workers; counters and histograms are a few lines each (docs/decisions/0003).
 */
type Labels = Record<string, string>;

/**
 * Label sets already rendered, found by walking name → value → name → value: the same few sets recur on
 * every request, and walking costs a few lookups where a concatenated key cost its strings every time.
 */
interface RenderedLabels {
  readonly next: Map<string, RenderedLabels>;
  rendered?: string;
}
const renderedLabels: RenderedLabels = { next: new Map() };
/** Steps kept, at most: label values come from routes and statuses, but nothing unbounded may grow a map. */
const MAX_RENDERED_STEPS = 20_000;
let renderedSteps = 0;

/** The label set in exposition format. */
function labelKey(labels: Labels): string {
  let node: RenderedLabels | undefined = renderedLabels;
  for (const name in labels) {
    node = step(step(node, name), labels[name]!);
  }
  if (!node) return render(labels);
  node.rendered ??= render(labels);
  return node.rendered;
}

function step(node: RenderedLabels | undefined, part: string): RenderedLabels | undefined {
  if (!node) return undefined;
  let next = node.next.get(part);
  if (!next && renderedSteps < MAX_RENDERED_STEPS) {
    next = { next: new Map() };
    node.next.set(part, next);
    renderedSteps += 1;
  }
  return next;
}

const render = (labels: Labels): string =>
  Object.keys(labels)
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",");

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [key, value] of this.values) out += `${this.name}${key ? `{${key}}` : ""} ${value}\n`;
    return out;
  }
}

/** A value read when scraped: a gauge, or a counter kept elsewhere (`type: "counter"`). */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number | Array<[Labels, number]>,
    private readonly type: "gauge" | "counter" = "gauge",
  ) {}

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`;
    const value = this.read();
    if (typeof value === "number") return `${out}${this.name} ${value}\n`;
    for (const [labels, v] of value) out += `${this.name}{${labelKey(labels)}} ${v}\n`;
    return out;
  }
}

interface HistogramSeries {
  buckets: number[];
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  private readonly series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let series = this.series.get(key);
    if (!series) {
      series = { buckets: new Array(this.bounds.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) series.buckets[i]! += 1;
    series.sum += value;
    series.count += 1;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const [key, s] of this.series) {
      const sep = key ? "," : "";
      this.bounds.forEach((bound, i) => {
        out += `${this.name}_bucket{${key}${sep}le="${bound}"} ${s.buckets[i]}\n`;
      });
      out += `${this.name}_bucket{${key}${sep}le="+Inf"} ${s.count}\n`;
      out += `${this.name}_sum${key ? `{${key}}` : ""} ${s.sum}\n`;
      out += `${this.name}_count${key ? `{${key}}` : ""} ${s.count}\n`;
    }
    return out;
  }
}

const SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** What a cache reports; read at every scrape, so getters work. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly evictions?: number;
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];

  readonly httpRequests = this.add(new Counter("coreflow_http_requests_total", "HTTP requests by route, method and status."));
  readonly httpDuration = this.add(
    new Histogram("coreflow_http_request_duration_seconds", "HTTP request duration by route and method.", SECONDS_BUCKETS),
  );
  readonly dbStatements = this.add(new Counter("coreflow_db_statements_total", "SQL statements executed for requests."));
  readonly dbSeconds = this.add(new Counter("coreflow_db_statement_seconds_total", "Time spent in SQL statements for requests."));
  readonly commitBatchSize = this.add(
    new Histogram("coreflow_db_commit_batch_writes", "Writes committed together by one shared business transaction (group commit).", [1, 2, 4, 8, 16, 32, 64, 128, 256]),
  );

  private readonly caches: Array<{ name: string; stats: CacheStats }> = [];
  readonly cacheHits = this.add(
    new Gauge("coreflow_cache_hits_total", "Lookups answered from an in-memory cache.", () => this.caches.map((c): [Labels, number] => [{ cache: c.name }, c.stats.hits]), "counter"),
  );
  readonly cacheMisses = this.add(
    new Gauge("coreflow_cache_misses_total", "Lookups an in-memory cache had to load.", () => this.caches.map((c): [Labels, number] => [{ cache: c.name }, c.stats.misses]), "counter"),
  );

  readonly cacheEvictions = this.add(
    new Gauge(
      "coreflow_cache_evictions_total",
      "Entries an in-memory cache dropped to stay within its bounds.",
      () => this.caches.flatMap((c): Array<[Labels, number]> => (c.stats.evictions === undefined ? [] : [[{ cache: c.name }, c.stats.evictions]])),
      "counter",
    ),
  );

  /** Exposes a cache's hit, miss and (where it evicts) eviction counts under the counters above. */
  trackCache(name: string, stats: CacheStats): void {
    this.caches.push({ name, stats });
  }

  add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  render(): string {
    return this.metrics.map((m) => m.render()).join("");
  }
}
