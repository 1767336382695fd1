import type { MiddlewareHandler } from "hono";
import { sha256Hex } from "../platform/crypto.js";
import { badRequest, conflict } from "../platform/problem.js";
import type { Db, SqlConnection } from "../platform/sql.js";
import type { AppContext, AppEnv } from "./context.js";
import { KeyFilter } from "./key-filter.js";
import { etagOfText, jsonResponse } from "./resource.js";

const RETENTION_MS = 24 * 60 * 60 * 1000;
/** What idempotencyGate accepts as a key (and the OpenAPI document says it does). */
export const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** Expired records are removed SWEEP_SIZE at a time, once every SWEEP_EVERY stored responses of a database. */
const SWEEP_EVERY = 16;
const SWEEP_SIZE = 64;
const storedSinceSweep = new WeakMap<SqlConnection, number>();
/** Each database's KeyFilter, made at its first keyed request. */
const filters = new WeakMap<SqlConnection, KeyFilter>();

/**
 * The database's KeyFilter. Records already there when it is made (by an earlier process) are live
 * until the newest of them expires: until then it vouches for nothing.
 */
function keyFilter(db: Db): KeyFilter {
  let filter = filters.get(db.connection);
  if (!filter) {
    const newest = db.get<{ ms: number | null }>("SELECT max(created_ms) AS ms FROM idempotency_records")?.ms ?? null;
    filter = new KeyFilter(RETENTION_MS, newest === null ? 0 : newest + RETENTION_MS, Date.now());
    filters.set(db.connection, filter);
  }
  return filter;
}

export interface IdempotencyClaim {
  principal: string;
  key: string;
  method: string;
  path: string;
  /** SHA-256 of the body as one JSON document (canonicalBody). */
  bodyHash: string;
  /** The body as sent. */
  body: string;
}

interface StoredResponse {
  method: string;
  path: string;
  body_hash: string;
  status: number;
  response: string;
}

/** The claim idempotencyGate made for this request, if it carries a key. */
export const idempotencyClaim = (c: AppContext): IdempotencyClaim | undefined => c.get("idempotency");

/** Deeper than this, a body is hashed as sent: nothing the API reads nests so far, and recursion must stay bounded. */
const CANONICAL_DEPTH = 64;

/**
 * What a body's hash is taken over: a JSON body as one document, its members in key order and without
 * whitespace, so a client that serialises a retry anew (keys in another order, other spacing) repeats
 * the same request, as Stripe compares a retry's parameters rather than its bytes. The API reads every
 * JSON body with JSON.parse, so two bodies alike here are read alike. A body that is not JSON, or nests
 * deeper than CANONICAL_DEPTH, as sent.
 */
export function canonicalBody(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  return canonicalJson(value, 0) ?? text;
}

/** The document written canonically, or undefined past CANONICAL_DEPTH. */
function canonicalJson(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (depth === CANONICAL_DEPTH) return undefined;
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const part = canonicalJson(item, depth + 1);
      if (part === undefined) return undefined;
      parts.push(part);
    }
    return `[${parts.join(",")}]`;
  }
  const members = value as Record<string, unknown>;
  for (const name of Object.keys(members).sort()) {
    const part = canonicalJson(members[name], depth + 1);
    if (part === undefined) return undefined;
    parts.push(`${JSON.stringify(name)}:${part}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * Whether a stored record was made for this body. Records made before bodies were hashed as documents
 * hold the hash of the body as sent; they are kept 24 h, and a retry of one sends the same bytes.
 */
const sameBody = (stored: string, claim: IdempotencyClaim) => stored === claim.bodyHash || stored === sha256Hex(claim.body);

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
  if (row.method !== claim.method || row.path !== claim.path || !sameBody(row.body_hash, claim)) {
    throw conflict("This Idempotency-Key was already used with a different request.");
  }
  return { status: row.status, body: row.response };
}

/** Stored in the same transaction as the change it answers for, so a replay can never re-apply it. */
export function rememberResponse(db: Db, claim: IdempotencyClaim, status: number, body: string): void {
  const now = Date.now();
  // a filter made after this finds the record in the table (a transaction never spans two turns)
  filters.get(db.connection)?.add(claim.principal, claim.key, now);
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
 * For POSTs inside a business that carry Idempotency-Key: hashes the body (canonicalBody) and answers a
 * repeat from the stored response before any work is done. The write itself re-checks inside its transaction.
 */
export const idempotencyGate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = c.req.header("Idempotency-Key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_PATTERN.test(key)) {
    throw badRequest("Idempotency-Key must be 1–255 visible ASCII characters.", [
      { path: "header.Idempotency-Key", message: "invalid" },
    ]);
  }
  const body = await c.req.text();
  const actor = c.get("scope").actor;
  const claim = { principal: `${actor.type}:${actor.id}`, key, method: c.req.method, path: c.req.path, bodyHash: sha256Hex(canonicalBody(body)), body };
  c.set("idempotency", claim);
  const db = c.get("scope").db;
  // a key no record can be under needs no lookup; the write looks again inside its transaction
  const prior = keyFilter(db).mayHold(claim.principal, key, Date.now()) ? priorResponse(db, claim) : undefined;
  if (prior) return replay(prior);
  return next();
};
