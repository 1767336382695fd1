import type { BusinessScope } from "../http/context.js";
import { AGING_BUCKETS, type AgingBucket, agingBucket } from "./ledger.js";
import * as store from "./store.js";

/**
 * Financial statements, computed from the ledger's cached daily totals per account (which the posting
 * transaction keeps equal to the postings; the tests prove it). Everything is in the base currency.
 */

interface AccountNet {
  account: store.AccountRow;
  debit: number;
  credit: number;
}

function withAccounts(scope: BusinessScope, totals: store.AccountTotalsRow[]): AccountNet[] {
  const accounts = new Map(store.allAccounts(scope.db).map((a) => [a.id, a]));
  return totals
    .map((t) => ({ account: accounts.get(t.account_id)!, debit: t.debit, credit: t.credit }))
    .filter((t) => t.account !== undefined)
    .sort((a, b) => (a.account.code < b.account.code ? -1 : a.account.code > b.account.code ? 1 : 0));
}

const ref = (a: store.AccountRow) => ({ accountId: a.id, code: a.code, name: a.name, type: a.type });

export function trialBalance(scope: BusinessScope, asOf: string) {
  const rows = withAccounts(scope, store.baseTotalsAsOf(scope.db, asOf));
  let debit = 0;
  let credit = 0;
  const accounts = rows
    .filter((r) => r.debit !== r.credit)
    .map((r) => {
      const net = r.debit - r.credit;
      const line = { ...ref(r.account), debit: Math.max(net, 0), credit: Math.max(-net, 0) };
      debit += line.debit;
      credit += line.credit;
      return line;
    });
  return { asOf, currency: scope.baseCurrency, accounts, totals: { debit, credit } };
}

export function profitAndLoss(scope: BusinessScope, from: string, to: string) {
  const rows = withAccounts(scope, store.baseTotalsBetween(scope.db, from, to));
  const revenue = rows.filter((r) => r.account.type === "revenue").map((r) => ({ ...ref(r.account), amount: r.credit - r.debit }));
  const expenses = rows.filter((r) => r.account.type === "expense").map((r) => ({ ...ref(r.account), amount: r.debit - r.credit }));
  const totalRevenue = revenue.reduce((s, r) => s + r.amount, 0);
  const totalExpenses = expenses.reduce((s, r) => s + r.amount, 0);
  return {
    from,
    to,
    currency: scope.baseCurrency,
    revenue,
    expenses,
    totals: { revenue: totalRevenue, expenses: totalExpenses, netIncome: totalRevenue - totalExpenses },
  };
}

export function balanceSheet(scope: BusinessScope, asOf: string) {
  const rows = withAccounts(scope, store.baseTotalsAsOf(scope.db, asOf));
  const side = (type: string, debitNormal: boolean) =>
    rows.filter((r) => r.account.type === type).map((r) => ({ ...ref(r.account), amount: debitNormal ? r.debit - r.credit : r.credit - r.debit }));
  const sum = (lines: { amount: number }[]) => lines.reduce((s, l) => s + l.amount, 0);
  const assets = side("asset", true);
  const liabilities = side("liability", false);
  const equity = side("equity", false);
  const currentEarnings = sum(side("revenue", false)) - sum(side("expense", true));
  const totals = {
    assets: sum(assets),
    liabilities: sum(liabilities),
    equity: sum(equity) + currentEarnings,
    liabilitiesAndEquity: sum(liabilities) + sum(equity) + currentEarnings,
  };
  return { asOf, currency: scope.baseCurrency, assets, liabilities, equity, currentEarnings, totals, balanced: totals.assets === totals.liabilitiesAndEquity };
}

/**
 * The general ledger summarised per account for a period: opening balance, the period's debits and
 * credits, and the closing balance (balances positive on the account's normal side). The postings
 * themselves, with running balances, are at GET /accounts/{accountId}/ledger.
 */
export function generalLedger(scope: BusinessScope, from: string, to: string) {
  const opening = new Map(store.baseTotalsBefore(scope.db, from).map((t) => [t.account_id, t]));
  const period = new Map(store.baseTotalsBetween(scope.db, from, to).map((t) => [t.account_id, t]));
  let debit = 0;
  let credit = 0;
  const accounts = store
    .allAccounts(scope.db)
    .filter((a) => opening.has(a.id) || period.has(a.id))
    .map((a) => {
      const sign = a.type === "asset" || a.type === "expense" ? 1 : -1;
      const o = opening.get(a.id);
      const p = period.get(a.id);
      const openingBalance = o ? sign * (o.debit - o.credit) : 0;
      const line = { ...ref(a), opening: openingBalance + 0, debit: p?.debit ?? 0, credit: p?.credit ?? 0, closing: 0 };
      line.closing = openingBalance + sign * (line.debit - line.credit) + 0;
      debit += line.debit;
      credit += line.credit;
      return line;
    });
  return { from, to, currency: scope.baseCurrency, accounts, totals: { debit, credit } };
}

type Buckets = Record<AgingBucket | "total", number>;
const emptyBuckets = (): Buckets => ({ current: 0, days1to30: 0, days31to60: 0, days61to90: 0, days90plus: 0, total: 0 });

/**
 * What customers owed on a date, by how late it was: invoices issued and not void on that date, less
 * the payments made (and not voided) by then; in the base currency, the invoice's base total less what
 * those payments cleared, so each invoice shows what the ledger's receivable holds for it.
 */
export function arAging(scope: BusinessScope, asOf: string) {
  const perCustomer = new Map<string, Buckets & { invoices: number }>();
  const totals = emptyBuckets();
  for (const inv of store.invoicesOutstandingAsOf(scope.db, asOf)) {
    const due = inv.total - inv.paid_as_of;
    if (due <= 0) continue;
    // what the ledger's receivable still holds for it: the base total less what its payments cleared
    const base = inv.base_total! - inv.cleared_as_of;
    const bucket = agingBucket(inv.due_date, asOf);
    const c = perCustomer.get(inv.customer_id) ?? { ...emptyBuckets(), invoices: 0 };
    c[bucket] += base;
    c.total += base;
    c.invoices += 1;
    totals[bucket] += base;
    totals.total += base;
    perCustomer.set(inv.customer_id, c);
  }
  const ids = [...perCustomer.keys()].sort();
  const names = new Map(store.customerNames(scope.db, ids).map((c) => [c.id, c.name]));
  return {
    asOf,
    currency: scope.baseCurrency,
    customers: ids.map((customerId) => {
      const c = perCustomer.get(customerId)!;
      return {
        customerId,
        customerName: names.get(customerId) ?? null,
        invoices: c.invoices,
        ...Object.fromEntries(AGING_BUCKETS.map((b) => [b, c[b]])),
        total: c.total,
      } as { customerId: string; customerName: string | null; invoices: number } & Buckets;
    }),
    totals,
  };
}
