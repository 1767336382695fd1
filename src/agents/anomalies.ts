/**
 * Anomaly detection over journal entries and payments, pure: each flag carries its explanation.
 * Amounts are base-currency minor units.
 */

export interface EntryLine {
  accountId: string;
  accountName: string;
  debit: number;
  credit: number;
}

export interface Entry {
  id: string;
  date: string; // YYYY-MM-DD
  memo: string | null;
  sourceType: string; // manual | invoice | payment | reversal
  reversed: boolean;
  lines: EntryLine[];
}

export interface Payment {
  id: string;
  date: string;
  customerId: string;
  customerName: string | null;
  amount: number; // base minor units
}

export interface Flag {
  kind: "unusual_amount" | "duplicate" | "weekend" | "round_amount" | "first_time_counterparty";
  subjectType: "journal_entry" | "payment";
  subjectId: string;
  date: string;
  amount: number;
  explanation: string;
}

const MIN_HISTORY_PER_ACCOUNT = 8;
const Z_LIMIT = 3.5;
const DUPLICATE_WINDOW_DAYS = 3;

export const entryAmount = (e: Entry) => e.lines.reduce((s, l) => s + l.debit, 0);

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Modified z-score (Iglewicz & Hoaglin): robust to the outliers it looks for. */
export function robustZ(x: number, values: number[]): number | undefined {
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  if (mad === 0) return undefined;
  return (0.6745 * (x - m)) / mad;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const days = (a: string, b: string) => Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / 86_400_000;
const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();
const money = (minor: number, exponent: number) => (minor / 10 ** exponent).toFixed(exponent);

/** `exponent` is the base currency's; `recent` limits flags to entries dated on or after it (older ones are history). */
export function detectAnomalies(entries: Entry[], payments: Payment[], exponent: number, recentFrom: string): Flag[] {
  const flags: Flag[] = [];
  const live = entries.filter((e) => e.sourceType !== "reversal" && !e.reversed);
  const recent = live.filter((e) => e.date >= recentFrom);

  // 1. unusual amounts per account, against that account's own history
  const perAccount = new Map<string, number[]>();
  for (const e of live) for (const l of e.lines) push(perAccount, l.accountId, l.debit + l.credit);
  for (const e of recent) {
    for (const l of e.lines) {
      const history = perAccount.get(l.accountId) ?? [];
      if (history.length < MIN_HISTORY_PER_ACCOUNT) continue;
      const amount = l.debit + l.credit;
      const z = robustZ(amount, history);
      if (z !== undefined && Math.abs(z) > Z_LIMIT) {
        flags.push({
          kind: "unusual_amount",
          subjectType: "journal_entry",
          subjectId: e.id,
          date: e.date,
          amount,
          explanation: `${money(amount, exponent)} on ${l.accountName} is far from its usual ${money(median(history), exponent)} (robust z-score ${z.toFixed(1)} over ${history.length} postings).`,
        });
        break; // one flag per entry, for its first unusual line
      }
    }
  }

  // 2. duplicates: the same accounts and amounts within a few days
  const signature = (e: Entry) =>
    e.lines
      .map((l) => `${l.accountId}:${l.debit}:${l.credit}`)
      .sort()
      .join("|");
  const bySignature = new Map<string, Entry[]>();
  for (const e of live) push(bySignature, signature(e), e);
  for (const e of recent) {
    const twin = (bySignature.get(signature(e)) ?? []).find((o) => o.id < e.id && days(o.date, e.date) <= DUPLICATE_WINDOW_DAYS);
    if (twin) {
      flags.push({
        kind: "duplicate",
        subjectType: "journal_entry",
        subjectId: e.id,
        date: e.date,
        amount: entryAmount(e),
        explanation: `Same accounts and amounts as entry ${twin.id} of ${twin.date}: a possible duplicate.`,
      });
    }
  }

  // 3. weekend postings, when the business rarely posts on weekends
  const weekendShare = live.length === 0 ? 0 : live.filter((e) => [0, 6].includes(weekday(e.date))).length / live.length;
  if (weekendShare < 0.1) {
    for (const e of recent) {
      if (e.sourceType === "manual" && [0, 6].includes(weekday(e.date))) {
        flags.push({
          kind: "weekend",
          subjectType: "journal_entry",
          subjectId: e.id,
          date: e.date,
          amount: entryAmount(e),
          explanation: `Dated on a ${weekday(e.date) === 0 ? "Sunday" : "Saturday"}; only ${(weekendShare * 100).toFixed(0)}% of this business's entries are.`,
        });
      }
    }
  }

  // 4. round amounts on manual entries (estimates and made-up figures tend to be round)
  const thousand = 1000 * 10 ** exponent;
  for (const e of recent) {
    const amount = entryAmount(e);
    if (e.sourceType === "manual" && amount >= thousand && amount % thousand === 0) {
      flags.push({
        kind: "round_amount",
        subjectType: "journal_entry",
        subjectId: e.id,
        date: e.date,
        amount,
        explanation: `A manual entry of exactly ${money(amount, exponent)}, a round thousand.`,
      });
    }
  }

  // 5. first payment from a customer, larger than the business's typical payment
  const sorted = [...payments].sort((a, b) => a.date.localeCompare(b.date) || a.id.localeCompare(b.id));
  const typical = sorted.length > 0 ? median(sorted.map((p) => p.amount)) : 0;
  const seenCustomers = new Set<string>();
  for (const p of sorted) {
    const first = !seenCustomers.has(p.customerId);
    seenCustomers.add(p.customerId);
    if (first && p.date >= recentFrom && sorted.length >= 5 && p.amount > 2 * typical) {
      flags.push({
        kind: "first_time_counterparty",
        subjectType: "payment",
        subjectId: p.id,
        date: p.date,
        amount: p.amount,
        explanation: `The first payment from ${p.customerName ?? p.customerId}, ${money(p.amount, exponent)}, over twice the typical payment of ${money(typical, exponent)}.`,
      });
    }
  }
  return flags;
}
