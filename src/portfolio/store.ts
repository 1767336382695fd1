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
