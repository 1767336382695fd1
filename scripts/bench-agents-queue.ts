// The orchestrator alone, in process (bundled and run by scripts/bench-agents.mjs): `tasks` no-op tasks
// (audit-check, checks: []) are queued straight into one business database, then the orchestrator drains
// them. Prints tasks/s through the one business's queue and the mean time per task.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { builtInAgents } from "../src/agents/agents.js";
import { readAgentConfig } from "../src/agents/config.js";
import { Orchestrator, TriggeringEventBus } from "../src/agents/orchestrator.js";
import * as store from "../src/agents/store.js";
import { newId } from "../src/platform/ids.js";
import { Db, DbMeter, migrate } from "../src/platform/sql.js";
import { BusinessPool, loadMigrations, NodeSqlConnection } from "../src/runtime/node/sqlite.js";

export async function benchQueue(tasks: number, businessConcurrency: number): Promise<{ tasks: number; seconds: number; tasksPerSecond: number; meanMsPerTask: number }> {
  const dir = mkdtempSync(join(tmpdir(), "coreflow-bench-queue-"));
  const core = new NodeSqlConnection(join(dir, "core.db"), "NORMAL");
  migrate(core, loadMigrations(resolve("migrations/core")));
  mkdirSync(join(dir, "businesses"));
  const businesses = new BusinessPool(join(dir, "businesses"), loadMigrations(resolve("migrations/business")), "NORMAL", 16);
  const businessId = newId("biz");
  const handle = businesses.acquire(businessId);
  const db = new Db(handle.connection, new DbMeter());
  const ids: string[] = [];
  db.transaction(() => {
    for (let i = 0; i < tasks; i++) {
      const id = newId("atk");
      ids.push(id);
      store.insertTask(db, { id, agent: "audit-check", priority: 0, input: { checks: [] }, maxAttempts: 1, runAfterMs: 0, trigger: "api", requestedBy: "bench", at: new Date().toISOString() });
    }
  });
  const silent = { isLevelEnabled: () => false, debug() {}, info() {}, warn() {}, error: (o: object, m?: string) => console.error(m, o) };
  const config = readAgentConfig({ AGENT_BUSINESS_CONCURRENCY: String(businessConcurrency), AGENT_CONCURRENCY: String(businessConcurrency) });
  const orchestrator = new Orchestrator({ core, businesses, bus: new TriggeringEventBus(), logger: silent }, config, builtInAgents());
  const started = performance.now();
  orchestrator.start();
  orchestrator.notify(businessId);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const left = db.get<{ n: number }>("SELECT count(*) AS n FROM agent_tasks WHERE status IN ('queued', 'running')")!.n;
    if (left === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  const succeeded = db.get<{ n: number }>("SELECT count(*) AS n FROM agent_tasks WHERE status = 'succeeded'")!.n;
  await orchestrator.stop();
  handle.release();
  businesses.closeAll();
  core.close();
  rmSync(dir, { recursive: true, force: true });
  return { tasks: succeeded, seconds, tasksPerSecond: Math.round(succeeded / seconds), meanMsPerTask: (seconds * 1000) / succeeded };
}
