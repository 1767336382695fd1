import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import pino from "pino";
import { createApp } from "../../http/app.js";
import { EventBus } from "../../platform/event-log.js";
import { Gauge, MetricsRegistry } from "../../platform/metrics.js";
import { migrate } from "../../platform/sql.js";
import { readConfig } from "./config.js";
import { loadSigningKey, lockDataDir } from "./data-dir.js";
import { BusinessPool, loadMigrations, NodeSqlConnection } from "./sqlite.js";

const DRAIN_LIMIT_MS = 10_000;
const migrationsDir = fileURLToPath(new URL("../migrations/", import.meta.url));

const config = readConfig(process.env);
const logger = pino({
  level: config.logLevel,
  base: { service: "coreflow360" },
  redact: { paths: ["*.password", "*.refreshToken", "*.accessToken", "*.authorization", "*.key"], censor: "[redacted]" },
});

let unlock: () => void;
try {
  unlock = lockDataDir(config.dataDir);
} catch (error) {
  logger.fatal({ dataDir: config.dataDir }, (error as Error).message);
  process.exit(1);
}

const core = new NodeSqlConnection(join(config.dataDir, "core.db"), config.synchronous);
migrate(core, loadMigrations(join(migrationsDir, "core")));
const businesses = new BusinessPool(
  join(config.dataDir, "businesses"),
  loadMigrations(join(migrationsDir, "business")),
  config.synchronous,
  config.businessPoolSize,
);

const metrics = new MetricsRegistry();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
metrics.add(new Gauge("coreflow_event_loop_lag_p99_seconds", "Event-loop delay, 99th percentile since start.", () => loopDelay.percentile(99) / 1e9));
metrics.add(new Gauge("coreflow_event_loop_lag_mean_seconds", "Event-loop delay, mean since start.", () => loopDelay.mean / 1e9));
metrics.add(new Gauge("coreflow_process_resident_memory_bytes", "Resident set size.", () => process.memoryUsage.rss()));
metrics.add(new Gauge("coreflow_process_heap_used_bytes", "V8 heap in use.", () => process.memoryUsage().heapUsed));

const stopping = new AbortController();
const app = createApp({
  core,
  businesses,
  jwtKey: loadSigningKey(config.dataDir, config.jwtSecret),
  logger,
  metrics,
  bus: new EventBus(),
  config: config.app,
  stopping: stopping.signal,
  clientAddress: (c) => getConnInfo(c).remote.address ?? "unknown",
});

let inFlight = 0;
let drained: (() => void) | undefined;
const server = serve({
  fetch: async (request, env) => {
    inFlight += 1;
    try {
      const response = await app.fetch(request, env);
      // while draining, the client must not send another request on this connection
      if (shuttingDown && !response.headers.has("Connection")) {
        try {
          response.headers.set("Connection", "close");
        } catch {
          // immutable headers: the idle sweep below closes the connection instead
        }
      }
      return response;
    } finally {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    }
  },
  port: config.port,
  hostname: config.host,
});

server.on("listening", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  logger.info({ url: `http://${config.host}:${port}`, dataDir: config.dataDir, pid: process.pid }, "listening");
});
server.on("error", (error) => {
  logger.fatal({ err: error }, "the server could not start");
  shutdown(1);
});

let shuttingDown = false;
function shutdown(code: number): void {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ inFlight }, "stopping: no new connections, finishing requests in flight");
  stopping.abort();
  const finish = () => {
    businesses.closeAll();
    core.close();
    unlock();
    logger.info({}, "stopped; databases closed");
    process.exit(code);
  };
  const deadline = setTimeout(() => {
    logger.warn({ inFlight }, "drain limit reached; closing remaining connections");
    if ("closeAllConnections" in server) server.closeAllConnections();
    finish();
  }, DRAIN_LIMIT_MS);
  deadline.unref();
  // a connection whose last response ends during the drain (an event stream, a response already being
  // written) would otherwise stay open as idle keep-alive and hold the exit back until it times out
  const idleSweep = setInterval(() => {
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  }, 100);
  idleSweep.unref();
  server.close(() => {
    clearTimeout(deadline);
    clearInterval(idleSweep);
    if (inFlight === 0) finish();
    else drained = finish;
  });
  if ("closeIdleConnections" in server) server.closeIdleConnections();
}

process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(0));
