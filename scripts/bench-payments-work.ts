// A payment's own work, in process and without HTTP (bundled and run by scripts/bench-payments.mjs): the
// finance service's createPayment with its audit entries, events and response body, committed through the
// same GroupCommit as the server's writes, `batch` payments to a commit. Prints the CPU time per payment
// (user + system, process.cpuUsage): the floor under what a payment over HTTP can cost on this machine.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as finance from "../src/finance/service.js";
import type { BusinessScope } from "../src/http/context.js";
import { changeRecorder } from "../src/platform/changes.js";
import type { BusinessEvent } from "../src/platform/event-log.js";
import { GroupCommit } from "../src/platform/group-commit.js";
import { newId } from "../src/platform/ids.js";
import { Db, DbMeter } from "../src/platform/sql.js";
import { isoNow } from "../src/platform/time.js";
import { BusinessPool, loadMigrations } from "../src/runtime/node/sqlite.js";
import { useNativeSha256 } from "../src/platform/crypto.js";
import { nodeSha256Hex } from "../src/runtime/node/native-hash.js";

export async function benchPaymentWork(
  payments: number,
  batch: number,
  warmUp = Math.min(2_000, payments),
): Promise<{ payments: number; batch: number; cpuMicrosPerPayment: number }> {
  useNativeSha256(nodeSha256Hex);
  const dir = mkdtempSync(join(tmpdir(), "coreflow-bench-payment-work-"));
  mkdirSync(join(dir, "businesses"));
  const pool = new BusinessPool(join(dir, "businesses"), loadMigrations(resolve("migrations/business")), "NORMAL", 4);
  const businessId = newId("biz");
  const handle = pool.acquire(businessId);
  // the server takes a business's timestamps from its cached row: not formatted per request
  const opened = isoNow();
  const scopeOf = (db: Db): BusinessScope => ({
    businessId,
    name: "Payment work",
    baseCurrency: "USD",
    createdAt: opened,
    updatedAt: opened,
    role: "owner",
    actor: { type: "user", id: "usr_bench" },
    requestId: "bench",
    db,
  });
  // what commitChange does around the work, minus HTTP: a recorder, the work, the body as JSON
  const write =
    <T>(work: (scope: BusinessScope, rec: ReturnType<typeof changeRecorder>) => T) =>
    (): string => {
      const db = new Db(handle.connection, new DbMeter());
      const scope = scopeOf(db);
      const events: BusinessEvent[] = [];
      return JSON.stringify(work(scope, changeRecorder(db, scope.actor, scope.requestId, isoNow(), events)));
    };
  const setup = new Db(handle.connection, new DbMeter());
  const customer = newId("cmp");
  setup.run("INSERT INTO companies (id, name, created_at, updated_at) VALUES (?, 'A customer', ?, ?)", customer, isoNow(), isoNow());
  const invoice = JSON.parse(
    setup.transaction(
      write((scope, rec) =>
        finance.createInvoice(scope, rec, {
          customerId: customer,
          currency: "USD",
          issueDate: "2026-01-01",
          dueDate: "2026-01-31",
          lines: [{ description: "Large", quantity: "1000", unitPrice: 10_000_000_000, taxRate: "0" }],
        }),
      ),
    ),
  ) as { id: string };
  setup.transaction(write((scope, rec) => finance.issueInvoice(scope, rec, invoice.id)));

  let flush: (() => void) | undefined;
  const commits = new GroupCommit((f) => {
    flush = f;
  });
  const pay = write((scope, rec) => finance.createPayment(scope, rec, { invoiceId: invoice.id, amount: 1, date: "2026-01-02" }));
  const run = async (n: number) => {
    for (let done = 0; done < n; done += batch) {
      const pending = Array.from({ length: Math.min(batch, n - done) }, () => commits.run(new Db(handle.connection, new DbMeter()), pay));
      flush?.();
      await Promise.all(pending);
    }
  };
  await run(warmUp); // JIT, page cache
  const before = process.cpuUsage();
  await run(payments);
  const used = process.cpuUsage(before);
  handle.release();
  pool.closeAll();
  rmSync(dir, { recursive: true, force: true });
  return { payments, batch, cpuMicrosPerPayment: payments > 0 ? (used.user + used.system) / payments : 0 };
}
