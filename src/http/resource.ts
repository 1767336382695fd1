import type { TypedResponse } from "hono";
import { preconditionFailed } from "../platform/problem.js";
import type { AppContext } from "./context.js";

/**
 * A validator derived from the representation itself, so every resource gets one for free. It only
 * has to tell versions of one resource apart, not resist an attacker, so a fast 64-bit hash
 * (two independent FNV-1a lanes) does instead of SHA-256.
 */
export function etagOf(representation: unknown): string {
  return etagOfText(JSON.stringify(representation));
}

/** The ETag of a representation already serialised (the same as etagOf of the value it came from). */
export function etagOfText(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995) ^ (b >>> 15);
  }
  return `"${(a >>> 0).toString(16).padStart(8, "0")}${(b >>> 0).toString(16).padStart(8, "0")}"`;
}

/**
 * A JSON answer whose headers are a plain object: on Node the adapter writes them as they are, where
 * c.header() or c.json(…, headers) with more than one header builds a WHATWG Headers (a measurable share
 * of a small request's CPU).
 */
export function jsonResponse(text: string | null, status: number, headers: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: text === null ? headers : { "Content-Type": "application/json", ...headers } });
}

/** A single resource with its ETag; answers 304 when the client already has this version. */
export function resourceResponse<T>(c: AppContext, representation: T): Response & TypedResponse<T, 200, "json"> {
  const text = JSON.stringify(representation);
  const etag = etagOfText(text);
  const notModified = matchesAny(c.req.header("If-None-Match"), etag, "weak");
  return jsonResponse(notModified ? null : text, notModified ? 304 : 200, { ETag: etag }) as Response & TypedResponse<T, 200, "json">;
}

/** PATCH and DELETE honour If-Match: a stale version gets 412 and nothing changes. */
export function assertIfMatch(c: AppContext, current: unknown): void {
  const header = c.req.header("If-Match");
  if (header === undefined) return;
  if (!matchesAny(header, etagOf(current), "strong")) throw preconditionFailed();
}

/**
 * Whether the header lists `etag` (or is `*`). If-None-Match compares weakly, so `W/"x"` matches `"x"`;
 * If-Match strongly, where a weak validator matches nothing (RFC 9110 §13.1.1, §13.1.2).
 */
function matchesAny(header: string | undefined, etag: string, comparison: "strong" | "weak"): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return comparison === "weak" ? tag.replace(/^W\//, "") === etag : tag === etag;
  });
}
