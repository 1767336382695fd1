import type { MiddlewareHandler } from "hono";
import type { Identity } from "../identity/service.js";
import * as businesses from "../businesses/store.js";
import { can, type Permission, type Role } from "../businesses/roles.js";
import { findSession, type SessionRow } from "../identity/store.js";
import { sha256Hex, timingSafeEqual } from "../platform/crypto.js";
import { forbidden, notFound, tooManyRequests, unauthorized } from "../platform/problem.js";
import { cacheScope, GenerationCache } from "../platform/generation-cache.js";
import { TokenBuckets } from "../platform/rate-limit.js";
import { Db, DbMeter } from "../platform/sql.js";
import { idempotencyGate } from "./idempotency.js";
import { SECURITY_HEADERS } from "./response-headers.js";
import { type AppContext, type AppDeps, type AppEnv, actorOf, type Principal } from "./context.js";

/** A caller's request id is kept when it is 1–200 visible ASCII characters (trace ids in base64 included). */
export const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** Request id, per-request database meter, Server-Timing and security headers, metrics and the access log. */
export function requestContext(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const statements = deps.metrics.dbStatements.cell();
  const statementSeconds = deps.metrics.dbSeconds.cell();
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("X-Request-Id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    const meter = new DbMeter();
    c.set("deps", deps);
    c.set("requestId", requestId);
    c.set("meter", meter);
    c.set("coreDb", new Db(deps.core, meter));
    await next();
    const total = performance.now() - started;
    let timing = `app;dur=${total.toFixed(3)}`;
    if (meter.statements > 0) timing += `, db;dur=${meter.durationMs.toFixed(3)};desc="${meter.statements} statements"`;
    deps.responseHeaders(c, SECURITY_HEADERS);
    deps.responseHeaders(c, { "x-request-id": requestId, "server-timing": timing });
    const route = c.req.routePath || "unmatched";
    const status = c.res.status;
    const series = deps.metrics.routeSeries(route, c.req.method);
    series.status(status).value += 1;
    series.duration.observe(total / 1000);
    if (meter.statements > 0) {
      statements.value += meter.statements;
      statementSeconds.value += meter.durationMs / 1000;
    }
    if (deps.logger.isLevelEnabled("debug")) deps.logger.debug({ requestId, method: c.req.method, route, status, ms: Number(total.toFixed(3)) }, "request");
  };
}

const API_KEY = /^cf_(key_[0-9a-z]{26})_([0-9a-f]{64})$/;
/** A key as admission reads it changes with its business (a key unknown here: with any write). */
const apiKeyScope = (key: businesses.ApiKeyRow | undefined) => key && cacheScope.business(key.business_id);

/**
 * Who is calling, from `Authorization: Bearer` (an access token or an API key), or 401; then the
 * general limit per credential (429). A plain step rather than two middleware: each middleware level
 * costs every request a dispatch, a closure and a promise.
 */
export function admitCaller(deps: AppDeps, identity: Identity): (c: AppContext) => Promise<void> {
  const apiKeys = new GenerationCache<businesses.ApiKeyRow | undefined>(deps.core);
  deps.metrics.trackCache("api_keys", apiKeys);
  const buckets = new TokenBuckets(deps.config.rateLimitPerSecond, deps.config.rateLimitBurst);
  return async (c) => {
    const header = c.req.header("Authorization");
    // the scheme's name is case-insensitive (RFC 9110 §11.1)
    const match = header?.match(/^bearer +([\x21-\x7e]{1,4096})$/i);
    if (!match) throw unauthorized("Send credentials as `Authorization: Bearer <token>`.");
    const token = match[1]!;
    let principal: Principal;
    if (token.startsWith("cf_")) {
      const parts = token.match(API_KEY);
      const keyId = parts?.[1];
      const key = keyId ? apiKeys.get(keyId, () => businesses.findActiveApiKey(c.get("coreDb"), keyId), apiKeyScope) : undefined;
      if (!key || !timingSafeEqual(key.secret_hash, sha256Hex(parts![2]!))) throw unauthorized("The API key is not valid.");
      principal = { kind: "apiKey", keyId: key.id, businessId: key.business_id, role: key.role };
    } else {
      const claims = await identity.authenticateAccessToken(c.get("coreDb"), token);
      principal = { kind: "user", userId: claims.userId, sessionId: claims.sessionId };
    }
    c.set("principal", principal);
    if (deps.config.rateLimitPerSecond > 0) {
      const wait = buckets.take(principal.kind === "user" ? `u:${principal.userId}` : `k:${principal.keyId}`);
      if (wait > 0) throw tooManyRequests(wait);
    }
  };
}

