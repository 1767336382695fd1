import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { temporaryBusinessDatabases } from "../../test/support/database.js";
import { Db, DbMeter } from "../platform/sql.js";
import type { NodeSqlConnection } from "../runtime/node/sqlite.js";
import * as store from "./store.js";

const databases = temporaryBusinessDatabases();
afterEach(() => databases.removeAll());

const invoiceRow = (id: string, total: number): store.InvoiceRow => ({
  id,
  number: null,
  customer_id: "cmp_test",
  currency: "USD",
  issue_date: "2026-01-01",
  due_date: "2026-01-31",
  memo: null,
  state: "issued",
  subtotal: total,
  tax_total: 0,
  total,
  amount_paid: 0,
  exchange_rate: "1",
  base_total: total,
  base_cleared: 0,
  issue_entry_id: null,
  void_entry_id: null,
  voided_on: null,
  issued_at: "2026-01-01T00:00:00.000Z",
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
});

/** What the database holds, read past the invoices store.ts keeps in memory. */
const stored = (connection: NodeSqlConnection, id: string) => connection.statement("SELECT * FROM invoices WHERE id = ?").get(id);

type Step =
  | { kind: "pay"; invoice: number; amount: number }
  | { kind: "pay then fail"; invoice: number; amount: number }
  | { kind: "memo"; invoice: number; memo: string }
  | { kind: "memo then roll back"; invoice: number; memo: string }
  | { kind: "read"; invoice: number };

describe("the invoices kept per open database", () => {
  it("read as the database holds them through payments, edits, failed savepoints and rolled-back transactions", () => {
    // more invoices than are kept, so that reads also go past the ones forgotten
    const count = 70;
    const invoice = fc.integer({ min: 0, max: count - 1 });
    const amount = fc.integer({ min: 1, max: 1_000 });
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant("pay" as const), invoice, amount }),
      fc.record({ kind: fc.constant("pay then fail" as const), invoice, amount }),
      fc.record({ kind: fc.constant("memo" as const), invoice, memo: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant("memo then roll back" as const), invoice, memo: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant("read" as const), invoice }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), (steps) => {
        const connection = databases.open();
        const db = new Db(connection, new DbMeter());
        const ids = Array.from({ length: count }, (_, i) => `inv_${i}`);
        connection.transaction(() => {
          for (const id of ids) store.insertInvoice(db, invoiceRow(id, 1_000_000));
        });
        for (const s of steps) {
          const id = ids[s.invoice]!;
          const pay = () => {
            const row = store.findInvoice(db, id)!;
            const add = s.kind === "pay" || s.kind === "pay then fail" ? s.amount : 0;
            store.setInvoicePaid(db, { id, amount_paid: row.amount_paid + add, base_cleared: row.base_cleared + add, updated_at: "2026-02-01T00:00:00.000Z" });
          };
          const edit = () => {
            const row = store.findInvoice(db, id)!;
            store.updateInvoice(db, { ...row, memo: s.kind === "memo" || s.kind === "memo then roll back" ? s.memo : row.memo });
          };
          const fail = () => {
            throw new Error("refused after writing");
          };
          if (s.kind === "pay") connection.transaction(pay);
          else if (s.kind === "memo") connection.transaction(edit);
          else if (s.kind === "pay then fail") {
            // as a group commit runs a failing write: in its own savepoint, inside a transaction that commits
            connection.transaction(() => {
              store.findInvoice(db, id);
              expect(() =>
                connection.savepoint(() => {
                  pay();
                  fail();
                }),
              ).toThrow("refused after writing");
            });
          } else if (s.kind === "memo then roll back") {
            expect(() =>
              connection.transaction(() => {
                edit();
                fail();
              }),
            ).toThrow("refused after writing");
          }
          expect(store.findInvoice(db, id)).toEqual(stored(connection, id));
        }
        for (const id of ids) expect(store.findInvoice(db, id)).toEqual(stored(connection, id));
        connection.close();
      }),
      { numRuns: 40 },
    );
  });
});
