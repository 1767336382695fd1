import type { AppConfig } from "../../http/context.js";
import type { Synchronous } from "./sqlite.js";

export interface NodeConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  synchronous: Synchronous;
  /** WAL frames of a commit written in one system call (wal-batch.c); off: SQLite's two per page. */
  walBatch: boolean;
  businessPoolSize: number;
  /** Storage quota of each business database in bytes; 0: only the disk limits it. */
  businessMaxBytes: number;
  /** WAL size of a business database at which the checkpoint thread copies it into the file; 0: SQLite's own checkpoint. */
  walCheckpointBytes: number;
  /** Memory the open business databases' page caches share (each 256 KiB to 32 MiB). */
  businessPageCacheBytes: number;
  jwtSecret: string | undefined;
  app: AppConfig;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

/** Every setting comes from the environment, with defaults that run on a laptop with zero setup. */
export function readConfig(env: NodeJS.ProcessEnv): NodeConfig {
  const synchronous = (env.SQLITE_SYNCHRONOUS ?? "NORMAL").toUpperCase();
  if (synchronous !== "NORMAL" && synchronous !== "FULL") throw new Error("SQLITE_SYNCHRONOUS must be NORMAL or FULL");
  const walBatch = (env.SQLITE_WAL_BATCH ?? "on").toLowerCase();
  if (walBatch !== "on" && walBatch !== "off") throw new Error("SQLITE_WAL_BATCH must be on or off");
  const jwtSecret = env.JWT_SECRET || undefined;
  if (jwtSecret !== undefined && jwtSecret.length < 32) throw new Error("JWT_SECRET must be at least 32 characters");
  return {
    port: int(env, "PORT", 8787),
    host: env.HOST || "127.0.0.1",
    dataDir: env.DATA_DIR || "./data",
    logLevel: env.LOG_LEVEL || "info",
    synchronous,
    walBatch: walBatch === "on",
    businessPoolSize: int(env, "BUSINESS_POOL_SIZE", 256, 1),
    businessMaxBytes: int(env, "BUSINESS_MAX_MB", 0) * 1024 * 1024,
    walCheckpointBytes: int(env, "WAL_CHECKPOINT_MB", 16) * 1024 * 1024,
    businessPageCacheBytes: int(env, "BUSINESS_PAGE_CACHE_MB", 128, 1) * 1024 * 1024,
    jwtSecret,
    app: {
      corsOrigins: (env.CORS_ORIGINS ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      rateLimitPerSecond: int(env, "RATE_LIMIT_PER_SECOND", 1000),
      rateLimitBurst: int(env, "RATE_LIMIT_BURST", 2000, 1),
      loginFailuresPerAccount: int(env, "LOGIN_FAILURES_PER_ACCOUNT", 5, 1),
      loginFailuresPerAddress: int(env, "LOGIN_FAILURES_PER_ADDRESS", 20, 1),
      loginWindowSeconds: int(env, "LOGIN_WINDOW_SECONDS", 900, 1),
      accessTokenSeconds: int(env, "ACCESS_TOKEN_SECONDS", 900, 1),
      refreshTokenDays: int(env, "REFRESH_TOKEN_DAYS", 30, 1),
      sseHeartbeatMs: int(env, "SSE_HEARTBEAT_MS", 15_000, 10),
      metricsToken: env.METRICS_TOKEN || undefined,
    },
  };
}
