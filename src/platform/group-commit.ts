import type { Db, DbMeter, SqlConnection } from "./sql.js";

/** Runs `flush` soon, after the I/O callbacks already due (Node: setImmediate). */
export type Defer = (flush: () => void) => void;

interface Pending {
  work: () => unknown;
  meter: DbMeter;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** What a batch reports when SQLite rolled its whole transaction back (a full disk, an I/O error). */
class BatchRolledBack extends Error {
  constructor(override readonly cause: unknown) {
    super("the shared transaction was rolled back");
  }
}

/**
 * Group commit: the writes that reach one database in the same turn of the event loop commit in one
 * transaction, each in its own savepoint. A write that throws rolls back to its savepoint and fails
 * alone; the others commit together, and every promise settles only after the COMMIT, so nothing is
 * acknowledged before it is durable. If SQLite rolls the whole transaction back, or the COMMIT fails,
 * every write of the batch fails and none of it is kept.
 *
 * Why: on these machines a COMMIT's WAL writes cost more than the rest of a payment, and writes that
 * arrive together touch the same tail pages of the same tables, so one commit for many is far cheaper.
 * The transaction is opened and committed inside one synchronous flush: no other code can run while
 * it is open, so no reader ever sees a write that is not committed.
 */
export class GroupCommit {
  private readonly waiting = new Map<SqlConnection, Pending[]>();
  private scheduled = false;

  constructor(
    private readonly defer: Defer,
    private readonly onBatch: (size: number) => void = () => {},
  ) {}

  /** Runs `work` against `db` in the next shared transaction; resolves with its result once committed. */
  run<T>(db: Db, work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let queue = this.waiting.get(db.connection);
      if (!queue) {
        queue = [];
        this.waiting.set(db.connection, queue);
      }
      queue.push({ work, meter: db.meter, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.defer(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batches = [...this.waiting];
    this.waiting.clear();
    for (const [connection, pending] of batches) commitBatch(connection, pending, this.onBatch);
  }
}

function commitBatch(connection: SqlConnection, pending: Pending[], onBatch: (size: number) => void): void {
  const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
  const metered = pending.reduce((sum, item) => sum - item.meter.durationMs, 0);
  const started = performance.now();
  try {
    connection.transaction(() => {
      for (const item of pending) {
        try {
          outcomes.push({ ok: true, value: connection.savepoint(item.work) });
        } catch (error) {
          if (!connection.inTransaction) throw new BatchRolledBack(error);
          outcomes.push({ ok: false, error });
        }
      }
    });
  } catch (error) {
    const cause = error instanceof BatchRolledBack ? error.cause : error;
    for (const item of pending) item.reject(cause);
    return;
  }
  // each write's database time includes its share of BEGIN, the savepoints and the COMMIT
  const shared = performance.now() - started - pending.reduce((sum, item) => sum + item.meter.durationMs, metered);
  onBatch(pending.length);
  pending.forEach((item, i) => {
    const outcome = outcomes[i]!;
    item.meter.durationMs += shared / pending.length;
    if (outcome.ok) item.resolve(outcome.value);
    else item.reject(outcome.error);
  });
}
