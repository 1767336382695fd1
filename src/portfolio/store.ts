import { idFloor } from "../crm/lists.js";
import type { Db } from "../platform/sql.js";

/** SQL of the portfolio: the user's rate table (core database) and one count (business database). */

export interface UserRateRow {
  user_id: string;
  base: string;
  quote: string;
  date: string;
  rate: string;
  created_at: string;
  updated_at: string;
}

export const findUserRate = (core: Db, userId: string, base: string, quote: string, date: string) =>
  core.get<UserRateRow>("SELECT * FROM user_exchange_rates WHERE user_id = ? AND base = ? AND quote = ? AND date = ?", userId, base, quote, date);

export function upsertUserRate(core: Db, r: UserRateRow): void {
  core.run(
    `INSERT INTO user_exchange_rates (user_id, base, quote, date, rate, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id, base, quote, date) DO UPDATE SET rate = excluded.rate, updated_at = excluded.updated_at`,
    r.user_id,
    r.base,
    r.quote,
    r.date,
    r.rate,
    r.created_at,
    r.updated_at,
  );
}

/** The newest rate of a pair on or before a date. */
export const userRateOn = (core: Db, userId: string, base: string, quote: string, date: string) =>
  core.get<UserRateRow>(
    "SELECT * FROM user_exchange_rates WHERE user_id = ? AND base = ? AND quote = ? AND date <= ? ORDER BY date DESC LIMIT 1",
    userId,
    base,
    quote,
    date,
  );

export function listUserRates(
  core: Db,
  f: { userId: string; after: [string, string, string] | undefined; base?: string; quote?: string; from?: string; to?: string; limit: number },
): UserRateRow[] {
  const where = ["user_id = ?"];
  const params: string[] = [f.userId];
  if (f.after) {
    const [b, q, d] = f.after;
    where.push("(base > ? OR (base = ? AND (quote > ? OR (quote = ? AND date > ?))))");
    params.push(b, b, q, q, d);
  }
  if (f.base !== undefined) {
    where.push("base = ?");
    params.push(f.base);
  }
  if (f.quote !== undefined) {
    where.push("quote = ?");
    params.push(f.quote);
  }
  if (f.from !== undefined) {
    where.push("date >= ?");
    params.push(f.from);
  }
  if (f.to !== undefined) {
    where.push("date <= ?");
    params.push(f.to);
  }
  return core.all<UserRateRow>(`SELECT * FROM user_exchange_rates WHERE ${where.join(" AND ")} ORDER BY base, quote, date LIMIT ?`, ...params, f.limit);
}

/** Leads created from `fromIso` on (ids sort by creation time, so this reads the id index). */
export const leadsCreatedSince = (db: Db, fromIso: string) =>
  db.get<{ n: number }>("SELECT count(*) AS n FROM leads WHERE id >= ?", idFloor("led", fromIso))!.n;

/** The pair's rates dated in (after, to], oldest first (bounded by the days of a statement's period). */
export const userRatesBetween = (core: Db, userId: string, base: string, quote: string, after: string, to: string) =>
  core.all<UserRateRow>(
    "SELECT * FROM user_exchange_rates WHERE user_id = ? AND base = ? AND quote = ? AND date > ? AND date <= ? ORDER BY date",
    userId,
    base,
    quote,
    after,
    to,
  );

export interface IntercompanyTotalsRow {
  counterparty: string;
  type: string;
  system_key: string | null;
  debit: number;
  credit: number;
}

/**
 * Base-currency totals per counterparty business and account kind of the entries marked inter-company,
 * dated in [from, to]: the issue, void and payment entries of invoices to a company linked to another
 * business, and manual entries naming a counterparty business with their reversals.
 */
export const intercompanyTotals = (db: Db, from: string, to: string) =>
  db.all<IntercompanyTotalsRow>(
    `WITH inv AS (
       SELECT i.id, c.linked_business_id AS counterparty, i.issue_entry_id, i.void_entry_id
         FROM companies c JOIN invoices i ON i.customer_id = c.id
        WHERE c.linked_business_id IS NOT NULL),
     marked (entry_id, counterparty) AS (
       SELECT issue_entry_id, counterparty FROM inv WHERE issue_entry_id IS NOT NULL
       UNION ALL SELECT void_entry_id, counterparty FROM inv WHERE void_entry_id IS NOT NULL
       UNION ALL SELECT p.entry_id, inv.counterparty FROM inv JOIN payments p ON p.invoice_id = inv.id
       UNION ALL SELECT p.void_entry_id, inv.counterparty FROM inv JOIN payments p ON p.invoice_id = inv.id WHERE p.void_entry_id IS NOT NULL
       UNION ALL SELECT id, counterparty_business_id FROM journal_entries WHERE counterparty_business_id IS NOT NULL
       UNION ALL SELECT r.id, e.counterparty_business_id FROM journal_entries e JOIN journal_entries r ON r.id = e.reversed_by
                  WHERE e.counterparty_business_id IS NOT NULL)
     SELECT m.counterparty, a.type, a.system_key, SUM(p.base_debit) AS debit, SUM(p.base_credit) AS credit
       FROM marked m JOIN journal_entries e ON e.id = m.entry_id JOIN postings p ON p.entry_seq = e.seq JOIN accounts a ON a.id = p.account_id
      WHERE p.date >= ? AND p.date <= ?
      GROUP BY m.counterparty, a.type, a.system_key`,
    from,
    to,
  );
