import { allocate, convert, type Decimal, lineAmounts, parseDecimal } from "./money.js";

/**
 * The ledger's rules as pure functions: what makes a journal entry balanced, how its base-currency
 * amounts are derived, invoice totals, and aging buckets. No I/O here.
 */

export type AccountType = "asset" | "liability" | "equity" | "revenue" | "expense";
export const ACCOUNT_TYPES = ["asset", "liability", "equity", "revenue", "expense"] as const;

/** Assets and expenses grow with debits; liabilities, equity and revenue with credits. */
export const debitNormal = (type: AccountType): boolean => type === "asset" || type === "expense";

/** A line as entered: a transaction amount on one side. */
export interface EntryLine {
  accountId: string;
  currency: string;
  debit: bigint;
  credit: bigint;
}

/** A line with its base-currency amount, ready to post. */
export interface PricedLine extends EntryLine {
  baseDebit: bigint;
  baseCredit: bigint;
}

export interface Imbalance {
  currency: string;
  debit: bigint;
  credit: bigint;
}

/** Per currency, Σ debits − Σ credits of the transaction amounts; only the unbalanced ones. */
export function imbalances(lines: readonly EntryLine[]): Imbalance[] {
  const totals = new Map<string, Imbalance>();
  for (const line of lines) {
    const t = totals.get(line.currency) ?? { currency: line.currency, debit: 0n, credit: 0n };
    t.debit += line.debit;
    t.credit += line.credit;
    totals.set(line.currency, t);
  }
  return [...totals.values()].filter((t) => t.debit !== t.credit);
}

/**
 * Base amounts for balanced lines: a base-currency group is taken as is; a foreign group's total is
 * converted once at its rate and allocated over its debit lines and over its credit lines, so every
 * group — and therefore the entry — balances exactly in the base currency too.
 */
export function priceLines(lines: readonly EntryLine[], baseCurrency: string, rateOf: (currency: string) => Decimal): PricedLine[] {
  // every field named: `{ ...l, baseDebit, baseCredit }` is promoted by V8 (decision 0009)
  const priced: PricedLine[] = lines.map((l) => ({
    accountId: l.accountId,
    currency: l.currency,
    debit: l.debit,
    credit: l.credit,
    baseDebit: l.debit,
    baseCredit: l.credit,
  }));
  const groups = new Map<string, number[]>();
  lines.forEach((l, i) => {
    if (l.currency !== baseCurrency) groups.set(l.currency, [...(groups.get(l.currency) ?? []), i]);
  });
  for (const [currency, indexes] of groups) {
    const total = indexes.reduce((sum, i) => sum + lines[i]!.debit, 0n);
    if (total === 0n) {
      for (const i of indexes) {
        priced[i]!.baseDebit = 0n;
        priced[i]!.baseCredit = 0n;
      }
      continue;
    }
    const baseTotal = convert(total, currency, baseCurrency, rateOf(currency));
    for (const side of ["debit", "credit"] as const) {
      const sideIndexes = indexes.filter((i) => lines[i]![side] > 0n);
      const parts = allocate(baseTotal, sideIndexes.map((i) => lines[i]![side]));
      const zeroIndexes = indexes.filter((i) => lines[i]![side] === 0n);
      sideIndexes.forEach((i, k) => {
        priced[i]![side === "debit" ? "baseDebit" : "baseCredit"] = parts[k]!;
      });
      for (const i of zeroIndexes) priced[i]![side === "debit" ? "baseDebit" : "baseCredit"] = 0n;
    }
  }
  return priced;
}

/**
 * Why a priced entry may not be posted, or an empty list: every line on exactly one side (a
 * base-only adjustment line carries no transaction amount), amounts never negative, every currency
 * balanced in transaction amounts, and the whole entry balanced in base amounts.
 */
