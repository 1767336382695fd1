import { Pool } from "undici";

export interface HttpResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: T;
  /** Server-Timing `db;dur=` in ms, when the request touched a database. */
  dbMs: number | null;
  /** Milliseconds from send to the end of the body. */
  ms: number;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

// compiled once: the open loop reads Server-Timing from every response
const TIMING = { db: /(?:^|,)\s*db;dur=([0-9.]+)/, app: /(?:^|,)\s*app;dur=([0-9.]+)/ } as const;

/** A duration of the server's Server-Timing header (`db`: database, `app`: the whole request), in ms. */
export function timingMsOf(serverTiming: string | string[] | undefined, metric: keyof typeof TIMING): number | null {
  const value = Array.isArray(serverTiming) ? serverTiming.join(",") : serverTiming;
  if (!value) return null;
  const match = TIMING[metric].exec(value);
  return match ? Number(match[1]) : null;
}

export const dbMsOf = (serverTiming: string | string[] | undefined): number | null => timingMsOf(serverTiming, "db");

/** Only loopback targets: the suite never sends traffic anywhere else. */
export function assertLoopback(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "::1") {
    throw new Error(`the bench only targets 127.0.0.1 (loopback); refusing ${url.origin}`);
  }
  if (url.protocol !== "http:") throw new Error(`the bench speaks plain http to a local server; refusing ${url.protocol}`);
}

/** A small JSON client over a bounded keep-alive pool, for seeding, flows and checks. */
export class Http {
  private readonly pool: Pool;

  constructor(
    readonly origin: string,
    connections = 8,
    timeoutMs = 30_000,
  ) {
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    const fullPath = path.startsWith("/api") || path === "/health" || path === "/metrics" ? path : `/api/v1${path}`;
    const started = performance.now();
    const res = await this.pool.request({ method: method as "GET", path: fullPath, headers, body });
    const text = await res.body.text();
    const ms = performance.now() - started;
    let parsed: unknown = text;
    const type = String(res.headers["content-type"] ?? "");
    if (type.includes("json") && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.statusCode, headers: res.headers, text, body: parsed as T, dbMs: dbMsOf(res.headers["server-timing"]), ms };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>("GET", path, options);
  }

  post<T = any>(path: string, body: unknown, options?: RequestOptions) {
    return this.request<T>("POST", path, { ...options, body });
  }

  patch<T = any>(path: string, body: unknown, options?: RequestOptions) {
    return this.request<T>("PATCH", path, { ...options, body });
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => this.pool.destroy());
  }
}

/** Throws with the response text when the status is not the expected one. */
export function expectStatus(res: HttpResponse, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inBatches<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, i);
      }
    }),
  );
  return out;
}
