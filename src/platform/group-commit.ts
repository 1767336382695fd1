import type { Db, DbMeter, SqlConnection } from "./sql.js";

/** Runs `flush` soon, after the I/O callbacks already due (Node: setImmediate). */
export type Defer = (flush: () => void) => void;

/**
 * A write's work. `isolated`: it runs in a savepoint of its own, the batch's second run; a work that keeps
 * something of a refusal it makes after writing (an idempotency record) takes its own nested savepoint
 * only then, and in the first run lets such a refusal throw.
 */
export type Work<T> = (isolated: boolean) => T;

interface Pending {
  work: Work<unknown>;
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

/** A write of the optimistic run threw after writing: the whole transaction was rolled back. */
class WriteFailed extends Error {
  constructor() {
    super("a write of the batch failed after writing");
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: the writes that reach one database in the same turn of the event loop commit in one
 * transaction, each in its own savepoint. A write that throws rolls back to its savepoint and fails
 * alone; the others commit together, and every promise settles only after the COMMIT, so nothing is
 * acknowledged before it is durable. If SQLite rolls the whole transaction back, or the COMMIT fails,
 * every write of the batch fails and none of it is kept.
 *
 * Why: on these machines a COMMIT's WAL writes cost more than the rest of a payment, and writes that
 * arrive together touch the same tail pages of the same tables, so one commit for many is far cheaper.
 *
 * A batch first runs optimistically, without savepoints: a savepoint makes SQLite copy every page a
 * write touches into its sub-journal (without them a payment's own work took 13 % fewer instructions).
 * A write that throws before it wrote anything (the usual refusal: checks, then writes) simply fails. One that throws after
 * writing rolls the whole transaction back, and the whole batch runs again, each write in its own
 * savepoint (`isolated`), that one too: it fails alone then, or keeps what it keeps of its refusal — so
 * a write's work may run twice, and must keep its effects in the database (or redo them).
 * Whether a work wrote is told by `connection.generation`, which every writing statement made through
 * a Db moves: work writes through the Db it was given, never the connection itself.
 * The transaction is opened and committed inside one synchronous flush: no other code can run while
 * it is open, so no reader ever sees a write that is not committed.
 */
export class GroupCommit {
  private waiting = new Map<SqlConnection, Pending[]>();
  private scheduled = false;

  constructor(
    private readonly defer: Defer,
    private readonly onBatch: (size: number) => void = () => {},
  ) {}

  /** Runs `work` against `db` in the next shared transaction; resolves with its result once committed. */
  run<T>(db: Db, work: Work<T>): Promise<T> {
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
    // A new Map per flush, never clear(): V8's Map#clear leaves the old table, entries and all, linked
    // to its successor. Once one such table is in the old generation, every scavenge treats that link
    // as a root, so each later table and every request its entries reach survived until the next full
    // GC: under the payment load 9 KB per payment promoted, scavenges 4× as long (decision 0009).
    const batches = this.waiting;
    this.waiting = new Map();
    for (const [connection, pending] of batches) commitBatch(connection, pending, this.onBatch);
  }
}

/**
 * Runs `pending` in one transaction: `isolated`, each write in its own savepoint (a failure is that
 * write's outcome); otherwise without, and the first failure after a write rolls everything back (WriteFailed).
 */
function runBatch(connection: SqlConnection, pending: Pending[], isolated: boolean): Outcome[] {
  const outcomes: Outcome[] = [];
  connection.transaction(() => {
    pending.forEach((item) => {
      if (!isolated) {
        const generation = connection.generation;
        try {
          outcomes.push({ ok: true, value: item.work(false) });
        } catch (error) {
          // refused before writing anything: nothing to undo
          if (connection.generation === generation && connection.inTransaction) outcomes.push({ ok: false, error });
          else throw new WriteFailed();
        }
        return;
      }
      try {
        outcomes.push({ ok: true, value: connection.savepoint(() => item.work(true)) });
      } catch (error) {
        if (!connection.inTransaction) throw new BatchRolledBack(error);
        outcomes.push({ ok: false, error });
      }
    });
  });
  return outcomes;
}

function commitBatch(connection: SqlConnection, pending: Pending[], onBatch: (size: number) => void): void {
  const metered = pending.reduce((sum, item) => sum - item.meter.durationMs, 0);
  const started = performance.now();
  let outcomes: Outcome[];
  try {
    try {
      outcomes = runBatch(connection, pending, false);
    } catch (error) {
      if (!(error instanceof WriteFailed)) throw error;
      // nothing of the batch was kept: all of it runs again, isolated
      outcomes = runBatch(connection, pending, true);
    }
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
