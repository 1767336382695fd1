/** A thin HTTP client for black-box tests: JSON in, status + headers + parsed body out. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is: bytes for coded bodies or ones that are not valid UTF-8. */
  rawBody?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
}

export function client(baseUrl: string) {
  async function request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body: string | Uint8Array<ArrayBuffer> | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] ??= "application/json";
    }
    const url = path.startsWith("http") ? path : `${baseUrl}${path.startsWith("/api") || path.startsWith("/health") || path.startsWith("/metrics") ? "" : "/api/v1"}${path}`;
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }
  return {
    request,
    get: <T = any>(path: string, o?: RequestOptions) => request<T>("GET", path, o),
    post: <T = any>(path: string, body?: unknown, o?: RequestOptions) => request<T>("POST", path, { ...o, body }),
    patch: <T = any>(path: string, body?: unknown, o?: RequestOptions) => request<T>("PATCH", path, { ...o, body }),
    delete: <T = any>(path: string, o?: RequestOptions) => request<T>("DELETE", path, o),
  };
}

export type Client = ReturnType<typeof client>;

let counter = 0;
/** Registers a fresh user; returns their tokens. */
export async function registerUser(api: Client, name = "Test User") {
  counter += 1;
  const email = `user${Date.now()}${counter}${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = "correct horse battery staple";
  const res = await api.post("/auth/register", { email, password, name });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { email, password, userId: res.body.user.id as string, token: res.body.accessToken as string, refreshToken: res.body.refreshToken as string };
}

export async function createBusiness(api: Client, token: string, name = "Acme", baseCurrency = "USD") {
  const res = await api.post("/businesses", { name, baseCurrency }, { token });
  if (res.status !== 201) throw new Error(`create business failed: ${res.status} ${res.text}`);
  return res.body.id as string;
}

/** Follows a list's nextCursor with `limit` records a page (at most 200 pages); fails on any non-200 page. */
async function eachPage(api: Client, path: string, token: string, limit: number, onPage: (page: ApiResponse) => void): Promise<void> {
  let cursor: string | null = null;
  for (let i = 0; i < 200; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const res: ApiResponse = await api.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.text}`);
    onPage(res);
    cursor = res.body.nextCursor;
    if (!cursor) return;
  }
  throw new Error(`${path} did not end within 200 pages`);
}

/** Every record of a list, following nextCursor (at most 200 pages of 200). */
export async function allPages<T = any>(api: Client, path: string, token: string): Promise<T[]> {
  const out: T[] = [];
  await eachPage(api, path, token, 200, (page) => out.push(...page.body.data));
  return out;
}

/** A list's ids in page order, `limit` a page, and the distinct statement counts its pages reported in Server-Timing. */
export async function pagedIds(api: Client, path: string, token: string, limit: number): Promise<{ ids: string[]; statements: Set<string> }> {
  const ids: string[] = [];
  const statements = new Set<string>();
  await eachPage(api, path, token, limit, (page) => {
    statements.add(/desc="(\d+) statements"/.exec(page.headers.get("server-timing") ?? "")?.[1] ?? "?");
    ids.push(...page.body.data.map((r: { id: string }) => r.id));
  });
  return { ids, statements };
}

/** A CRM company of the business: the customer an invoice needs. */
/** A business's accounts by standard key (cash, receivable, …) or, for the others, by code. */
export async function accountsByKey(api: Client, token: string, businessId: string): Promise<Record<string, { id: string; code: string; type: string }>> {
  const accounts: Record<string, { id: string; code: string; type: string }> = {};
  for (const a of await allPages(api, `/businesses/${businessId}/accounts`, token)) accounts[a.systemKey ?? a.code] = a;
  return accounts;
}

export async function createCustomer(api: Client, token: string, businessId: string, name = "Customer Ltd"): Promise<string> {
  const res = await api.post(`/businesses/${businessId}/companies`, { name }, { token });
  if (res.status !== 201) throw new Error(`create customer failed: ${res.status} ${res.text}`);
  return res.body.id as string;
}

/** The cache counters of `/metrics` for each named cache: `{ sessions: { hits, misses }, … }`. */
export async function cacheCounters(api: Client, ...caches: string[]): Promise<Record<string, { hits: number; misses: number }>> {
  const text = (await api.get("/metrics")).text;
  const read = (counter: string, cache: string) => Number(text.match(new RegExp(`^${counter}\\{cache="${cache}"\\} (\\d+)$`, "m"))?.[1] ?? Number.NaN);
  return Object.fromEntries(caches.map((cache) => [cache, { hits: read("coreflow_cache_hits_total", cache), misses: read("coreflow_cache_misses_total", cache) }]));
}
