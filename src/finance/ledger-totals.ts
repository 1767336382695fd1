import { ConnectionMemo, Db, DbMeter, type SqlConnection } from "../platform/sql.js";
import type { PricedLine } from "./ledger.js";

/** A lifetime total past this is no longer exact as a JSON number (decision 0020, migration 0010). */
const CAPACITY = BigInt(Number.MAX_SAFE_INTEGER);

/** The amounts one account's day in one currency gains (a ledger_daily row's increments). */
interface DayIncrement {
  accountId: string;
  date: string;
  currency: string;
  debit: number;
  credit: number;
  baseDebit: number;
  baseCredit: number;
}

/**
 * The cached totals of one open database as its open transaction leaves them: `lifetime` holds
 * ledger_totals with every entry added so far, `days` and `debits` what is not written yet.
 */
interface Totals {
  lifetime: Map<string, number>;
  days: Map<string, DayIncrement>;
  debits: Map<string, number>;
}

// forgotten on any rollback (a ConnectionMemo): a rolled-back savepoint or transaction takes its
// unwritten increments with it, and the lifetime totals are read again from what the database kept
const kept = new ConnectionMemo<Totals>();

function totalsOf(db: Db): Totals {
  const totals = kept.get(db.connection);
  if (totals) return totals;
  const lifetime = new Map<string, number>();
  for (const row of db.all<{ currency: string; debit: number }>("SELECT currency, debit FROM ledger_totals")) lifetime.set(row.currency, row.debit);
  return kept.set(db.connection, { lifetime, days: new Map(), debits: new Map() });
}

/**
 * Adds a posted entry to the ledger's cached totals: each line to its account's day (ledger_daily), its
 * debits to the lifetime totals per currency and, under '*', in base amounts (ledger_totals). The rows
 * are written when the savepoint or transaction ends (SqlConnection.deferWrites), so the payments that
 * commit together update each day and currency once rather than each its own. False, with nothing
 * added, when a lifetime total would pass 2^53 − 1.
 */
export function addEntryToTotals(db: Db, date: string, lines: readonly PricedLine[]): boolean {
  const totals = totalsOf(db);
  const debits = new Map<string, bigint>();
  let base = 0n;
  for (const line of lines) {
    debits.set(line.currency, (debits.get(line.currency) ?? 0n) + line.debit);
    base += line.baseDebit;
  }
  // '*' is no currency code (those are three letters)
  debits.set("*", base);
  for (const [code, added] of debits) if (BigInt(totals.lifetime.get(code) ?? 0) + added > CAPACITY) return false;
  // within the capacity every sum below stays exact
  for (const [code, added] of debits) {
    const n = Number(added);
    totals.lifetime.set(code, (totals.lifetime.get(code) ?? 0) + n);
    totals.debits.set(code, (totals.debits.get(code) ?? 0) + n);
  }
  for (const line of lines) {
    // ids, dates and currency codes hold no spaces
    const key = `${line.accountId} ${date} ${line.currency}`;
    const day = totals.days.get(key);
    if (day) {
      day.debit += Number(line.debit);
      day.credit += Number(line.credit);
      day.baseDebit += Number(line.baseDebit);
      day.baseCredit += Number(line.baseCredit);
    } else {
      totals.days.set(key, {
        accountId: line.accountId,
        date,
        currency: line.currency,
        debit: Number(line.debit),
        credit: Number(line.credit),
        baseDebit: Number(line.baseDebit),
        baseCredit: Number(line.baseCredit),
      });
    }
  }
  if (db.connection.inTransaction) db.connection.deferWrites(writeTotals);
  else writeTotals(db.connection);
  return true;
}

/** The upsert of `rows` lifetime totals, its text made once per number of rows. */
const upserts: string[] = [];
const addToLifetimeTotals = (rows: number) =>
  (upserts[rows] ??= `INSERT INTO ledger_totals (currency, debit) VALUES ${Array.from({ length: rows }, () => "(?, ?)").join(", ")}
   ON CONFLICT (currency) DO UPDATE SET debit = debit + excluded.debit`);

/** Writes the increments not written yet, inside the savepoint or transaction they belong to. */
function writeTotals(connection: SqlConnection): void {
  const totals = kept.get(connection);
  if (!totals || (totals.days.size === 0 && totals.debits.size === 0)) return;
  const db = new Db(connection, new DbMeter());
  for (const day of totals.days.values()) {
    db.run(
      `INSERT INTO ledger_daily (account_id, date, currency, debit, credit, base_debit, base_credit) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, date, currency) DO UPDATE SET debit = debit + excluded.debit, credit = credit + excluded.credit,
         base_debit = base_debit + excluded.base_debit, base_credit = base_credit + excluded.base_credit`,
      day.accountId,
      day.date,
      day.currency,
      day.debit,
      day.credit,
      day.baseDebit,
      day.baseCredit,
    );
  }
  if (totals.debits.size > 0) {
    const params: (string | number)[] = [];
    for (const [currency, debit] of totals.debits) params.push(currency, debit);
    db.run(addToLifetimeTotals(totals.debits.size), ...params);
  }
  // new maps rather than clear() (decision 0009)
  totals.days = new Map();
  totals.debits = new Map();
}
