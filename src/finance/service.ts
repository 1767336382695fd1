import { can } from "../businesses/roles.js";
import type { ChangeRecorder } from "../http/business-write.js";
import type { BusinessScope } from "../http/context.js";
import { linkProblem } from "../portfolio/links.js";
import { newId } from "../platform/ids.js";
import { conflict, forbidden, notFound, unprocessable } from "../platform/problem.js";
import type { Db, SqlConnection } from "../platform/sql.js";
import {
  type EntryLine,
  entryProblems,
  imbalances,
  invoiceAmounts,
  type InvoiceLineInput,
  type PricedLine,
  priceLines,
  QUANTITY_LIMITS,
  RATE_LIMITS,
  reversed,
  TAX_RATE_LIMITS,
  today,
} from "./ledger.js";
import { convert, type Decimal, formatDecimal, parseDecimal, toSafeNumber, withinLimit } from "./money.js";
import { addEntryToTotals } from "./ledger-totals.js";
import * as store from "./store.js";

/** The finance rules: accounts, the journal, exchange rates, invoices and payments. No HTTP here. */

const actorTag = (scope: BusinessScope) => `${scope.actor.type}:${scope.actor.id}`;
const ONE: Decimal = { units: 1n, scale: 0 };

// ---- accounts

export const accountView = (row: store.AccountRow) => ({
  id: row.id,
  code: row.code,
  name: row.name,
  type: row.type,
  currency: row.currency,
  description: row.description,
  systemKey: row.system_key,
  archived: row.archived_at !== null,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function requireAccount(db: Db, id: string): store.AccountRow {
  const row = store.findAccount(db, id);
  if (!row) throw notFound("No such account.");
  return row;
}

export function createAccount(
  rec: ChangeRecorder,
  input: { code: string; name: string; type: store.AccountRow["type"]; currency?: string | null; description?: string | null },
) {
  if (store.findAccountByCode(rec.db, input.code)) {
    throw conflict(`An account with code ${input.code} already exists.`, [{ path: "code", message: "already used by another account" }]);
  }
  const row: store.AccountRow = {
    id: newId("acc"),
    code: input.code,
    name: input.name,
    type: input.type,
    currency: input.currency ?? null,
    description: input.description ?? null,
    system_key: null,
    archived_at: null,
    created_at: rec.at,
    updated_at: rec.at,
  };
  store.insertAccount(rec.db, row);
  rec.record({ action: "account.created", targetType: "account", targetId: row.id, changes: { code: row.code, name: row.name, type: row.type, currency: row.currency } });
  return accountView(row);
}

export function updateAccount(
  rec: ChangeRecorder,
  id: string,
  input: { code?: string; name?: string; type?: store.AccountRow["type"]; currency?: string | null; description?: string | null; archived?: boolean },
) {
  const before = requireAccount(rec.db, id);
  const after: store.AccountRow = { ...before };
  if (input.code !== undefined) after.code = input.code;
  if (input.name !== undefined) after.name = input.name;
  if (input.type !== undefined) after.type = input.type;
  if (input.currency !== undefined) after.currency = input.currency;
  if (input.description !== undefined) after.description = input.description;
  if (input.archived !== undefined) after.archived_at = input.archived ? (before.archived_at ?? rec.at) : null;
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of ["code", "name", "type", "currency", "description", "archived_at"] as const) {
    if (before[key] !== after[key]) changes[key] = { from: before[key], to: after[key] };
  }
  if (Object.keys(changes).length === 0) return accountView(before);
  if (before.system_key && (changes.type || changes.currency || changes.archived_at)) {
    throw unprocessable(`The ${before.system_key} account is part of the standard chart the ledger posts to: its type and currency are fixed and it cannot be archived.`, [
      { path: changes.type ? "type" : changes.currency ? "currency" : "archived", message: `fixed for the standard ${before.system_key} account` },
    ]);
  }
  if ((changes.type || changes.currency) && store.accountHasPostings(rec.db, id)) {
    throw unprocessable("The account has postings: its type and currency can no longer change.", [
      { path: changes.type ? "type" : "currency", message: "account has postings" },
    ]);
  }
  if (changes.code) {
    const other = store.findAccountByCode(rec.db, after.code);
    if (other && other.id !== id) {
      throw conflict(`An account with code ${after.code} already exists.`, [{ path: "code", message: "already used by another account" }]);
    }
  }
  after.updated_at = rec.at;
  store.updateAccount(rec.db, after);
  rec.record({ action: "account.updated", targetType: "account", targetId: id, changes });
  return accountView(after);
}

export function deleteAccount(rec: ChangeRecorder, id: string): void {
  const row = requireAccount(rec.db, id);
  if (row.system_key) {
    throw unprocessable(`The ${row.system_key} account is part of the standard chart and cannot be deleted.`, [
      { path: "accountId", message: `the standard ${row.system_key} account` },
    ]);
  }
  if (store.accountHasPostings(rec.db, id) || store.accountIsUsedByPayments(rec.db, id)) {
    throw unprocessable("The account has postings and cannot be deleted; archive it instead.", [{ path: "accountId", message: "has postings" }]);
  }
  store.deleteAccount(rec.db, id);
  rec.record({ action: "account.deleted", targetType: "account", targetId: id, changes: { code: row.code, name: row.name } });
}

// ---- settings

export function settingsView(scope: BusinessScope) {
  const s = store.settings(scope.db);
  return { lockDate: s.lock_date, baseCurrency: scope.baseCurrency, nextInvoiceNumber: invoiceNumber(s.next_invoice_number) };
}

export function setLockDate(scope: BusinessScope, rec: ChangeRecorder, lockDate: string | null) {
  const before = store.settings(rec.db).lock_date;
  const reopens = before !== null && (lockDate === null || lockDate < before);
  if (reopens && !can(scope.role, "finance:reopen")) {
    throw forbidden(
      `The books are locked up to ${before}: moving the lock date earlier or clearing it reopens closed periods, which takes an owner or an admin (your role: ${scope.role}).`,
    );
  }
  if (before !== lockDate) {
    store.setLockDate(rec.db, lockDate);
    rec.record({ action: "ledger.lock_date_changed", targetType: "ledger", targetId: scope.businessId, changes: { lockDate: { from: before, to: lockDate } } });
  }
  return settingsView(scope);
}

function assertOpen(db: Db, date: string, path: string): void {
  const lock = store.lockDate(db);
  if (lock !== null && date <= lock) {
    throw unprocessable(`The books are locked up to ${lock}: nothing can be posted on or before that date.`, [{ path, message: `on or before the lock date ${lock}` }]);
  }
}

// ---- exchange rates

export function rateOf(db: Db, base: string, currency: string, date: string, path: string, override?: string | null): { rate: Decimal; text: string } {
  if (currency === base) return { rate: ONE, text: "1" };
  if (override) {
    const rate = parseDecimal(override, RATE_LIMITS)!;
    return { rate, text: formatDecimal(rate) };
  }
  const row = store.rateOn(db, currency, date);
  if (!row) {
    throw unprocessable(`No exchange rate for ${currency} on or before ${date}: add one with POST /exchange-rates, or give the rate.`, [
      { path, message: `no ${currency} rate` },
    ]);
  }
  return { rate: parseDecimal(row.rate, RATE_LIMITS)!, text: row.rate };
}

export const rateView = (base: string, row: store.RateRow) => ({
  currency: row.currency,
  date: row.date,
  rate: row.rate,
  baseCurrency: base,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function setRate(scope: BusinessScope, rec: ChangeRecorder, input: { currency: string; date: string; rate: string }) {
  if (input.currency === scope.baseCurrency) {
    throw unprocessable(`${input.currency} is the base currency: its rate is always 1.`, [{ path: "currency", message: "is the base currency" }]);
  }
  const rate = formatDecimal(parseDecimal(input.rate, RATE_LIMITS)!);
  const before = store.findRate(rec.db, input.currency, input.date);
  store.upsertRate(rec.db, { currency: input.currency, date: input.date, rate, created_at: before?.created_at ?? rec.at, updated_at: rec.at });
  rec.record({
    action: "exchange_rate.set",
    targetType: "exchange_rate",
    targetId: `${input.currency}:${input.date}`,
    changes: { rate: { from: before?.rate ?? null, to: rate } },
  });
  return rateView(scope.baseCurrency, store.findRate(rec.db, input.currency, input.date)!);
}

// ---- the journal

export interface EntryToPost {
  date: string;
  memo: string | null;
  sourceType: store.EntryRow["source_type"];
  sourceId: string | null;
  reversalOf: string | null;
  lines: PricedLine[];
  /** Manual entries only: another business of the founder (portfolio elimination). */
  counterpartyBusinessId?: string | null;
}

/**
 * An invoice's or a payment's entries are recorded (audit entry and event) in the document's own change,
 * which names the entry: one record per thing a user did, as Stripe publishes one event per API action.
 */
const postedByDocument = (source: store.EntryRow["source_type"]) => source === "invoice" || source === "payment";

/**
 * The one way anything reaches the ledger: the date must be open, every account must exist, be active
 * and accept the line's currency, and the entry must balance per currency and in the base currency.
 */
export function postEntry(
  scope: BusinessScope,
  rec: ChangeRecorder,
  entry: EntryToPost,
  datePath = "date",
  known: ReadonlyMap<string, store.AccountRow> = new Map(),
): store.EntryRow {
  const db = rec.db;
  assertOpen(db, entry.date, datePath);
  const accounts = new Map<string, store.AccountRow | undefined>(known);
  entry.lines.forEach((line, i) => {
    if (!accounts.has(line.accountId)) accounts.set(line.accountId, store.findAccount(db, line.accountId));
    const account = accounts.get(line.accountId);
    if (!account) throw unprocessable("No such account.", [{ path: `lines.${i}.accountId`, message: "no such account" }]);
    if (account.archived_at) throw unprocessable(`Account ${account.code} is archived.`, [{ path: `lines.${i}.accountId`, message: "archived" }]);
    const transactional = line.debit > 0n || line.credit > 0n;
    if (transactional && account.currency !== null && account.currency !== line.currency) {
      throw unprocessable(`Account ${account.code} only takes ${account.currency}.`, [{ path: `lines.${i}.currency`, message: `account takes ${account.currency}` }]);
    }
  });
  const problems = entryProblems(entry.lines);
  if (problems.length > 0) throw unprocessable(`The entry does not balance: ${problems.join("; ")}.`, problems.map((message) => ({ path: "lines", message })));
  for (const line of entry.lines) {
    if (![line.debit, line.credit, line.baseDebit, line.baseCredit].every(withinLimit)) {
      throw unprocessable("An amount is beyond the ledger's limit of 10^13 minor units.", [{ path: "lines", message: "amount too large" }]);
    }
  }
  // every column named, seq filled in after the insert (not `{ ...row, seq }`: decision 0009)
  const row: store.EntryRow = {
    seq: 0,
    id: newId("jnl"),
    date: entry.date,
    memo: entry.memo,
    source_type: entry.sourceType,
    source_id: entry.sourceId,
    reversal_of: entry.reversalOf,
    created_at: rec.at,
    created_by: actorTag(scope),
    counterparty_business_id: entry.counterpartyBusinessId ?? null,
    reversed_by: null,
  };
  row.seq = store.insertEntry(db, row, entry.lines);
  // beyond 2^53 − 1 a total would no longer be exact as a JSON number (decision 0020); the entry is undone
  if (!addEntryToTotals(db, entry.date, entry.lines)) {
    throw unprocessable("This entry would take the business's lifetime postings past 9,007,199,254,740,991 minor units, beyond which totals are not exact.", [
      { path: "lines", message: "ledger capacity reached" },
    ]);
  }
  if (!postedByDocument(row.source_type)) {
    rec.record({
      action: "journal_entry.posted",
      targetType: "journal_entry",
      targetId: row.id,
      changes: {
        date: row.date,
        source: row.source_type,
        sourceId: row.source_id,
        reversalOf: row.reversal_of,
        lines: entry.lines.length,
        ...(row.counterparty_business_id ? { counterpartyBusinessId: row.counterparty_business_id } : {}),
      },
    });
  }
  return row;
}

/** What an entry's view shows of each posting. */
type ShownPosting = Pick<store.PostingRow, "account_id" | "currency" | "debit" | "credit" | "base_debit" | "base_credit">;

/** The postings insertEntry writes for these lines, in the same order: a posted entry's answer needs no read back. */
const postingsOf = (lines: readonly PricedLine[]): ShownPosting[] =>
  lines.map((l) => ({
    account_id: l.accountId,
    currency: l.currency,
    debit: Number(l.debit),
    credit: Number(l.credit),
    base_debit: Number(l.baseDebit),
    base_credit: Number(l.baseCredit),
  }));

export function entryView(baseCurrency: string, row: store.EntryRow, postings: readonly ShownPosting[]) {
  return {
    id: row.id,
    date: row.date,
    memo: row.memo,
    source: { type: row.source_type, id: row.source_id },
    reversalOf: row.reversal_of,
    reversedBy: row.reversed_by,
    counterpartyBusinessId: row.counterparty_business_id ?? null,
    baseCurrency,
    lines: postings.map((p) => ({
      accountId: p.account_id,
      currency: p.currency,
      debit: p.debit,
      credit: p.credit,
      baseDebit: p.base_debit,
      baseCredit: p.base_credit,
    })),
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

export function currentEntry(scope: BusinessScope, id: string) {
  const row = store.findEntry(scope.db, id);
  if (!row) throw notFound("No such journal entry.");
  return entryView(scope.baseCurrency, row, store.entryPostings(scope.db, row.seq));
}

const big = (n: number) => BigInt(n);

export function createJournalEntry(
  scope: BusinessScope,
  rec: ChangeRecorder,
  input: {
    date: string;
    memo?: string;
    lines: { accountId: string; debit: number; credit: number; currency?: string }[];
    exchangeRates?: { currency: string; rate: string }[];
    counterpartyBusinessId?: string;
  },
  core?: Db,
) {
  const db = rec.db;
  if (input.counterpartyBusinessId !== undefined) {
    const problem = core ? linkProblem(core, scope, input.counterpartyBusinessId) : "cannot be checked here";
    if (problem) throw unprocessable("The counterparty is not another business of yours.", [{ path: "counterpartyBusinessId", message: problem }]);
  }
  const accounts = new Map<string, store.AccountRow>();
  const lines: EntryLine[] = input.lines.map((l, i) => {
    const account = accounts.get(l.accountId) ?? store.findAccount(db, l.accountId);
    if (!account) throw unprocessable("No such account.", [{ path: `lines.${i}.accountId`, message: "no such account" }]);
    accounts.set(account.id, account);
    return { accountId: l.accountId, currency: l.currency ?? account.currency ?? scope.baseCurrency, debit: big(l.debit), credit: big(l.credit) };
  });
  const off = imbalances(lines);
  if (off.length > 0) {
    throw unprocessable(
      `The entry does not balance: ${off.map((o) => `${o.currency} debits ${o.debit} ≠ credits ${o.credit}`).join("; ")}.`,
      off.map((o) => ({ path: "lines", message: `${o.currency} unbalanced by ${o.debit - o.credit}` })),
    );
  }
  (input.exchangeRates ?? []).forEach((r, i) => {
    if (r.currency === scope.baseCurrency && formatDecimal(parseDecimal(r.rate, RATE_LIMITS)!) !== "1") {
      throw unprocessable(`${r.currency} is the base currency: its rate is always 1.`, [{ path: `exchangeRates.${i}.rate`, message: "must be 1 for the base currency" }]);
    }
  });
  const overrides = new Map((input.exchangeRates ?? []).map((r) => [r.currency, r.rate]));
  const priced = priceLines(lines, scope.baseCurrency, (currency) => rateOf(db, scope.baseCurrency, currency, input.date, "exchangeRates", overrides.get(currency)).rate);
  const row = postEntry(
    scope,
    rec,
    {
      date: input.date,
      memo: input.memo ?? null,
      sourceType: "manual",
      sourceId: null,
      reversalOf: null,
      lines: priced,
      counterpartyBusinessId: input.counterpartyBusinessId ?? null,
    },
    "date",
    accounts,
  );
  return entryView(scope.baseCurrency, row, postingsOf(priced));
}

const toPriced = (p: store.PostingRow): PricedLine => ({
  accountId: p.account_id,
  currency: p.currency,
  debit: big(p.debit),
  credit: big(p.credit),
  baseDebit: big(p.base_debit),
  baseCredit: big(p.base_credit),
});

/** Posts the correcting entry of `original` and links the two. */
function postReversal(
  scope: BusinessScope,
  rec: ChangeRecorder,
  original: store.EntryRow,
  date: string,
  memo: string | null,
  sourceType: store.EntryRow["source_type"],
  sourceId: string | null,
): store.EntryRow {
  if (original.reversed_by) throw unprocessable("This entry has already been reversed.", [{ path: "entryId", message: "already reversed" }]);
  if (date < original.date) {
    throw unprocessable("A reversal cannot be dated before the entry it corrects.", [{ path: "date", message: `before ${original.date}` }]);
  }
  const lines = reversed(store.entryPostings(rec.db, original.seq).map(toPriced));
  const reversal = postEntry(scope, rec, { date, memo, sourceType, sourceId, reversalOf: original.id, lines });
  store.markReversed(rec.db, original.id, reversal.id);
  if (!postedByDocument(sourceType)) {
    rec.record({ action: "journal_entry.reversed", targetType: "journal_entry", targetId: original.id, changes: { reversedBy: reversal.id } });
  }
  return reversal;
}

export function reverseJournalEntry(scope: BusinessScope, rec: ChangeRecorder, entryId: string, input: { date?: string; memo?: string }) {
  const original = store.findEntry(rec.db, entryId);
  if (!original) throw notFound("No such journal entry.");
  if (postedByDocument(original.source_type)) {
    const document = `${original.source_type === "invoice" ? "an" : "a"} ${original.source_type}`;
    throw unprocessable(`This entry belongs to ${document}: void the ${original.source_type} instead.`, [
      { path: "entryId", message: `posted by ${document}` },
    ]);
  }
  if (original.reversal_of) {
    throw unprocessable("This entry is itself a reversal; post a new entry instead.", [{ path: "entryId", message: "is a reversal" }]);
  }
  const reversal = postReversal(scope, rec, original, input.date ?? original.date, input.memo ?? `Reversal of ${original.id}`, "reversal", original.id);
  return entryView(scope.baseCurrency, reversal, store.entryPostings(rec.db, reversal.seq));
}

export function listJournalEntries(
  scope: BusinessScope,
  q: { limit: number; after?: [string, number]; from?: string; to?: string; accountId?: string; source?: string },
) {
  const rows = store.listEntries(scope.db, {
    afterDate: q.after?.[0] ?? "",
    afterSeq: q.after?.[1] ?? 0,
    limit: q.limit + 1,
    from: q.from ?? "",
    to: q.to ?? "9999-12-31",
    accountId: q.accountId,
    source: q.source,
  });
  const bySeq = new Map<number, store.PostingRow[]>();
  for (const p of store.postingsOfEntries(scope.db, rows.slice(0, q.limit).map((r) => r.seq))) {
    const list = bySeq.get(p.entry_seq) ?? [];
    list.push(p);
    bySeq.set(p.entry_seq, list);
  }
  return { rows, view: (r: store.EntryRow) => entryView(scope.baseCurrency, r, bySeq.get(r.seq) ?? []) };
}

/** The general ledger of one account: postings in date order with a running balance in the base currency. */
export function accountLedger(scope: BusinessScope, accountId: string, q: { limit: number; after?: [string, number]; from?: string; to?: string }) {
  const account = requireAccount(scope.db, accountId);
  const from = q.from ?? "";
  const afterDate = q.after?.[0] ?? from;
  const afterSeq = q.after?.[1] ?? 0;
  const sign = account.type === "asset" || account.type === "expense" ? 1 : -1;
  // everything before the page: before `from`, or up to the cursor
  const opening = sign * store.accountBalanceBefore(scope.db, accountId, afterDate, q.after ? afterSeq : 0);
  const rows = store.accountLedger(scope.db, { accountId, afterDate, afterSeq: q.after ? afterSeq : 0, to: q.to ?? "9999-12-31", limit: q.limit + 1 });
  // a cursor-less first page starts at `from`, so a posting dated `from` with seq 0 cannot exist: same condition
  const page = rows.slice(0, q.limit);
  let balance = opening;
  const data = page.map((p) => {
    balance += sign * (p.base_debit - p.base_credit);
    return {
      entryId: p.entry_id,
      date: p.date,
      memo: p.memo,
      currency: p.currency,
      debit: p.debit,
      credit: p.credit,
      baseDebit: p.base_debit,
      baseCredit: p.base_credit,
      balance,
    };
  });
  const last = page[page.length - 1];
  return {
    account: accountView(account),
    currency: scope.baseCurrency,
    openingBalance: opening,
    data,
    nextCursor: rows.length > q.limit && last ? ([last.date, last.seq] as [string, number]) : null,
  };
}

// ---- invoices

const invoiceNumber = (n: number) => `INV-${String(n).padStart(6, "0")}`;

export function invoiceStatus(row: store.InvoiceRow): "draft" | "issued" | "partially_paid" | "paid" | "void" {
  if (row.state !== "issued") return row.state;
  if (row.amount_paid === 0) return "issued";
  return row.amount_paid < row.total ? "partially_paid" : "paid";
}

export function invoiceView(baseCurrency: string, row: store.InvoiceRow, lines: store.InvoiceLineRow[], now = today()) {
  const status = invoiceStatus(row);
  return {
    id: row.id,
    number: row.number,
    customerId: row.customer_id,
    currency: row.currency,
    issueDate: row.issue_date,
    dueDate: row.due_date,
    memo: row.memo,
    status,
    overdue: (status === "issued" || status === "partially_paid") && row.due_date < now,
    lines: lines.map((l) => ({ description: l.description, quantity: l.quantity, unitPrice: l.unit_price, taxRate: l.tax_rate, net: l.net, tax: l.tax })),
    subtotal: row.subtotal,
    taxTotal: row.tax_total,
    total: row.total,
    amountPaid: row.amount_paid,
    amountDue: row.state === "issued" ? row.total - row.amount_paid : row.state === "draft" ? row.total : 0,
    exchangeRate: row.exchange_rate,
    baseCurrency,
    baseTotal: row.base_total,
    issueEntryId: row.issue_entry_id,
    voidEntryId: row.void_entry_id,
    issuedAt: row.issued_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function requireInvoice(db: Db, id: string): store.InvoiceRow {
  const row = store.findInvoice(db, id);
  if (!row) throw notFound("No such invoice.");
  return row;
}

export function currentInvoice(scope: BusinessScope, id: string) {
  return invoiceView(scope.baseCurrency, requireInvoice(scope.db, id), store.invoiceLines(scope.db, id));
}

interface InvoiceDraft {
  customerId: string;
  currency: string;
  issueDate: string;
  dueDate: string;
  memo: string | null;
  exchangeRate: string | null;
  lines: InvoiceLineInput[];
}

function checkDraft(db: Db, baseCurrency: string, draft: InvoiceDraft) {
  if (!store.customerExists(db, draft.customerId)) {
    throw unprocessable("The customer must be a company of this business.", [{ path: "customerId", message: "no such company" }]);
  }
  if (draft.dueDate < draft.issueDate) throw unprocessable("The due date cannot be before the issue date.", [{ path: "dueDate", message: "before issueDate" }]);
  if (draft.exchangeRate !== null && draft.currency === baseCurrency && draft.exchangeRate !== "1") {
    throw unprocessable(`The invoice is in the base currency ${baseCurrency}: its rate is 1.`, [{ path: "exchangeRate", message: "must be 1 or absent" }]);
  }
  const amounts = invoiceAmounts(draft.lines);
  if (!withinLimit(amounts.total)) throw unprocessable("The invoice total is beyond the limit of 10^13 minor units.", [{ path: "lines", message: "total too large" }]);
  return amounts;
}

function writeDraftLines(db: Db, invoiceId: string, amounts: ReturnType<typeof invoiceAmounts>): void {
  store.replaceInvoiceLines(
    db,
    invoiceId,
    amounts.lines.map(({ line, net, tax }) => ({
      description: line.description,
      quantity: formatDecimal(parseDecimal(line.quantity, QUANTITY_LIMITS)!),
      unit_price: line.unitPrice,
      tax_rate: formatDecimal(parseDecimal(line.taxRate, TAX_RATE_LIMITS)!),
      net: toSafeNumber(net),
      tax: toSafeNumber(tax),
    })),
  );
}

export function createInvoice(
  scope: BusinessScope,
  rec: ChangeRecorder,
  input: { customerId: string; currency: string; issueDate: string; dueDate: string; memo?: string; exchangeRate?: string; lines: InvoiceLineInput[] },
) {
  const draft: InvoiceDraft = { ...input, memo: input.memo ?? null, exchangeRate: input.exchangeRate ? formatDecimal(parseDecimal(input.exchangeRate, RATE_LIMITS)!) : null };
  const amounts = checkDraft(rec.db, scope.baseCurrency, draft);
  const row: store.InvoiceRow = {
    id: newId("inv"),
    number: null,
    customer_id: draft.customerId,
    currency: draft.currency,
    issue_date: draft.issueDate,
    due_date: draft.dueDate,
    memo: draft.memo,
    state: "draft",
    subtotal: toSafeNumber(amounts.subtotal),
    tax_total: toSafeNumber(amounts.taxTotal),
    total: toSafeNumber(amounts.total),
    amount_paid: 0,
    exchange_rate: draft.exchangeRate,
    base_total: null,
    base_cleared: 0,
    issue_entry_id: null,
    void_entry_id: null,
    voided_on: null,
    issued_at: null,
    created_at: rec.at,
    updated_at: rec.at,
  };
  store.insertInvoice(rec.db, row);
  writeDraftLines(rec.db, row.id, amounts);
  rec.record({ action: "invoice.created", targetType: "invoice", targetId: row.id, changes: { customerId: row.customer_id, currency: row.currency, total: row.total } });
  return currentInvoice(scope, row.id);
}

export function updateInvoice(
  scope: BusinessScope,
  rec: ChangeRecorder,
  id: string,
  input: Partial<{ customerId: string; currency: string; issueDate: string; dueDate: string; memo: string | null; exchangeRate: string | null; lines: InvoiceLineInput[] }>,
) {
  const row = requireInvoice(rec.db, id);
  if (row.state !== "draft") {
    throw unprocessable(`Only draft invoices can be edited; this one is ${invoiceStatus(row)}.`, [{ path: "invoiceId", message: `is ${invoiceStatus(row)}` }]);
  }
  const lines = store.invoiceLines(rec.db, id);
  const draft: InvoiceDraft = {
    customerId: input.customerId ?? row.customer_id,
    currency: input.currency ?? row.currency,
    issueDate: input.issueDate ?? row.issue_date,
    dueDate: input.dueDate ?? row.due_date,
    memo: input.memo !== undefined ? input.memo : row.memo,
    exchangeRate:
      input.exchangeRate !== undefined ? (input.exchangeRate === null ? null : formatDecimal(parseDecimal(input.exchangeRate, RATE_LIMITS)!)) : row.exchange_rate,
    lines: input.lines ?? lines.map((l) => ({ description: l.description, quantity: l.quantity, unitPrice: l.unit_price, taxRate: l.tax_rate })),
  };
  const amounts = checkDraft(rec.db, scope.baseCurrency, draft);
  store.updateInvoice(rec.db, {
    ...row,
    customer_id: draft.customerId,
    currency: draft.currency,
    issue_date: draft.issueDate,
    due_date: draft.dueDate,
    memo: draft.memo,
    exchange_rate: draft.exchangeRate,
    subtotal: toSafeNumber(amounts.subtotal),
    tax_total: toSafeNumber(amounts.taxTotal),
    total: toSafeNumber(amounts.total),
    updated_at: rec.at,
  });
  if (input.lines) writeDraftLines(rec.db, id, amounts);
  rec.record({ action: "invoice.updated", targetType: "invoice", targetId: id, changes: Object.fromEntries(Object.keys(input).map((k) => [k, true])) });
  return currentInvoice(scope, id);
}

/**
 * The standard accounts of each open database, read once. Only what is fixed for a standard account is
 * relied on — its id, type and currency and that it is never archived or deleted (updateAccount and
 * deleteAccount refuse those changes) — never its code or name, which may be edited.
 */
const standardByConnection = new WeakMap<SqlConnection, Map<string, store.AccountRow>>();

/** The standard accounts the ledger posts to by itself, by system key. */
function standardAccounts(db: Db) {
  let rows = standardByConnection.get(db.connection);
  if (!rows) {
    rows = new Map(store.systemAccounts(db).map((a) => [a.system_key!, a]));
    standardByConnection.set(db.connection, rows);
  }
  return (key: string): store.AccountRow => {
    const account = rows.get(key);
    if (!account) throw new Error(`the standard ${key} account is missing`);
    return account;
  };
}

const byId = (...accounts: store.AccountRow[]) => new Map(accounts.map((a) => [a.id, a]));

/** Numbers the invoice and posts it: receivable against revenue and tax payable, at the issue-date rate. */
export function issueInvoice(scope: BusinessScope, rec: ChangeRecorder, id: string) {
  const db = rec.db;
  const row = requireInvoice(db, id);
  if (row.state !== "draft") {
    throw unprocessable(`Only a draft can be issued; this invoice is ${invoiceStatus(row)}.`, [{ path: "invoiceId", message: `is ${invoiceStatus(row)}` }]);
  }
  if (!store.customerExists(db, row.customer_id)) {
    throw unprocessable("The invoice's customer no longer exists in the CRM.", [{ path: "customerId", message: "no such company" }]);
  }
  if (row.total <= 0) throw unprocessable("An invoice with a total of zero cannot be issued.", [{ path: "lines", message: "total is zero" }]);
  assertOpen(db, row.issue_date, "issueDate");
  const { rate, text } = rateOf(db, scope.baseCurrency, row.currency, row.issue_date, "exchangeRate", row.exchange_rate);
  const standard = standardAccounts(db);
  const [receivable, revenue, taxPayable] = [standard("receivable"), standard("revenue"), standard("tax_payable")];
  const lines: EntryLine[] = [
    { accountId: receivable.id, currency: row.currency, debit: big(row.total), credit: 0n },
    { accountId: revenue.id, currency: row.currency, debit: 0n, credit: big(row.subtotal) },
  ];
  if (row.tax_total > 0) lines.push({ accountId: taxPayable.id, currency: row.currency, debit: 0n, credit: big(row.tax_total) });
  const priced = priceLines(lines.filter((l) => l.debit > 0n || l.credit > 0n), scope.baseCurrency, () => rate);
  const number = invoiceNumber(store.takeInvoiceNumber(db));
  const entry = postEntry(
    scope,
    rec,
    { date: row.issue_date, memo: `Invoice ${number}`, sourceType: "invoice", sourceId: id, reversalOf: null, lines: priced },
    "issueDate",
    byId(receivable, revenue, taxPayable),
  );
  store.updateInvoice(db, {
    ...row,
    number,
    state: "issued",
    exchange_rate: text,
    base_total: toSafeNumber(priced[0]!.baseDebit),
    issue_entry_id: entry.id,
    issued_at: rec.at,
    updated_at: rec.at,
  });
  rec.record({ action: "invoice.issued", targetType: "invoice", targetId: id, changes: { number, total: row.total, currency: row.currency, entryId: entry.id } });
  return currentInvoice(scope, id);
}

/** A draft is simply voided; an issued invoice with nothing paid is reversed in the ledger. */
export function voidInvoice(scope: BusinessScope, rec: ChangeRecorder, id: string, input: { date?: string }) {
  const db = rec.db;
  const row = requireInvoice(db, id);
  if (row.state === "void") throw unprocessable("The invoice is already void.", [{ path: "invoiceId", message: "already void" }]);
  if (row.amount_paid > 0) throw unprocessable("The invoice has payments: void them first.", [{ path: "invoiceId", message: "has payments" }]);
  let voidEntryId: string | null = null;
  let voidedOn: string | null = null;
  if (row.state === "issued") {
    const original = store.findEntry(db, row.issue_entry_id!)!;
    const date = input.date ?? original.date;
    // its payments' voids restored the receivable on their dates: reversing the issue before them would
    // leave the receivable negative in between
    const paymentsVoided = store.lastPaymentVoidDate(db, id);
    if (paymentsVoided !== null && date < paymentsVoided) {
      throw unprocessable(`The invoice's payments were voided as late as ${paymentsVoided}: date its void on or after that.`, [
        { path: "date", message: `before ${paymentsVoided}, when its payments were voided` },
      ]);
    }
    voidEntryId = postReversal(scope, rec, original, date, `Void of invoice ${row.number}`, "invoice", id).id;
    voidedOn = date;
  }
  store.updateInvoice(db, { ...row, state: "void", void_entry_id: voidEntryId, voided_on: voidedOn, updated_at: rec.at });
  rec.record({ action: "invoice.voided", targetType: "invoice", targetId: id, changes: { number: row.number, entryId: voidEntryId } });
  return currentInvoice(scope, id);
}

export function listInvoices(scope: BusinessScope, q: { limit: number; after: string; status?: string; customerId?: string }) {
  const now = today();
  const rows = store.listInvoices(scope.db, { after: q.after, limit: q.limit + 1, status: q.status, customerId: q.customerId, today: now });
  const byInvoice = new Map<string, store.InvoiceLineRow[]>();
  for (const line of store.linesOfInvoices(scope.db, rows.slice(0, q.limit).map((r) => r.id))) {
    const list = byInvoice.get(line.invoice_id) ?? [];
    list.push(line);
    byInvoice.set(line.invoice_id, list);
  }
  return { rows, view: (r: store.InvoiceRow) => invoiceView(scope.baseCurrency, r, byInvoice.get(r.id) ?? [], now) };
}

// ---- payments

export const paymentView = (baseCurrency: string, row: store.PaymentRow) => ({
  id: row.id,
  invoiceId: row.invoice_id,
  accountId: row.account_id,
  amount: row.amount,
  currency: row.currency,
  date: row.date,
  status: row.void_entry_id ? ("void" as const) : ("posted" as const),
  exchangeRate: row.exchange_rate,
  baseCurrency,
  baseAmount: row.base_amount,
  realisedFx: row.base_amount - row.base_cleared,
  entryId: row.entry_id,
  voidEntryId: row.void_entry_id,
  createdAt: row.created_at,
});

export function currentPayment(scope: BusinessScope, id: string) {
  const row = store.findPayment(scope.db, id);
  if (!row) throw notFound("No such payment.");
  return paymentView(scope.baseCurrency, row);
}

/**
 * Receives money against an issued invoice. Runs inside the request's write transaction, and a
 * business has a single writer, so the amount-due check and the posting can never race.
 */
export function createPayment(
  scope: BusinessScope,
  rec: ChangeRecorder,
  input: { invoiceId: string; amount: number; date: string; accountId?: string; exchangeRate?: string },
) {
  const db = rec.db;
  const invoice = store.findInvoice(db, input.invoiceId);
  if (!invoice) throw unprocessable("No such invoice.", [{ path: "invoiceId", message: "no such invoice" }]);
  if (invoice.state !== "issued") {
    throw unprocessable(`Payments go against issued invoices; this one is ${invoiceStatus(invoice)}.`, [{ path: "invoiceId", message: invoiceStatus(invoice) }]);
  }
  const due = invoice.total - invoice.amount_paid;
  if (input.amount > due) {
    throw unprocessable(`The payment of ${input.amount} is more than the ${due} due on ${invoice.number}.`, [{ path: "amount", message: `more than the amount due (${due})` }]);
  }
  if (input.date < invoice.issue_date) {
    throw unprocessable("A payment cannot be dated before the invoice's issue date.", [{ path: "date", message: `before ${invoice.issue_date}` }]);
  }
  const standard = standardAccounts(db);
  const cash = input.accountId ? store.findAccount(db, input.accountId) : standard("cash");
  if (!cash) throw unprocessable("No such account.", [{ path: "accountId", message: "no such account" }]);
  if (cash.type !== "asset") throw unprocessable("Payments are received into an asset account.", [{ path: "accountId", message: "not an asset account" }]);
  // the standard accounts the ledger posts to itself: into receivable, a payment would debit and credit
  // the same account, lowering the amount due while the ledger's receivable stays as it was
  if (cash.system_key !== null && cash.system_key !== "cash") {
    throw unprocessable(`Payments are received into cash or a bank account, not into ${cash.code} ${cash.name}, which the ledger keeps itself.`, [
      { path: "accountId", message: `the standard ${cash.system_key} account` },
    ]);
  }
  if (input.exchangeRate !== undefined && invoice.currency === scope.baseCurrency && formatDecimal(parseDecimal(input.exchangeRate, RATE_LIMITS)!) !== "1") {
    throw unprocessable(`The invoice is in the base currency ${scope.baseCurrency}: its rate is 1.`, [{ path: "exchangeRate", message: "must be 1 or absent" }]);
  }
  const { rate, text } = rateOf(db, scope.baseCurrency, invoice.currency, input.date, "exchangeRate", input.exchangeRate);
  const amount = big(input.amount);
  const issueRate = parseDecimal(invoice.exchange_rate!, RATE_LIMITS)!;
  const remainingBase = big(invoice.base_total!) - big(invoice.base_cleared);
  // The receivable is cleared at the issue rate, cumulatively: what everything paid so far (this payment
  // included) is worth at that rate, less what earlier payments cleared; the last payment clears exactly
  // the rest. So the clearings always sum to the invoice's base total, rounded once per invoice rather
  // than once per payment (0020). Only voided payments can make the difference fall outside [0, rest].
  let cleared = remainingBase;
  if (input.amount !== due) {
    cleared = convert(big(invoice.amount_paid) + amount, invoice.currency, scope.baseCurrency, issueRate) - big(invoice.base_cleared);
    if (cleared < 0n) cleared = 0n;
    if (cleared > remainingBase) cleared = remainingBase;
  }
  // at the issue rate the money received is worth exactly what it clears: no exchange difference
  const baseAmount = formatDecimal(rate) === formatDecimal(issueRate) ? cleared : convert(amount, invoice.currency, scope.baseCurrency, rate);
  const fx = baseAmount - cleared;
  const lines: PricedLine[] = [
    { accountId: cash.id, currency: invoice.currency, debit: amount, credit: 0n, baseDebit: baseAmount, baseCredit: 0n },
    { accountId: standard("receivable").id, currency: invoice.currency, debit: 0n, credit: amount, baseDebit: 0n, baseCredit: cleared },
  ];
  if (fx !== 0n) {
    lines.push({
      accountId: standard("fx_gain_loss").id,
      currency: invoice.currency,
      debit: 0n,
      credit: 0n,
      baseDebit: fx < 0n ? -fx : 0n,
      baseCredit: fx > 0n ? fx : 0n,
    });
  }
  const id = newId("pay");
  const entry = postEntry(
    scope,
    rec,
    { date: input.date, memo: `Payment on ${invoice.number}`, sourceType: "payment", sourceId: id, reversalOf: null, lines },
    "date",
    byId(cash, standard("receivable"), standard("fx_gain_loss")),
  );
  const row: store.PaymentRow = {
    id,
    invoice_id: invoice.id,
    account_id: cash.id,
    amount: input.amount,
    currency: invoice.currency,
    date: input.date,
    exchange_rate: text,
    base_amount: toSafeNumber(baseAmount),
    base_cleared: toSafeNumber(cleared),
    entry_id: entry.id,
    void_entry_id: null,
    voided_on: null,
    created_at: rec.at,
  };
  store.insertPayment(db, row);
  store.setInvoicePaid(db, { id: invoice.id, amount_paid: invoice.amount_paid + input.amount, base_cleared: invoice.base_cleared + row.base_cleared, updated_at: rec.at });
  rec.record({ action: "payment.created", targetType: "payment", targetId: id, changes: { invoiceId: invoice.id, amount: input.amount, currency: invoice.currency, date: input.date, entryId: entry.id } });
  return paymentView(scope.baseCurrency, row);
}

/** Reverses a payment's entry; the invoice owes the amount again. */
export function voidPayment(scope: BusinessScope, rec: ChangeRecorder, id: string, input: { date?: string }) {
  const db = rec.db;
  const payment = store.findPayment(db, id);
  if (!payment) throw notFound("No such payment.");
  if (payment.void_entry_id) throw unprocessable("The payment is already void.", [{ path: "paymentId", message: "already void" }]);
  const original = store.findEntry(db, payment.entry_id)!;
  const date = input.date ?? original.date;
  const reversal = postReversal(scope, rec, original, date, `Void of payment ${id}`, "payment", id);
  store.markPaymentVoid(db, id, reversal.id, date);
  const invoice = store.findInvoice(db, payment.invoice_id)!;
  store.setInvoicePaid(db, {
    id: invoice.id,
    amount_paid: invoice.amount_paid - payment.amount,
    base_cleared: invoice.base_cleared - payment.base_cleared,
    updated_at: rec.at,
  });
  rec.record({ action: "payment.voided", targetType: "payment", targetId: id, changes: { invoiceId: payment.invoice_id, entryId: reversal.id } });
  return currentPayment(scope, id);
}
