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

/** A counter's value for one label set: resolved once by callers that count into the same set again and again. */
export interface CounterCell {
  value: number;
}

export class Counter implements Metric {
  private readonly cells = new Map<string, CounterCell>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    this.cell(labels).value += by;
  }

  /** The value of this label set, counted from 0 when new. */
  cell(labels: Labels = {}): CounterCell {
    const key = labelKey(labels);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { value: 0 };
      this.cells.set(key, cell);
    }
    return cell;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [key, cell] of this.cells) out += `${this.name}${key ? `{${key}}` : ""} ${cell.value}\n`;
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

/** A histogram's series for one label set: resolved once by callers that observe into the same set again and again. */
export class HistogramSeries {
  /** Observations per bucket, each counted once (in the first bucket whose bound holds it); cumulated when rendered. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array(bounds.length).fill(0);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]! += 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    this.seriesOf(labels).observe(value);
  }

  /** The series of this label set, empty when new. */
  seriesOf(labels: Labels): HistogramSeries {
    const key = labelKey(labels);
    let series = this.series.get(key);
    if (!series) {
      series = new HistogramSeries(this.bounds);
      this.series.set(key, series);
    }
    return series;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const [key, s] of this.series) {
      const sep = key ? "," : "";
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        out += `${this.name}_bucket{${key}${sep}le="${bound}"} ${cumulative}\n`;
      });
      out += `${this.name}_bucket{${key}${sep}le="+Inf"} ${s.count}\n`;
      out += `${this.name}_sum${key ? `{${key}}` : ""} ${s.sum}\n`;
      out += `${this.name}_count${key ? `{${key}}` : ""} ${s.count}\n`;
    }
    return out;
  }
}

/** What a request of one route and method counts into: its duration, and the requests by status. */
export interface RouteSeries {
  readonly duration: HistogramSeries;
  status(code: number): CounterCell;
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

  /**
   * The HTTP series by route, then method, resolved once each: label sets built and looked up per request
   * (two metrics, their label objects and trie walks) cost every answer ~3,000 instructions (GET /health
   * 112.4k → 109.3k). Bounded: routes are the app's, methods those Node's parser accepts, statuses HTTP's.
   */
  private readonly routes = new Map<string, Map<string, RouteSeries>>();

  /** The series a request of `route` (its pattern, or "unmatched") and `method` counts into. */
  routeSeries(route: string, method: string): RouteSeries {
    let byMethod = this.routes.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.routes.set(route, byMethod);
    }
    let series = byMethod.get(method);
    if (!series) {
      const statuses = new Map<number, CounterCell>();
      series = {
        duration: this.httpDuration.seriesOf({ route, method }),
        status: (code) => {
          let cell = statuses.get(code);
          if (!cell) {
            cell = this.httpRequests.cell({ route, method, status: String(code) });
            statuses.set(code, cell);
          }
          return cell;
        },
      };
      byMethod.set(method, series);
    }
    return series;
  }

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
