import type { Context } from "hono";

/** Sent with every answer: what hono/secure-headers sends by default, with the API's content policy. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Origin-Agent-Cluster": "?1",
  "Referrer-Policy": "no-referrer",
  "Strict-Transport-Security": "max-age=15552000; includeSubDomains",
  "X-Content-Type-Options": "nosniff",
  "X-DNS-Prefetch-Control": "off",
  "X-Download-Options": "noopen",
  "X-Frame-Options": "SAMEORIGIN",
  "X-Permitted-Cross-Domain-Policies": "none",
  "X-XSS-Protection": "0",
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
