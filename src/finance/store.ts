import { ConnectionMemo, type Db } from "../platform/sql.js";
import type { AccountType, PricedLine } from "./ledger.js";

/** SQL of the finance feature, nothing else. */

export interface AccountRow {
  id: string;
  code: string;
  name: string;
  type: AccountType;
  currency: string | null;
  description: string | null;
  system_key: string | null;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * The accounts of each open database by id, as read here: every journal entry looks its lines' accounts
 * up, and only insertAccount, updateAccount and deleteAccount below change an account (forgotten on any
 * rollback, as a ConnectionMemo is). Ids that match no account are not kept: callers choose them.
 */
const accountsById = new ConnectionMemo<Map<string, AccountRow>>();
const knownAccounts = (db: Db) => accountsById.get(db.connection) ?? accountsById.set(db.connection, new Map());

export function findAccount(db: Db, id: string): AccountRow | undefined {
  const known = knownAccounts(db);
  let row = known.get(id);
  if (row === undefined) {
    row = db.get<AccountRow>("SELECT * FROM accounts WHERE id = ?", id);
    if (row) known.set(id, row);
  }
  return row;
}
export const findAccountByCode = (db: Db, code: string) => db.get<AccountRow>("SELECT * FROM accounts WHERE code = ?", code);
export const systemAccounts = (db: Db) => db.all<AccountRow>("SELECT * FROM accounts WHERE system_key IS NOT NULL");

export function listAccounts(db: Db, f: { after: string; limit: number; type?: string; archived?: boolean }): AccountRow[] {
  const archived = f.archived === undefined ? -1 : f.archived ? 1 : 0;
  if (f.type) {
    return db.all<AccountRow>(
      `SELECT * FROM accounts WHERE type = ? AND code > ? AND (? = -1 OR (archived_at IS NOT NULL) = ?) ORDER BY code LIMIT ?`,
      f.type,
      f.after,
      archived,
      archived,
      f.limit,
    );
  }
  return db.all<AccountRow>(
    `SELECT * FROM accounts WHERE code > ? AND (? = -1 OR (archived_at IS NOT NULL) = ?) ORDER BY code LIMIT ?`,
    f.after,
    archived,
    archived,
    f.limit,
  );
}

export const allAccounts = (db: Db) => db.all<AccountRow>("SELECT * FROM accounts ORDER BY code");

export function insertAccount(db: Db, a: AccountRow): void {
  db.run(
    "INSERT INTO accounts (id, code, name, type, currency, description, system_key, archived_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    a.id,
    a.code,
    a.name,
    a.type,
    a.currency,
    a.description,
    a.system_key,
    a.archived_at,
    a.created_at,
    a.updated_at,
  );
}

export function updateAccount(db: Db, a: AccountRow): void {
  knownAccounts(db).delete(a.id);
  db.run(
    "UPDATE accounts SET code = ?, name = ?, type = ?, currency = ?, description = ?, archived_at = ?, updated_at = ? WHERE id = ?",
    a.code,
    a.name,
    a.type,
    a.currency,
    a.description,
    a.archived_at,
    a.updated_at,
    a.id,
  );
}

export function deleteAccount(db: Db, id: string): void {
  knownAccounts(db).delete(id);
  db.run("DELETE FROM accounts WHERE id = ?", id);
}

export const accountHasPostings = (db: Db, id: string) =>
  db.get<{ n: number }>("SELECT EXISTS (SELECT 1 FROM postings WHERE account_id = ?) AS n", id)!.n === 1;

export const accountIsUsedByPayments = (db: Db, id: string) =>
  db.get<{ n: number }>("SELECT EXISTS (SELECT 1 FROM payments WHERE account_id = ?) AS n", id)!.n === 1;

// ---- settings

export interface SettingsRow {
  lock_date: string | null;
  next_invoice_number: number;
}

export const settings = (db: Db) => db.get<SettingsRow>("SELECT lock_date, next_invoice_number FROM finance_settings WHERE id = 1")!;
/** The lock date of each open database: every posting checks it, and only setLockDate changes it. */
const lockDates = new ConnectionMemo<{ lockDate: string | null }>();

export const lockDate = (db: Db): string | null =>
  (lockDates.get(db.connection) ?? lockDates.set(db.connection, { lockDate: settings(db).lock_date })).lockDate;

export function setLockDate(db: Db, lockDate: string | null): void {
  db.run("UPDATE finance_settings SET lock_date = ? WHERE id = 1", lockDate);
  lockDates.set(db.connection, { lockDate });
}

/** Takes the next invoice number inside the issuing transaction, so numbers have no gaps. */
export function takeInvoiceNumber(db: Db): number {
  const n = settings(db).next_invoice_number;
  db.run("UPDATE finance_settings SET next_invoice_number = next_invoice_number + 1 WHERE id = 1");
  return n;
}

// ---- journal

export interface EntryRow {
  seq: number;
  id: string;
  date: string;
  memo: string | null;
  source_type: "manual" | "invoice" | "payment" | "reversal";
  source_id: string | null;
  reversal_of: string | null;
  reversed_by: string | null;
  created_at: string;
  created_by: string;
  /** Another business of the founder this manual entry is with (portfolio elimination); null otherwise. */
  counterparty_business_id: string | null;
}

export interface PostingRow {
  seq: number;
  entry_seq: number;
  account_id: string;
  date: string;
  currency: string;
  debit: number;
  credit: number;
  base_debit: number;
  base_credit: number;
}

export function insertEntry(db: Db, e: Omit<EntryRow, "seq" | "reversed_by">, lines: readonly PricedLine[]): number {
  // seq is the rowid: taken from the insert itself, one statement fewer per entry
  const { lastInsertRowid: seq } = db.run(
    "INSERT INTO journal_entries (id, date, memo, source_type, source_id, reversal_of, created_at, created_by, counterparty_business_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    e.id,
    e.date,
    e.memo,
    e.source_type,
    e.source_id,
    e.reversal_of,
    e.created_at,
    e.created_by,
    e.counterparty_business_id,
  );
  // each posting's account and day are added to ledger_daily by ledger-totals.ts, once per commit
  for (const l of lines) {
    db.run(
      "INSERT INTO postings (entry_seq, account_id, date, currency, debit, credit, base_debit, base_credit) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      seq,
      l.accountId,
      e.date,
      l.currency,
      Number(l.debit),
      Number(l.credit),
      Number(l.baseDebit),
      Number(l.baseCredit),
    );
  }
  return seq;
}

export const markReversed = (db: Db, entryId: string, reversalId: string) =>
  db.run("UPDATE journal_entries SET reversed_by = ? WHERE id = ? AND reversed_by IS NULL", reversalId, entryId);

export const findEntry = (db: Db, id: string) => db.get<EntryRow>("SELECT * FROM journal_entries WHERE id = ?", id);

export const entryPostings = (db: Db, entrySeq: number) =>
  db.all<PostingRow>("SELECT * FROM postings WHERE entry_seq = ? ORDER BY seq", entrySeq);

/** The postings of many entries in one statement. */
export const postingsOfEntries = (db: Db, entrySeqs: number[]) =>
  db.all<PostingRow>("SELECT * FROM postings WHERE entry_seq IN (SELECT value FROM json_each(?)) ORDER BY seq", JSON.stringify(entrySeqs));

export function listEntries(
  db: Db,
  f: { afterDate: string; afterSeq: number; limit: number; from: string; to: string; accountId?: string; source?: string },
): EntryRow[] {
  const keyset = "(e.date > ? OR (e.date = ? AND e.seq > ?)) AND e.date >= ? AND e.date <= ?";
  const params = [f.afterDate, f.afterDate, f.afterSeq, f.from, f.to] as const;
  if (f.accountId) {
    // walk the account's postings in index order (account, date, seq); posting and entry sequences rise
    // together, so this is also (date, entry) order, and an entry with several lines on the account
    // appears once
    return db.all<EntryRow>(
      `SELECT DISTINCT e.* FROM postings p JOIN journal_entries e ON e.seq = p.entry_seq
        WHERE p.account_id = ? AND (p.date > ? OR (p.date = ? AND p.entry_seq > ?)) AND p.date >= ? AND p.date <= ?
          AND (? IS NULL OR e.source_type = ?)
        ORDER BY p.date, p.seq LIMIT ?`,
      f.accountId,
      ...params,
      f.source ?? null,
      f.source ?? null,
      f.limit,
    );
  }
  if (f.source) {
    return db.all<EntryRow>(
      `SELECT e.* FROM journal_entries e WHERE e.source_type = ? AND ${keyset} ORDER BY e.date, e.seq LIMIT ?`,
      f.source,
      ...params,
      f.limit,
    );
  }
  return db.all<EntryRow>(`SELECT e.* FROM journal_entries e WHERE ${keyset} ORDER BY e.date, e.seq LIMIT ?`, ...params, f.limit);
}

export interface LedgerRowDb extends PostingRow {
  entry_id: string;
  memo: string | null;
}

export const accountLedger = (db: Db, f: { accountId: string; afterDate: string; afterSeq: number; to: string; limit: number }) =>
  db.all<LedgerRowDb>(
    `SELECT p.*, e.id AS entry_id, e.memo FROM postings p JOIN journal_entries e ON e.seq = p.entry_seq
      WHERE p.account_id = ? AND (p.date > ? OR (p.date = ? AND p.seq > ?)) AND p.date <= ?
      ORDER BY p.date, p.seq LIMIT ?`,
    f.accountId,
    f.afterDate,
    f.afterDate,
    f.afterSeq,
    f.to,
    f.limit,
  );

/** Σ(base debit − base credit) of an account's postings strictly before (date, seq). */
export const accountBalanceBefore = (db: Db, accountId: string, date: string, seq: number) =>
  db.get<{ b: number }>(
    "SELECT COALESCE(SUM(base_debit - base_credit), 0) AS b FROM postings WHERE account_id = ? AND (date < ? OR (date = ? AND seq <= ?))",
    accountId,
    date,
    date,
    seq,
  )!.b;

// ---- totals for reports (from the cached daily totals)

export interface AccountTotalsRow {
  account_id: string;
  debit: number;
  credit: number;
}

export const baseTotalsAsOf = (db: Db, asOf: string) =>
  db.all<AccountTotalsRow>(
    "SELECT account_id, SUM(base_debit) AS debit, SUM(base_credit) AS credit FROM ledger_daily WHERE date <= ? GROUP BY account_id",
    asOf,
  );

export const baseTotalsBefore = (db: Db, date: string) =>
  db.all<AccountTotalsRow>(
    "SELECT account_id, SUM(base_debit) AS debit, SUM(base_credit) AS credit FROM ledger_daily WHERE date < ? GROUP BY account_id",
    date,
  );

export const baseTotalsBetween = (db: Db, from: string, to: string) =>
  db.all<AccountTotalsRow>(
    "SELECT account_id, SUM(base_debit) AS debit, SUM(base_credit) AS credit FROM ledger_daily WHERE date >= ? AND date <= ? GROUP BY account_id",
    from,
    to,
  );

// ---- exchange rates

export interface RateRow {
  currency: string;
  date: string;
  rate: string;
  created_at: string;
  updated_at: string;
}

export const rateOn = (db: Db, currency: string, date: string) =>
  db.get<RateRow>("SELECT * FROM exchange_rates WHERE currency = ? AND date <= ? ORDER BY date DESC LIMIT 1", currency, date);

export const findRate = (db: Db, currency: string, date: string) =>
  db.get<RateRow>("SELECT * FROM exchange_rates WHERE currency = ? AND date = ?", currency, date);

export function upsertRate(db: Db, r: RateRow): void {
  db.run(
    `INSERT INTO exchange_rates (currency, date, rate, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (currency, date) DO UPDATE SET rate = excluded.rate, updated_at = excluded.updated_at`,
    r.currency,
    r.date,
    r.rate,
    r.created_at,
    r.updated_at,
  );
}

export const listRates = (db: Db, f: { afterCurrency: string; afterDate: string; currency?: string; from: string; to: string; limit: number }) =>
  db.all<RateRow>(
    `SELECT * FROM exchange_rates
      WHERE (currency > ? OR (currency = ? AND date > ?)) AND (? IS NULL OR currency = ?) AND date >= ? AND date <= ?
      ORDER BY currency, date LIMIT ?`,
    f.afterCurrency,
    f.afterCurrency,
    f.afterDate,
    f.currency ?? null,
    f.currency ?? null,
    f.from,
    f.to,
    f.limit,
  );

// ---- invoices

export interface InvoiceRow {
  id: string;
  number: string | null;
  customer_id: string;
  currency: string;
  issue_date: string;
  due_date: string;
  memo: string | null;
  state: "draft" | "issued" | "void";
  subtotal: number;
  tax_total: number;
  total: number;
  amount_paid: number;
  exchange_rate: string | null;
  base_total: number | null;
  base_cleared: number;
  issue_entry_id: string | null;
  void_entry_id: string | null;
  voided_on: string | null;
  issued_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface InvoiceLineRow {
  invoice_id: string;
  line_no: number;
  description: string;
  quantity: string;
  unit_price: number;
  tax_rate: string;
  net: number;
  tax: number;
}

/**
 * The invoices of each open database last read or written here, by id: a payment reads its invoice and
 * writes it back, so the next payment on it reads nothing. Only insertInvoice, setInvoicePaid and
 * updateInvoice below change an invoice (forgotten on any rollback, as a ConnectionMemo is); the
 * RECENT_INVOICES most recently used are kept. Rows are shared: callers never change one in place.
 */
const recentInvoices = new ConnectionMemo<Map<string, InvoiceRow>>();
const RECENT_INVOICES = 64;

function keepInvoice(db: Db, row: InvoiceRow): InvoiceRow {
  const kept = recentInvoices.get(db.connection) ?? recentInvoices.set(db.connection, new Map());
  kept.delete(row.id);
  kept.set(row.id, row);
  if (kept.size > RECENT_INVOICES) kept.delete(kept.keys().next().value as string);
  return row;
}

export function findInvoice(db: Db, id: string): InvoiceRow | undefined {
  const kept = recentInvoices.get(db.connection)?.get(id);
  if (kept) return kept;
  const row = db.get<InvoiceRow>("SELECT * FROM invoices WHERE id = ?", id);
  return row && keepInvoice(db, row);
}
export const invoiceLines = (db: Db, id: string) =>
  db.all<InvoiceLineRow>("SELECT * FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no", id);
export const linesOfInvoices = (db: Db, ids: string[]) =>
  db.all<InvoiceLineRow>(
    "SELECT * FROM invoice_lines WHERE invoice_id IN (SELECT value FROM json_each(?)) ORDER BY invoice_id, line_no",
    JSON.stringify(ids),
  );

export function insertInvoice(db: Db, i: InvoiceRow): void {
  db.run(
    `INSERT INTO invoices (id, number, customer_id, currency, issue_date, due_date, memo, state, subtotal, tax_total, total, amount_paid,
       exchange_rate, base_total, base_cleared, issue_entry_id, void_entry_id, voided_on, issued_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    i.id,
    i.number,
    i.customer_id,
    i.currency,
    i.issue_date,
    i.due_date,
    i.memo,
    i.state,
    i.subtotal,
    i.tax_total,
    i.total,
    i.amount_paid,
    i.exchange_rate,
    i.base_total,
    i.base_cleared,
    i.issue_entry_id,
    i.void_entry_id,
    i.voided_on,
    i.issued_at,
    i.created_at,
    i.updated_at,
  );
  keepInvoice(db, { ...i });
}

/** A payment or its void: only these columns change, so none of the invoice's indexes is rewritten. */
export function setInvoicePaid(db: Db, i: Pick<InvoiceRow, "id" | "amount_paid" | "base_cleared" | "updated_at">): void {
  db.run("UPDATE invoices SET amount_paid = ?, base_cleared = ?, updated_at = ? WHERE id = ?", i.amount_paid, i.base_cleared, i.updated_at, i.id);
  const kept = recentInvoices.get(db.connection)?.get(i.id);
  if (!kept) return;
  // a copy whose fields are then set, not a spread followed by more fields (decision 0009)
  const paid = { ...kept };
  paid.amount_paid = i.amount_paid;
  paid.base_cleared = i.base_cleared;
  paid.updated_at = i.updated_at;
  keepInvoice(db, paid);
}

export function updateInvoice(db: Db, i: InvoiceRow): void {
  db.run(
    `UPDATE invoices SET number = ?, customer_id = ?, currency = ?, issue_date = ?, due_date = ?, memo = ?, state = ?, subtotal = ?,
       tax_total = ?, total = ?, amount_paid = ?, exchange_rate = ?, base_total = ?, base_cleared = ?, issue_entry_id = ?,
       void_entry_id = ?, voided_on = ?, issued_at = ?, updated_at = ? WHERE id = ?`,
    i.number,
    i.customer_id,
    i.currency,
    i.issue_date,
    i.due_date,
    i.memo,
    i.state,
    i.subtotal,
    i.tax_total,
    i.total,
    i.amount_paid,
    i.exchange_rate,
    i.base_total,
    i.base_cleared,
    i.issue_entry_id,
    i.void_entry_id,
    i.voided_on,
    i.issued_at,
    i.updated_at,
    i.id,
  );
  keepInvoice(db, { ...i });
}

export function replaceInvoiceLines(db: Db, invoiceId: string, lines: Omit<InvoiceLineRow, "invoice_id" | "line_no">[]): void {
  db.run("DELETE FROM invoice_lines WHERE invoice_id = ?", invoiceId);
  lines.forEach((l, i) => {
    db.run(
      "INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit_price, tax_rate, net, tax) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      invoiceId,
      i + 1,
      l.description,
      l.quantity,
      l.unit_price,
      l.tax_rate,
      l.net,
      l.tax,
    );
  });
}

/** The status filter in SQL terms; `today` decides overdue. */
const STATUS_SQL: Record<string, string> = {
  draft: "state = 'draft'",
  void: "state = 'void'",
  issued: "state = 'issued' AND amount_paid = 0",
  partially_paid: "state = 'issued' AND amount_paid > 0 AND amount_paid < total",
  paid: "state = 'issued' AND amount_paid = total",
  overdue: "state = 'issued' AND amount_paid < total AND due_date < ?",
};

export function listInvoices(db: Db, f: { after: string; limit: number; status?: string; customerId?: string; today: string }): InvoiceRow[] {
  const where = ["id > ?"];
  const params: (string | number)[] = [f.after];
  if (f.status) {
    where.push(STATUS_SQL[f.status]!);
    if (f.status === "overdue") params.push(f.today);
  }
  if (f.customerId) {
    where.push("customer_id = ?");
    params.push(f.customerId);
  }
  return db.all<InvoiceRow>(`SELECT * FROM invoices WHERE ${where.join(" AND ")} ORDER BY id LIMIT ?`, ...params, f.limit);
}

/**
 * Issued invoices as of a date, with what had been paid on them by then and the base amount those
 * payments cleared from the receivable (payments voided later still count).
 */
export const invoicesOutstandingAsOf = (db: Db, asOf: string) =>
  db.all<InvoiceRow & { paid_as_of: number; cleared_as_of: number }>(
    `SELECT i.*, (SELECT COALESCE(SUM(p.amount), 0) FROM payments p
                   WHERE p.invoice_id = i.id AND p.date <= ? AND (p.voided_on IS NULL OR p.voided_on > ?)) AS paid_as_of,
                 (SELECT COALESCE(SUM(p.base_cleared), 0) FROM payments p
                   WHERE p.invoice_id = i.id AND p.date <= ? AND (p.voided_on IS NULL OR p.voided_on > ?)) AS cleared_as_of
       FROM invoices i
      WHERE i.issue_entry_id IS NOT NULL AND i.issue_date <= ? AND (i.voided_on IS NULL OR i.voided_on > ?)`,
    asOf,
    asOf,
    asOf,
    asOf,
    asOf,
    asOf,
  );

// ---- payments

export interface PaymentRow {
  id: string;
  invoice_id: string;
  account_id: string;
  amount: number;
  currency: string;
  date: string;
  exchange_rate: string;
  base_amount: number;
  base_cleared: number;
  entry_id: string;
  void_entry_id: string | null;
  voided_on: string | null;
  created_at: string;
}

export const findPayment = (db: Db, id: string) => db.get<PaymentRow>("SELECT * FROM payments WHERE id = ?", id);

export function insertPayment(db: Db, p: PaymentRow): void {
  db.run(
    `INSERT INTO payments (id, invoice_id, account_id, amount, currency, date, exchange_rate, base_amount, base_cleared, entry_id, void_entry_id, voided_on, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    p.id,
    p.invoice_id,
    p.account_id,
    p.amount,
    p.currency,
    p.date,
    p.exchange_rate,
    p.base_amount,
    p.base_cleared,
    p.entry_id,
    p.void_entry_id,
    p.voided_on,
    p.created_at,
  );
}

export const markPaymentVoid = (db: Db, id: string, entryId: string, on: string) =>
  db.run("UPDATE payments SET void_entry_id = ?, voided_on = ? WHERE id = ? AND void_entry_id IS NULL", entryId, on, id);

/** The date of the latest void among an invoice's payments (null: none voided). */
export const lastPaymentVoidDate = (db: Db, invoiceId: string) =>
  db.get<{ d: string | null }>("SELECT MAX(voided_on) AS d FROM payments WHERE invoice_id = ?", invoiceId)!.d;

export function listPayments(db: Db, f: { after: string; limit: number; invoiceId?: string }): PaymentRow[] {
  if (f.invoiceId) {
    return db.all<PaymentRow>("SELECT * FROM payments WHERE invoice_id = ? AND id > ? ORDER BY id LIMIT ?", f.invoiceId, f.after, f.limit);
  }
  return db.all<PaymentRow>("SELECT * FROM payments WHERE id > ? ORDER BY id LIMIT ?", f.after, f.limit);
}

// ---- customers (CRM companies of this business)

/** The one place finance looks at the CRM: does this company exist in this business's database? */
export const customerExists = (db: Db, id: string) =>
  db.get<{ n: number }>("SELECT EXISTS (SELECT 1 FROM companies WHERE id = ?) AS n", id)!.n === 1;

/** How many invoices, of any status, name this company as their customer (the CRM asks before deleting it). */
export const invoicesOfCustomer = (db: Db, id: string) =>
  db.get<{ n: number }>("SELECT COUNT(*) AS n FROM invoices WHERE customer_id = ?", id)!.n;

export const customerNames = (db: Db, ids: string[]) =>
  db.all<{ id: string; name: string }>("SELECT id, name FROM companies WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
