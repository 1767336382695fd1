// Measures the agents' orchestration overhead with the no-op task (audit-check with `checks: []`):
//   node scripts/build.mjs && node scripts/bench-agents.mjs [--sequential 200] [--burst 3000] [--clients 16]
// Starts the built server on a fresh temporary data directory.
// 1. sequential: one task at a time; the overhead of a task is finishedAt − createdAt as the server
//    stored them (enqueue committed → claimed → run → result committed), median and p95 in ms.
// 2. burst: `burst` tasks enqueued by `clients` concurrent clients into one business; throughput is tasks
//    finished per second from the first createdAt to the last finishedAt.
// 3. queue: the orchestrator alone, in process (scripts/bench-agents-queue.ts): `--queue` no-op tasks
//    queued straight into one business database, then drained; tasks/s and mean ms per task.
// Exit 1 if the median overhead exceeds 1 ms or the queue drains fewer than 1,000 tasks/s.
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { apiCaller, numberArg, startBuiltServer } from "./built-server.mjs";

const sequential = numberArg("sequential", 200);
const burst = numberArg("burst", 3000);
const clients = numberArg("clients", 16);
const queueTasks = numberArg("queue", 5000);
const dataDir = mkdtempSync(join(tmpdir(), "coreflow-bench-agents-"));

const server = await startBuiltServer(dataDir, { AGENT_BUSINESS_CONCURRENCY: "8" });
const url = server.url;
const call = apiCaller(url);

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

try {
  const { accessToken: token } = await call("POST", "/auth/register", { email: `bench${Date.now()}@example.com`, password: "a long bench passphrase", name: "Bench" });
  const { id: biz } = await call("POST", "/businesses", { name: "Bench", baseCurrency: "USD" }, token);
  const B = `/businesses/${biz}`;
  const noop = { agent: "audit-check", input: { checks: [] } };

  async function waitAll(ids) {
    const pending = new Set(ids);
    const done = new Map();
    const deadline = Date.now() + 120_000;
    while (pending.size > 0 && Date.now() < deadline) {
      const page = await call("GET", `${B}/agent-tasks?status=succeeded&limit=200`, undefined, token);
      for (const t of page.data) if (pending.delete(t.id)) done.set(t.id, t);
      if (pending.size > 0) {
        // older tasks fall off the first page: look them up one by one
        for (const id of [...pending].slice(0, 50)) {
          const t = await call("GET", `${B}/agent-tasks/${id}`, undefined, token);
          if (t.status === "succeeded") {
            pending.delete(id);
            done.set(id, t);
          } else if (t.status === "failed") throw new Error(`task failed: ${t.error}`);
        }
      }
    }
    if (pending.size > 0) throw new Error(`${pending.size} tasks did not finish`);
    return [...done.values()];
  }

  // warm-up
  await waitAll([(await call("POST", `${B}/agent-tasks`, noop, token)).id]);

  const overheads = [];
  for (let i = 0; i < sequential; i++) {
    const { id } = await call("POST", `${B}/agent-tasks`, noop, token);
    let t;
    for (let polls = 0; polls < 2000; polls++) {
      t = await call("GET", `${B}/agent-tasks/${id}`, undefined, token);
      if (t.status === "succeeded") break;
    }
    overheads.push(Date.parse(t.finishedAt) - Date.parse(t.createdAt));
  }
  overheads.sort((a, b) => a - b);

  const ids = [];
  let next = 0;
  const enqueueStart = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < burst) {
        next += 1;
        ids.push((await call("POST", `${B}/agent-tasks`, noop, token)).id);
      }
    }),
  );
  const enqueueSeconds = (performance.now() - enqueueStart) / 1000;
  const tasks = await waitAll(ids);
  const first = Math.min(...tasks.map((t) => Date.parse(t.createdAt)));
  const last = Math.max(...tasks.map((t) => Date.parse(t.finishedAt)));
  const throughput = tasks.length / Math.max(0.001, (last - first) / 1000);

  const bundle = resolve("dist/bench-agents-queue.mjs");
  await build({ entryPoints: ["scripts/bench-agents-queue.ts"], bundle: true, platform: "node", format: "esm", packages: "external", outfile: bundle, logLevel: "warning" });
  const { benchQueue } = await import(bundle);
  const queue = await benchQueue(queueTasks, 8);

  const median = quantile(overheads, 0.5);
  console.log(
    JSON.stringify(
      {
        sequential: { tasks: overheads.length, overheadMs: { p50: median, p95: quantile(overheads, 0.95), max: overheads.at(-1) } },
        burst: { tasks: tasks.length, clients, enqueueSeconds, seconds: (last - first) / 1000, tasksPerSecond: Math.round(throughput) },
        queue,
        targets: { overheadP50Ms: 1, queueTasksPerSecond: 1000 },
        met: median <= 1 && queue.tasksPerSecond >= 1000,
      },
      null,
      2,
    ),
  );
  process.exitCode = median <= 1 && queue.tasksPerSecond >= 1000 ? 0 : 1;
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
