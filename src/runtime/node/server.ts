import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, STATUS_CODES } from "node:http";
import { getRequestListener, RequestError } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import pino from "pino";
import { builtInAgents } from "../../agents/agents.js";
import { readAgentConfig } from "../../agents/config.js";
import { Orchestrator, TriggeringEventBus } from "../../agents/orchestrator.js";
import { createApp } from "../../http/app.js";
import { problemResponse } from "../../http/errors.js";
import { useNativeSha256 } from "../../platform/crypto.js";
import { GroupCommit } from "../../platform/group-commit.js";
import { Gauge, MetricsRegistry } from "../../platform/metrics.js";
import { ProblemError } from "../../platform/problem.js";
import { migrate } from "../../platform/sql.js";
import { WalCheckpointer } from "./checkpointer.js";
import { readConfig } from "./config.js";
import { loadSigningKey, lockDataDir } from "./data-dir.js";
import { nodeSha256Hex } from "./native-hash.js";
import { AnswerResponse, onServerResponse } from "./response-headers.js";
import { smtpTransport } from "./smtp.js";
import { BusinessPool, loadMigrations, NodeSqlConnection } from "./sqlite.js";
import { useWalBatching } from "./wal-batch.js";

const DRAIN_LIMIT_MS = 10_000;
const migrationsDir = fileURLToPath(new URL("../migrations/", import.meta.url));

useNativeSha256(nodeSha256Hex);
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

// before the first connection: only those opened afterwards use it
const walBatchRefused = config.walBatch ? useWalBatching() : undefined;
if (walBatchRefused) logger.warn({ reason: walBatchRefused }, "WAL writes are not batched: two system calls per page written");
const walBatched = config.walBatch && walBatchRefused === undefined;
const core = new NodeSqlConnection(join(config.dataDir, "core.db"), config.synchronous);
migrate(core, loadMigrations(join(migrationsDir, "core")));
const metrics = new MetricsRegistry();
const checkpointer = config.walCheckpointBytes > 0 ? new WalCheckpointer(config.walCheckpointBytes, logger) : undefined;
if (checkpointer) metrics.add(checkpointer.checkpoints);
const businesses = new BusinessPool(
  join(config.dataDir, "businesses"),
  loadMigrations(join(migrationsDir, "business")),
  config.synchronous,
  config.businessPoolSize,
  config.businessMaxBytes,
  checkpointer,
  config.businessPageCacheBytes,
);

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
metrics.add(new Gauge("coreflow_event_loop_lag_p99_seconds", "Event-loop delay, 99th percentile since start.", () => loopDelay.percentile(99) / 1e9));
metrics.add(new Gauge("coreflow_event_loop_lag_mean_seconds", "Event-loop delay, mean since start.", () => loopDelay.mean / 1e9));
metrics.add(new Gauge("coreflow_sqlite_wal_batched", "1 when a commit's WAL frames are written in one system call (SQLITE_WAL_BATCH), else 0.", () => (walBatched ? 1 : 0)));
metrics.add(new Gauge("coreflow_process_resident_memory_bytes", "Resident set size.", () => process.memoryUsage.rss()));
metrics.add(new Gauge("coreflow_process_heap_used_bytes", "V8 heap in use.", () => process.memoryUsage().heapUsed));

/** The one series of commit batch sizes, resolved once: every group commit observes into it. */
const batchSizes = metrics.commitBatchSize.seriesOf({});
const bus = new TriggeringEventBus();
let agentConfig: ReturnType<typeof readAgentConfig>;
let mail: ReturnType<typeof smtpTransport> | undefined;
try {
  agentConfig = readAgentConfig(process.env);
  mail = process.env.SMTP_URL ? smtpTransport(process.env.SMTP_URL, process.env.SMTP_FROM || "coreflow360@localhost") : undefined;
} catch (error) {
  logger.fatal({}, (error as Error).message);
  unlock();
  process.exit(1);
}
const agents = new Orchestrator(
  { core, businesses, bus, logger },
  agentConfig,
  builtInAgents(),
  mail,
);