export function entryProblems(lines: readonly PricedLine[]): string[] {
  const problems: string[] = [];
  if (lines.length < 2) problems.push("an entry needs at least two lines");
  lines.forEach((l, i) => {
    if ([l.debit, l.credit, l.baseDebit, l.baseCredit].some((v) => v < 0n)) problems.push(`line ${i}: negative amount`);
    const transactionSides = (l.debit > 0n ? 1 : 0) + (l.credit > 0n ? 1 : 0);
    const baseSides = (l.baseDebit > 0n ? 1 : 0) + (l.baseCredit > 0n ? 1 : 0);
    if (transactionSides > 1 || baseSides > 1) problems.push(`line ${i}: both a debit and a credit`);
    if (transactionSides === 0 && baseSides === 0) problems.push(`line ${i}: no amount`);
    if (l.debit > 0n && l.baseCredit > 0n) problems.push(`line ${i}: base amount on the other side`);
    if (l.credit > 0n && l.baseDebit > 0n) problems.push(`line ${i}: base amount on the other side`);
  });
  for (const off of imbalances(lines)) {
    problems.push(`${off.currency}: debits ${off.debit} ≠ credits ${off.credit}`);
  }
  const baseDebit = lines.reduce((s, l) => s + l.baseDebit, 0n);
  const baseCredit = lines.reduce((s, l) => s + l.baseCredit, 0n);
  if (baseDebit !== baseCredit) problems.push(`base currency: debits ${baseDebit} ≠ credits ${baseCredit}`);
  return problems;
}

/** The correcting entry: every line on the other side. */
export function reversed(lines: readonly PricedLine[]): PricedLine[] {
  return lines.map((l) => ({
    accountId: l.accountId,
    currency: l.currency,
    debit: l.credit,
    credit: l.debit,
    baseDebit: l.baseCredit,
    baseCredit: l.baseDebit,
  }));
}

export interface InvoiceLineInput {
  description: string;
  quantity: string;
  unitPrice: number;
  taxRate: string;
}

export interface InvoiceLineAmounts extends InvoiceLineInput {
  net: number;
  tax: number;
}

export const QUANTITY_LIMITS = { maxScale: 6, maxIntegerDigits: 9 } as const;
export const TAX_RATE_LIMITS = { maxScale: 4, maxIntegerDigits: 3 } as const;
export const RATE_LIMITS = { maxScale: 10, maxIntegerDigits: 9 } as const;

/** Lines and totals of an invoice; the rounding rule applies per line (see money.ts). */
export function invoiceAmounts(lines: readonly InvoiceLineInput[]) {
  let subtotal = 0n;
  let taxTotal = 0n;
  const priced = lines.map((line) => {
    const quantity = parseDecimal(line.quantity, QUANTITY_LIMITS);
    const rate = parseDecimal(line.taxRate, TAX_RATE_LIMITS);
    if (!quantity || !rate) throw new RangeError("quantity and taxRate must be validated before pricing");
    const { net, tax } = lineAmounts(quantity, BigInt(line.unitPrice), rate);
    subtotal += net;
    taxTotal += tax;
    return { line, net, tax };
  });
  return { lines: priced, subtotal, taxTotal, total: subtotal + taxTotal };
}

export const AGING_BUCKETS = ["current", "days1to30", "days31to60", "days61to90", "days90plus"] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

/** Whole days from one calendar date to another (YYYY-MM-DD), negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Current until the due date has passed; then 1–30, 31–60, 61–90 and over 90 days past due. */
export function agingBucket(dueDate: string, asOf: string): AgingBucket {
  const late = daysBetween(dueDate, asOf);
  if (late <= 0) return "current";
  if (late <= 30) return "days1to30";
  if (late <= 60) return "days31to60";
  if (late <= 90) return "days61to90";
  return "days90plus";
}

/** A real calendar date in YYYY-MM-DD form. */
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DD` naming a day of the proleptic Gregorian calendar (by arithmetic: every posting checks its date). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

export const today = (now = Date.now()): string => new Date(now).toISOString().slice(0, 10);
