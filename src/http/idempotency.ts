import type { MiddlewareHandler } from "hono";
import { sha256Hex } from "../platform/crypto.js";
import { badRequest, conflict } from "../platform/problem.js";
import type { Db, SqlConnection } from "../platform/sql.js";
import type { AppContext, AppEnv } from "./context.js";
import { etagOfText, jsonResponse } from "./resource.js";

const RETENTION_MS = 24 * 60 * 60 * 1000;
/** What idempotencyGate accepts as a key (and the OpenAPI document says it does). */
export const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** Expired records are removed SWEEP_SIZE at a time, once every SWEEP_EVERY stored responses of a database. */
const SWEEP_EVERY = 16;
const SWEEP_SIZE = 64;
const storedSinceSweep = new WeakMap<SqlConnection, number>();

export interface IdempotencyClaim {
  principal: string;
  key: string;
  method: string;
  path: string;
  bodyHash: string;
}

interface StoredResponse {
  method: string;
  path: string;
  body_hash: string;
  status: number;
  response: string;
}

export function idempotencyClaim(c: AppContext): IdempotencyClaim | undefined {
  const key = c.req.header("Idempotency-Key");
  const bodyHash = c.get("bodyHash");
  if (key === undefined || bodyHash === undefined) return undefined;
  const actor = c.get("scope").actor;
  return { principal: `${actor.type}:${actor.id}`, key, method: c.req.method, path: c.req.path, bodyHash };
}

/** The first answer given under a key: its status and body (a problem when the status is 4xx). */
export interface StoredAnswer {
  status: number;
  body: string;
}

/** The first response to this key, or 409 when the key was used for a different request. */
export function priorResponse(db: Db, claim: IdempotencyClaim): StoredAnswer | undefined {
  const row = db.get<StoredResponse>(
    "SELECT method, path, body_hash, status, response FROM idempotency_records WHERE principal = ? AND key = ? AND created_ms > ?",
    claim.principal,
    claim.key,
    Date.now() - RETENTION_MS,
  );
  if (!row) return undefined;
  if (row.method !== claim.method || row.path !== claim.path || row.body_hash !== claim.bodyHash) {
    throw conflict("This Idempotency-Key was already used with a different request.");
  }
  return { status: row.status, body: row.response };
}

/** Stored in the same transaction as the change it answers for, so a replay can never re-apply it. */
export function rememberResponse(db: Db, claim: IdempotencyClaim, status: number, body: string): void {
  const now = Date.now();
  // a record still under this key has expired (priorResponse found none alive): it is replaced
  db.run(
    "INSERT OR REPLACE INTO idempotency_records (principal, key, method, path, body_hash, status, response, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    claim.principal,
    claim.key,
    claim.method,
    claim.path,
    claim.bodyHash,
    status,
    body,
    now,
  );
  // expired records go a few at a time, faster than records are made, so no request pays for a large
  // sweep and most pay for none (they are never answered from: priorResponse reads live records only)
  const stored = (storedSinceSweep.get(db.connection) ?? 0) + 1;
  storedSinceSweep.set(db.connection, stored % SWEEP_EVERY);
  if (stored < SWEEP_EVERY) return;
  db.run(
    "DELETE FROM idempotency_records WHERE (principal, key) IN (SELECT principal, key FROM idempotency_records WHERE created_ms < ? LIMIT ?)",
    now - RETENTION_MS,
    SWEEP_SIZE,
  );
}

/** The stored answer again, as it was first given: a refusal as problem+json, a representation with its ETag. */
export function replay(prior: StoredAnswer): Response {
  const headers: Record<string, string> = { "Idempotent-Replayed": "true" };
  if (prior.status === 204 || prior.body === "") return jsonResponse(null, prior.status, headers);
  if (prior.status >= 400) return new Response(prior.body, { status: prior.status, headers: { "Content-Type": "application/problem+json", ...headers } });
  if (prior.status !== 202) headers.ETag = etagOfText(prior.body);
  return jsonResponse(prior.body, prior.status, headers);
}

/**
 * For POSTs inside a business that carry Idempotency-Key: hashes the raw body and answers a repeat from
 * the stored response before any work is done. The write itself re-checks inside its transaction.
 */
export const idempotencyGate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = c.req.header("Idempotency-Key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_PATTERN.test(key)) {
    throw badRequest("Idempotency-Key must be 1–255 visible ASCII characters.", [
      { path: "header.Idempotency-Key", message: "invalid" },
    ]);
  }
  c.set("bodyHash", sha256Hex(await c.req.text()));
  const claim = idempotencyClaim(c)!;
  const prior = priorResponse(c.get("scope").db, claim);
  if (prior) return replay(prior);
  return next();
};
