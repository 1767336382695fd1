import type { Context } from "hono";
import type { Orchestrator } from "../agents/orchestrator.js";
import type { Role } from "../businesses/roles.js";
import type { Actor } from "../platform/audit.js";
import type { EventBus } from "../platform/event-log.js";
import type { GroupCommit } from "../platform/group-commit.js";
import type { MetricsRegistry } from "../platform/metrics.js";
import type { Db, DbMeter, SqlConnection } from "../platform/sql.js";
import type { IdempotencyClaim } from "./idempotency.js";
import type { ResponseHeaderWriter } from "./response-headers.js";

export interface Logger {
  /** Whether entries of this level are written: an entry built per request is built only when they are. */
  isLevelEnabled(level: "debug"): boolean;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A business database borrowed from the runtime's pool; release() returns it, exactly once. */
export interface BusinessHandle {
  connection: SqlConnection;
  release(): void;
}

export interface BusinessDatabases {
  /** Opens (creating and migrating if needed) the database of a business the caller was already admitted to. */
  acquire(businessId: string): BusinessHandle;
  openCount(): number;
}

export interface AppConfig {
  corsOrigins: string[];
  /** Sustained requests per second per credential; 0 turns the general limit off. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  loginFailuresPerAccount: number;
  loginFailuresPerAddress: number;
  loginWindowSeconds: number;
  accessTokenSeconds: number;
  refreshTokenDays: number;
  sseHeartbeatMs: number;
  metricsToken: string | undefined;
}

export interface AppDeps {
  core: SqlConnection;
  businesses: BusinessDatabases;
  jwtKey: Uint8Array;
  logger: Logger;
  metrics: MetricsRegistry;
  bus: EventBus;
  /** Shared commits for the writes that reach a business database together. */
  commits: GroupCommit;
  config: AppConfig;
  /** Fired when the server begins to stop: long-lived streams end so the drain can finish. */
  stopping: AbortSignal;
  /** The caller's network address, as the runtime knows it. */
  clientAddress(c: Context): string;
  /** The agents' task orchestrator; the runtime starts it after listening and stops it before closing databases. */
  agents: Orchestrator;
  /**
   * Runs a small task after the current request's work, never delaying its response (Node: setImmediate).
   * The task must catch its own errors; the runtime logs and drops any that escape.
   */
  background(task: () => void): void;
  /** Puts the request id, Server-Timing and security headers on every answer (src/http/response-headers.ts). */
  responseHeaders: ResponseHeaderWriter;
}

export type Principal =
  | { kind: "user"; userId: string; sessionId: string }
  | { kind: "apiKey"; keyId: string; businessId: string; role: Role };

/** What business code receives: one business, the caller's role in it, and that business's database only. */
export interface BusinessScope {
  businessId: string;
  name: string;
  baseCurrency: string;
  createdAt: string;
  updatedAt: string;
  role: Role;
  actor: Actor;
  requestId: string;
  db: Db;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    meter: DbMeter;
    coreDb: Db;
    principal: Principal;
    scope: BusinessScope;
    /** Made by idempotencyGate for a POST that carries Idempotency-Key. */
    idempotency: IdempotencyClaim | undefined;
  };
}

export type AppContext = Context<AppEnv>;

export function actorOf(principal: Principal): Actor {
  return principal.kind === "user" ? { type: "user", id: principal.userId } : { type: "api_key", id: principal.keyId };
}
