import type { Context } from "hono";

/**
 * Sent with every answer: OWASP's security headers for a REST API — nothing of it may be framed, sniffed
 * as another type or read by another origin, and only over HTTPS. Names in lower case, as HTTP/1.1
 * answers carried them before and HTTP/2 requires (and Node's setHeader then has no lower-cased copy of
 * each name to make). The headers that only mean something for a page a browser renders are in
 * DOCUMENT_HEADERS: each header costs every answer Node's checks of its name and value.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin",
  "strict-transport-security": "max-age=15552000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

/**
 * Sent with the one page a browser renders (the API reference), besides SECURITY_HEADERS: what
 * hono/secure-headers sends by default, with the page's content policy in place of the API's.
 */
export const DOCUMENT_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  "cross-origin-opener-policy": "same-origin",
  "origin-agent-cluster": "?1",
  "referrer-policy": "no-referrer",
  "x-dns-prefetch-control": "off",
  "x-download-options": "noopen",
  "x-permitted-cross-domain-policies": "none",
  "x-xss-protection": "0",
};

/**
 * Adds headers to the answer of the request in `c`, after its handler ran; a header the answer already
 * carries keeps its value. Each runtime brings its own: Node's sets them on its ServerResponse, because
 * building a WHATWG Headers object for every answer costs more CPU than the rest of a small request.
 */
export type ResponseHeaderWriter = (c: Context, headers: Readonly<Record<string, string>>) => void;

/** The portable writer: on the answer's own Headers (cheap where Headers is native, as on Workers). */
export const onResponseHeaders: ResponseHeaderWriter = (c, headers) => {
  const target = c.res.headers;
  for (const name in headers) if (!target.has(name)) target.set(name, headers[name]!);
};
