// A payment's own work without our HTTP stack (bundled and run by scripts/bench-payments.mjs): the
// finance service's createPayment with its audit entries, events and response body, committed through the
// same GroupCommit as the server's writes.
// - benchPaymentWork: in process, `batch` payments to a commit; the CPU time per payment (user + system,
//   process.cpuUsage) is the floor under what a payment over HTTP can cost on this machine. With kind
//   "journal", two-line journal entries (rent against payables) instead.
// - serveBarePayments: the same work behind a bare node:http server — no Hono, validation library,
//   authentication, business scope or metrics; the body read by hand, a fixed bearer token, the answer
//   with the same headers as the server's. What a payment costs over HTTP with no framework at all.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as finance from "../src/finance/service.js";
import * as store from "../src/finance/store.js";
import type { BusinessScope } from "../src/http/context.js";
import { etagOfText } from "../src/http/resource.js";
import { SECURITY_HEADERS } from "../src/http/response-headers.js";
import { changeRecorder } from "../src/platform/changes.js";
import type { BusinessEvent } from "../src/platform/event-log.js";
import { GroupCommit } from "../src/platform/group-commit.js";
import { newId } from "../src/platform/ids.js";
import { Db, DbMeter } from "../src/platform/sql.js";
import { isoNow } from "../src/platform/time.js";
import { BusinessPool, loadMigrations } from "../src/runtime/node/sqlite.js";
import { useNativeSha256 } from "../src/platform/crypto.js";
import { nodeSha256Hex } from "../src/runtime/node/native-hash.js";
import { useWalBatching } from "../src/runtime/node/wal-batch.js";

type PaymentInput = Parameters<typeof finance.createPayment>[2];

/**
 * A new business on a temporary data directory with one issued invoice of 10^13 cents, and `pay`: a
 * payment's work on it as commitChange does it minus HTTP (a recorder, the work, the body as JSON).
 */
function paymentWorkbench() {
  useNativeSha256(nodeSha256Hex);
  // as the server writes its WAL, and off with the same setting
  if (process.env.SQLITE_WAL_BATCH !== "off") {
    const refused = useWalBatching();
    if (refused) console.warn(`payment work with the WAL unbatched: ${refused}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "coreflow-bench-payment-work-"));
  mkdirSync(join(dir, "businesses"));
  const pool = new BusinessPool(join(dir, "businesses"), loadMigrations(resolve("migrations/business")), "NORMAL", 4);
  const businessId = newId("biz");
  const handle = pool.acquire(businessId);
  // the server takes a business's timestamps from its cached row: not formatted per request
  const opened = isoNow();
  const actor = { type: "user", id: "usr_bench" } as const;
  const write =
    <T>(work: (scope: BusinessScope, rec: ReturnType<typeof changeRecorder>) => T, requestId = "bench") =>
    (): string => {
      const db = new Db(handle.connection, new DbMeter());
      const scope: BusinessScope = { businessId, name: "Payment work", baseCurrency: "USD", createdAt: opened, updatedAt: opened, role: "owner", actor, requestId, db };
      const events: BusinessEvent[] = [];
      return JSON.stringify(work(scope, changeRecorder(db, actor, requestId, isoNow(), events)));
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
  return {
    invoiceId: invoice.id,
    db: () => new Db(handle.connection, new DbMeter()),
    pay: (input: PaymentInput, requestId?: string) => write((scope, rec) => finance.createPayment(scope, rec, input), requestId),
    /** A manual journal entry of two lines, rent against payables, as POST /journal-entries posts it. */
    rent: () => {
      const account = (code: string) => store.findAccountByCode(setup, code)!.id;
      const input = { date: "2026-01-03", memo: "Rent", lines: [{ accountId: account("6200"), debit: 100, credit: 0 }, { accountId: account("2000"), debit: 0, credit: 100 }] };
      return write((scope, rec) => finance.createJournalEntry(scope, rec, input));
    },
    close() {
      handle.release();
      pool.closeAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function benchPaymentWork(
  payments: number,
  batch: number,
  warmUp = Math.min(2_000, payments),
  kind: "payment" | "journal" = "payment",
): Promise<{ payments: number; batch: number; cpuMicrosPerPayment: number }> {
  const bench = paymentWorkbench();
  let flush: (() => void) | undefined;
  const commits = new GroupCommit((f) => {
    flush = f;
  });
  const pay = kind === "journal" ? bench.rent() : bench.pay({ invoiceId: bench.invoiceId, amount: 1, date: "2026-01-02" });
  const run = async (n: number) => {
    for (let done = 0; done < n; done += batch) {
      const pending = Array.from({ length: Math.min(batch, n - done) }, () => commits.run(bench.db(), pay));
      flush?.();
      await Promise.all(pending);
    }
  };
  await run(warmUp); // JIT, page cache
  const before = process.cpuUsage();
  await run(payments);
  const used = process.cpuUsage(before);
  bench.close();
  return { payments, batch, cpuMicrosPerPayment: payments > 0 ? (used.user + used.system) / payments : 0 };
}

/**
 * Serves `POST /` with `Authorization: Bearer bench` and a payment's JSON body on a free loopback port,
 * committing through a GroupCommit flushed as the server's is (setImmediate); prints
 * `{"port":…,"invoiceId":…}` once listening.
 */
export function serveBarePayments(): void {
  const bench = paymentWorkbench();
  const commits = new GroupCommit(setImmediate);
  const server = createServer((req, res) => {
    const requestId = crypto.randomUUID();
    if (req.headers.authorization !== "Bearer bench") {
      res.writeHead(401).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as PaymentInput;
      if (typeof input.invoiceId !== "string" || !Number.isSafeInteger(input.amount) || typeof input.date !== "string") {
        res.writeHead(400).end();
        return;
      }
      commits.run(bench.db(), bench.pay(input, requestId)).then(
        (text) => {
          res.writeHead(201, { ...SECURITY_HEADERS, "content-type": "application/json", etag: etagOfText(text), "x-request-id": requestId });
          res.end(text);
        },
        () => res.writeHead(422).end(),
      );
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    console.log(JSON.stringify({ port: typeof address === "object" && address ? address.port : 0, invoiceId: bench.invoiceId }));
  });
  process.once("SIGTERM", () => {
    server.close(() => bench.close());
    server.closeAllConnections();
  });
}