const stopping = new AbortController();
// every open event stream listens for the stop; their number is bounded by connections, not by a constant
setMaxListeners(0, stopping.signal);
const app = createApp({
  core,
  businesses,
  jwtKey: loadSigningKey(config.dataDir, config.jwtSecret),
  logger,
  metrics,
  bus,
  commits: new GroupCommit(setImmediate, (size) => batchSizes.observe(size)),
  config: config.app,
  stopping: stopping.signal,
  clientAddress: (c) => getConnInfo(c).remote.address ?? "unknown",
  agents,
  responseHeaders: onServerResponse,
  background: (task) => {
    setImmediate(() => {
      try {
        task();
      } catch (error) {
        logger.error({ err: (error as Error).message }, "background task failed");
      }
    });
  },
});

let inFlight = 0;
let drained: (() => void) | undefined;
// `serve()` from @hono/node-server, plus answers in the API's error shape for requests that never reach the app
const listener = getRequestListener(
  async (request, env) => {
    // HTTP/1.1 requires Host (RFC 9112 §3.2)
    if (env.incoming.headers.host === undefined && env.incoming.httpVersion !== "1.0") {
      const refused = problemResponse(new ProblemError(400, "invalid-request", "HTTP/1.1 requests must carry a Host header."));
      refused.headers.set("X-Request-Id", randomUUID());
      return refused;
    }
    inFlight += 1;
    try {
      const response = await app.fetch(request, env);
      // while draining, the client must not send another request on this connection
      if (shuttingDown) env.outgoing.setHeader("Connection", "close");
      return response;
    } finally {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    }
  },
  {
    hostname: config.host,
    // a request target the adapter cannot turn into a URL (`*`, a backslash in the path, a bad Host)
    errorHandler: (error) =>
      error instanceof RequestError
        ? problemResponse(new ProblemError(400, "invalid-request", "The request target is not a valid URL."))
        : problemResponse(new ProblemError(500, "internal", "Something went wrong on our side; it has been logged.")),
  },
);
// Host is checked in the listener, so that its absence gets the API's error shape, not Node's bare 400
const server = createServer({ ServerResponse: AnswerResponse, requireHostHeader: false }, listener);

/** An `Expect` other than 100-continue: Node would answer a bare 417; this is the API's error shape. */
server.on("checkExpectation", (_request, response) => {
  const body = JSON.stringify(new ProblemError(417, "http-error", "Only `Expect: 100-continue` is understood.").toProblem());
  response.writeHead(417, { "Content-Type": "application/problem+json", "X-Request-Id": randomUUID() }).end(body);
});
server.listen(config.port, config.host);

/** Requests Node's HTTP parser refuses (bytes not allowed in a request line, headers over the size limit). */
server.on("clientError", (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
  const responding = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || responding?.headersSent) {
    socket.destroy();
    return;
  }
  const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  const detail = status === 431 ? "The request line and headers are too large." : status === 408 ? "The request took too long to arrive." : "The request is not valid HTTP.";
  const problem = { ...new ProblemError(status, status === 400 ? "invalid-request" : "http-error", detail).toProblem(), title: STATUS_CODES[status] ?? "Error" };
  const body = JSON.stringify(problem);
  // the method was read before the parser gave up; a HEAD answer carries no body
  const head = error.rawPacket?.subarray(0, 5).toString("latin1") === "HEAD ";
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${head ? "" : body}`,
  );
});

server.on("listening", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  agents.start();
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
  // agent tasks stop (and are queued again) before the databases they write to close
  const agentsStopped = agents.stop();
  const finish = () => {
    void agentsStopped.then(closeAndExit, closeAndExit);
  };
  let closed = false;
  const closeAndExit = () => {
    if (closed) return;
    closed = true;
    businesses.closeAll();
    core.close();
    const exit = () => {
      unlock();
      logger.info({}, "stopped; databases closed");
      process.exit(code);
    };
    void (checkpointer?.stop() ?? Promise.resolve()).then(exit, exit);
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
