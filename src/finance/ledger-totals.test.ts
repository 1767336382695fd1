import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { temporaryBusinessDatabases } from "../../test/support/database.js";
import { Db, DbMeter } from "../platform/sql.js";
import type { NodeSqlConnection } from "../runtime/node/sqlite.js";
import type { PricedLine } from "./ledger.js";
import { addEntryToTotals } from "./ledger-totals.js";
import { insertEntry } from "./store.js";

const databases = temporaryBusinessDatabases();
afterEach(() => databases.removeAll());

const ACCOUNTS = ["acc_cash", "acc_bank", "acc_rent", "acc_sales"];
const CURRENCIES = ["USD", "EUR", "JPY"];
const DATES = ["2026-01-01", "2026-01-02", "2026-02-01"];

/** A business database with a few accounts of its own. */
function business(): NodeSqlConnection {
  const connection = databases.open();
  ACCOUNTS.forEach((id, i) => {
    connection
      .statement("INSERT INTO accounts (id, code, name, type, created_at, updated_at) VALUES (?, ?, ?, 'asset', '2026-01-01', '2026-01-01')")
      .run(id, `T${i}`, id);
  });
  return connection;
}

/** A balanced entry: one debit line and one credit line of the same amount, base amounts at some rate. */
const entryArb = fc.record({
  date: fc.constantFrom(...DATES),
  debitAccount: fc.constantFrom(...ACCOUNTS),
  creditAccount: fc.constantFrom(...ACCOUNTS),
  currency: fc.constantFrom(...CURRENCIES),
  amount: fc.integer({ min: 1, max: 1_000_000 }),
  rate: fc.integer({ min: 1, max: 3 }),
});
type Entry = typeof entryArb extends fc.Arbitrary<infer T> ? T : never;

/** How a change is made: alone in a transaction's flow, in a savepoint, in a savepoint that then fails. */
const changeArb = fc.record({ entry: entryArb, how: fc.constantFrom("plain", "savepoint", "savepoint then fail", "plain then fail") });
/** A batch: changes in one transaction (rolled back as a whole, sometimes), or one change with no transaction. */
const batchArb = fc.record({
  changes: fc.array(changeArb, { minLength: 1, maxLength: 6 }),
  end: fc.constantFrom("commit", "commit", "commit", "roll back", "no transaction"),
});

let entries = 0;
function post(db: Db, e: Entry): void {
  entries += 1;
  const lines: PricedLine[] = [
    { accountId: e.debitAccount, currency: e.currency, debit: BigInt(e.amount), credit: 0n, baseDebit: BigInt(e.amount * e.rate), baseCredit: 0n },
    { accountId: e.creditAccount, currency: e.currency, debit: 0n, credit: BigInt(e.amount), baseDebit: 0n, baseCredit: BigInt(e.amount * e.rate) },
  ];
  const row = {
    id: `jnl_${entries}`,
    date: e.date,
    memo: null,
    source_type: "manual" as const,
    source_id: null,
    reversal_of: null,
    created_at: "2026-01-01T00:00:00.000Z",
    created_by: "user:usr_test",
    counterparty_business_id: null,
  };
  insertEntry(db, row, lines);
  expect(addEntryToTotals(db, e.date, lines)).toBe(true);
}

const refused = () => {
  throw new Error("refused after writing");
};

/** ledger_daily and ledger_totals as the postings alone make them. */
function fromPostings(connection: NodeSqlConnection) {
  const days = connection
    .statement(
      `SELECT account_id, date, currency, SUM(debit) AS debit, SUM(credit) AS credit, SUM(base_debit) AS base_debit, SUM(base_credit) AS base_credit
       FROM postings GROUP BY account_id, date, currency ORDER BY account_id, date, currency`,
    )
    .all();
  const totals = connection
    .statement("SELECT currency, SUM(debit) AS debit FROM postings GROUP BY currency UNION ALL SELECT '*', SUM(base_debit) FROM postings HAVING COUNT(*) > 0 ORDER BY 1")
    .all();
  return { days, totals };
}

function cached(connection: NodeSqlConnection) {
  const days = connection
    .statement("SELECT account_id, date, currency, debit, credit, base_debit, base_credit FROM ledger_daily ORDER BY account_id, date, currency")
    .all();
  const totals = connection.statement("SELECT currency, debit FROM ledger_totals ORDER BY 1").all();
  return { days, totals };
}

describe("the ledger's cached totals", () => {
  it("equal the postings after any batches of entries, failed savepoints, failed writes and rolled-back transactions", () => {
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 12 }), (batches) => {
        const connection = business();
        const db = new Db(connection, new DbMeter());
        for (const batch of batches) {
          if (batch.end === "no transaction") {
            post(db, batch.changes[0]!.entry);
          } else {
            const run = () => {
              for (const change of batch.changes) {
                if (change.how === "plain") post(db, change.entry);
                else if (change.how === "savepoint") connection.savepoint(() => post(db, change.entry));
                else if (change.how === "savepoint then fail") {
                  expect(() =>
                    connection.savepoint(() => {
                      post(db, change.entry);
                      refused();
                    }),
                  ).toThrow("refused after writing");
                } else {
                  // a write that fails after writing, outside a savepoint, takes the whole transaction with it
                  post(db, change.entry);
                  refused();
                }
              }
              if (batch.end === "roll back") refused();
            };
            try {
              connection.transaction(run);
            } catch (error) {
              expect((error as Error).message).toBe("refused after writing");
            }
          }
          expect(cached(connection)).toEqual(fromPostings(connection));
        }
        connection.close();
      }),
      { numRuns: 60 },
    );
  });

  it("take the whole transaction with them when writing them before a savepoint fails, even if a retry would pass", () => {
    const connection = business();
    const db = new Db(connection, new DbMeter());
    const rent = { date: "2026-01-01", debitAccount: "acc_rent", creditAccount: "acc_cash", currency: "USD", amount: 100, rate: 1 };
    connection.transaction(() => post(db, rent));
    const lifetime = connection.statement("SELECT debit FROM ledger_totals WHERE currency = 'USD'");
    const setLifetime = connection.statement("UPDATE ledger_totals SET debit = ? WHERE currency = 'USD'");
    expect(() =>
      connection.transaction(() => {
        post(db, rent);
        // behind the module's back, so that writing its pending totals fails once (the table's CHECK),
        // after the day's row has already been added
        const before = (lifetime.get() as { debit: number }).debit;
        setLifetime.run(Number.MAX_SAFE_INTEGER);
        expect(() => connection.savepoint(() => undefined)).toThrow(/CHECK constraint failed/);
        expect(connection.inTransaction).toBe(false);
        // what would let a retry of the same writes pass
        setLifetime.run(before);
      }),
    ).toThrow(/no transaction is active/);
    // the first entry alone, its day counted once
    expect(connection.statement("SELECT COUNT(*) AS n FROM postings").get()).toEqual({ n: 2 });
    expect(cached(connection)).toEqual(fromPostings(connection));
  });
});
