import type { TypedResponse } from "hono";
import { sha256Hex } from "../platform/crypto.js";
import { preconditionFailed } from "../platform/problem.js";
import type { AppContext } from "./context.js";

/** A strong validator derived from the representation itself, so every resource gets one for free. */
export function etagOf(representation: unknown): string {
  return `"${sha256Hex(JSON.stringify(representation)).slice(0, 32)}"`;
}

/** A single resource with its ETag; answers 304 when the client already has this version. */
export function resourceResponse<T>(c: AppContext, representation: T): Response & TypedResponse<T, 200, "json"> {
  const etag = etagOf(representation);
  c.header("ETag", etag);
  if (matchesAny(c.req.header("If-None-Match"), etag)) return c.body(null, 304) as unknown as Response & TypedResponse<T, 200, "json">;
  return c.json(representation, 200) as unknown as Response & TypedResponse<T, 200, "json">;
}

/** PATCH and DELETE honour If-Match: a stale version gets 412 and nothing changes. */
export function assertIfMatch(c: AppContext, current: unknown): void {
  const header = c.req.header("If-Match");
  if (header === undefined) return;
  if (!matchesAny(header, etagOf(current))) throw preconditionFailed();
}

function matchesAny(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === etag);
}