/**
 * Admits the caller to one business before any business code runs: membership and role from the core
 * database, then a handle to that business's database and nothing else. Not a member → 404, so a
 * business's existence never leaks. Then the Idempotency-Key of a POST (idempotencyGate), in the same
 * step rather than a middleware of its own.
 */
export function businessScope(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const memberships = new GenerationCache<businesses.MemberBusinessRow | undefined>(deps.core);
  const live = new GenerationCache<businesses.BusinessRow | undefined>(deps.core);
  deps.metrics.trackCache("memberships", memberships);
  deps.metrics.trackCache("businesses", live);
  return async (c, next) => {
    const businessId = c.req.param("businessId") ?? "";
    const principal = c.get("principal");
    const db = c.get("coreDb");
    let admitted: businesses.MemberBusinessRow | undefined;
    if (principal.kind === "user") {
      const key = `${businessId}/${principal.userId}`;
      admitted = memberships.get(
        key,
        () => businesses.findMemberBusiness(db, businessId, principal.userId),
        () => cacheScope.business(businessId),
      );
    } else if (principal.businessId === businessId) {
      const business = live.get(
        businessId,
        () => businesses.findBusiness(db, businessId),
        () => cacheScope.business(businessId),
      );
      // every field named rather than `{ ...business, role }` (decision 0009)
      admitted = business && {
        id: business.id,
        name: business.name,
        base_currency: business.base_currency,
        created_at: business.created_at,
        updated_at: business.updated_at,
        role: principal.role,
      };
    }
    if (!admitted) throw notFound("No such business.");
    const handle = deps.businesses.acquire(admitted.id);
    try {
      c.set("scope", {
        businessId: admitted.id,
        name: admitted.name,
        baseCurrency: admitted.base_currency,
        role: admitted.role,
        actor: actorOf(principal),
        requestId: c.get("requestId"),
        db: new Db(handle.connection, c.get("meter")),
        createdAt: admitted.created_at,
        updatedAt: admitted.updated_at,
      });
      return await idempotencyGate(c, next);
    } finally {
      handle.release();
    }
  };
}

/**
 * Admits a caller again, for an answer that outlives the request that admitted it (an event stream): the
 * caller's role in the business now, or undefined when their session ended, their key was revoked, their
 * membership is gone or the business was deleted. The same rules as admitCaller and businessScope, answered
 * from generation caches of its own (0005), so a caller checked again while the core database was not
 * written costs no statement; callers are expected to ask only after the generation moved.
 */
export type Readmission = (principal: Principal, businessId: string) => Role | undefined;

export function readmission(deps: AppDeps): Readmission {
  const db = new Db(deps.core, new DbMeter());
  const sessions = new GenerationCache<SessionRow | undefined>(deps.core);
  const memberships = new GenerationCache<businesses.MemberBusinessRow | undefined>(deps.core);
  const apiKeys = new GenerationCache<businesses.ApiKeyRow | undefined>(deps.core);
  deps.metrics.trackCache("stream_sessions", sessions);
  deps.metrics.trackCache("stream_memberships", memberships);
  deps.metrics.trackCache("stream_api_keys", apiKeys);
  return (principal, businessId) => {
    if (principal.kind === "apiKey") {
      const key = apiKeys.get(principal.keyId, () => businesses.findActiveApiKey(db, principal.keyId), apiKeyScope);
      return key && key.business_id === businessId ? key.role : undefined;
    }
    const session = sessions.get(
      principal.sessionId,
      () => findSession(db, principal.sessionId),
      () => cacheScope.session(principal.sessionId),
    );
    if (!session || session.revoked_at || session.user_id !== principal.userId) return undefined;
    const key = `${businessId}/${principal.userId}`;
    return memberships.get(
      key,
      () => businesses.findMemberBusiness(db, businessId, principal.userId),
      () => cacheScope.business(businessId),
    )?.role;
  };
}

/** Route middleware: the caller's role in this business must carry the permission, or 403. */
export function requires(permission: Permission): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!can(c.get("scope").role, permission)) {
      throw forbidden(`Your role (${c.get("scope").role}) does not allow ${permission} in this business.`);
    }
    return next();
  };
}

/** Route middleware for routes only people (not API keys) may use. */
export const usersOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get("principal").kind !== "user") throw forbidden("API keys act inside their business; this route is for people.");
  return next();
};
