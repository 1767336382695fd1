import { faker } from "@faker-js/faker";
import { expectStatus, type Http, inBatches } from "./http.js";
import type { OpenRequest } from "./open-loop.js";
import type { Check } from "./types.js";

/**
 * The accounting part of the bench: what the financial scenario seeds (customers through the CRM bulk
 * endpoint, exchange rates, invoices in every state), the requests it sends, and the ledger checks it
 * runs afterwards — all through the HTTP API. Bodies are drawn with faker from a fixed seed before the
 * clock starts.
 */

/** Audit entries one acknowledged write appends: one each (an issue or a payment names the journal entry it posts in its own). */
export const AUDIT_ENTRIES = { invoice: 1, issue: 1, payment: 1, journal: 1 } as const;
export type FinanceWrite = keyof typeof AUDIT_ENTRIES;

export interface FinanceVolume {
  /** CRM companies created as invoice customers (one bulk request). */
  customers: number;
  /** Invoices created before the run; 3/4 of them issued, a third of those partly paid. */
  invoices: number;
}

export const FINANCE_VOLUMES = {
  normal: { customers: 300, invoices: 160 },
  quick: { customers: 100, invoices: 48 },
} as const satisfies Record<string, FinanceVolume>;

/** Account ids of the standard chart, by code (migration 0003_finance.sql). */
export type Chart = Record<string, string>;

/** An issued invoice with something still due, as the client knows it. */
export interface OpenInvoice {
  id: string;
  currency: string;
  issueDate: string;
  due: number;
}

/** Everything the scenario knows about one business's books. */
export interface FinanceBook {
  id: string;
  baseCurrency: string;
  /** The foreign currency its foreign invoices and entries use (rates seeded from 1 January). */
  foreign: string;
  chart: Chart;
  customerIds: string[];
  /** Draft invoices waiting to be issued (id, currency, issue date). */
  drafts: OpenInvoice[];
  /** Issued invoices with an amount due, none with a request in flight. */
  open: OpenInvoice[];
  /** Every invoice id the client knows of (for detail reads). */
  known: string[];
}

type Item = Record<string, unknown>;

const QUANTITIES = ["1", "1", "2", "3", "5", "10", "0.5", "2.5", "12", "40"] as const;
const TAX_RATES = ["0", "5", "8.875", "20", "7.5"] as const;

/** Invoice lines and manual entry shapes, drawn once (off the clock). */
export interface FinancePools {
  lines: Item[][];
  memos: string[];
}

export function financePools(size: number, seed: number): FinancePools {
  faker.seed(seed);
  const lines: Item[][] = [];
  const memos: string[] = [];
  for (let i = 0; i < size; i++) {
    const n = faker.helpers.weightedArrayElement([
      { weight: 4, value: 1 },
      { weight: 3, value: 2 },
      { weight: 2, value: 3 },
      { weight: 1, value: 5 },
    ]);
    lines.push(
      Array.from({ length: n }, () => ({
        description: faker.commerce.productName().slice(0, 200),
        quantity: faker.helpers.arrayElement(QUANTITIES),
        unitPrice: faker.number.int({ min: 5, max: 2_000 }) * 100,
        taxRate: faker.helpers.arrayElement(TAX_RATES),
      })),
    );
    memos.push(`${faker.company.buzzVerb()} ${faker.company.buzzNoun()}`.slice(0, 200));
  }
  return { lines, memos };
}

const DAY = 86_400_000;
export const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const pick = <T>(list: readonly T[], random: () => number): T => list[Math.floor(random() * list.length)]!;

/** Dates of this run: 1 January of the current UTC year up to today (never in the future, never before the year). */
export function financeCalendar(now = Date.now()) {
  const today = isoDay(now);
  const yearStart = `${today.slice(0, 4)}-01-01`;
  const startMs = Date.parse(`${yearStart}T00:00:00Z`);
  const todayMs = Date.parse(`${today}T00:00:00Z`);
  const days = Math.round((todayMs - startMs) / DAY);
  return {
    today,
    yearStart,
    /** A day of this year up to today. */
    day: (random: () => number) => isoDay(startMs + Math.floor(random() * (days + 1)) * DAY),
    /** A day from `from` up to 30 days later, capped at today. */
    after: (from: string, random: () => number) => isoDay(Math.min(todayMs, Date.parse(`${from}T00:00:00Z`) + Math.floor(random() * 31) * DAY)),
    plus: (from: string, n: number) => isoDay(Date.parse(`${from}T00:00:00Z`) + n * DAY),
    /** The first day of each month up to today. */
    monthStarts: Array.from({ length: Number(today.slice(5, 7)) }, (_, m) => `${today.slice(0, 4)}-${String(m + 1).padStart(2, "0")}-01`),
  };
}


/** The invoice body for a customer, currency and issue date (due 30 days later). */
export function invoiceBody(pools: FinancePools, random: () => number, customerId: string, currency: string, issueDate: string, dueDate: string): Item {
  const i = Math.floor(random() * pools.lines.length);
  return { customerId, currency, issueDate, dueDate, memo: pools.memos[i], lines: pools.lines[i] };
}

/** A part of what is due (at least 1 minor unit), or all of it. */
export function paymentAmount(due: number, random: () => number): number {
  if (due <= 1 || random() < 0.5) return due;
  return Math.max(1, Math.min(due - 1, Math.round(due * (0.2 + random() * 0.6))));
}

/**
 * Seeds one business's books: its customers (CRM companies, one bulk request), one foreign exchange rate
 * a month from 1 January, then invoices — created, three quarters issued, a third of those partly paid —
 * so the scenario starts with drafts to issue and invoices to pay. Returns the book and the writes made.
 */
export async function seedFinance(
  http: Http,
  token: string,
  business: { id: string; baseCurrency: string },
  volume: FinanceVolume,
  pools: FinancePools,
  random: () => number,
): Promise<{ book: FinanceBook; requests: number }> {
  const base = `/businesses/${business.id}`;
  const cal = financeCalendar();
  let requests = 0;
  const accounts = await http.get(`${base}/accounts?limit=200`, { token });
  expectStatus(accounts, 200, `accounts of ${business.id}`);
  requests += 1;
  const chart: Chart = Object.fromEntries((accounts.body.data as Array<{ code: string; id: string }>).map((a) => [a.code, a.id]));
  for (const code of ["1000", "1500", "2000", "3000", "5000", "6000", "6100", "6200"]) if (!chart[code]) throw new Error(`business ${business.id} has no account ${code}`);

  faker.seed(3_700);
  const customers = Array.from({ length: volume.customers }, () => {
    const name = faker.company.name().slice(0, 180);
    return { name, industry: "Financial services", tags: ["customer"], size: "11-50" };
  });
  const bulk = await http.post(`${base}/companies/bulk`, { items: customers }, { token });
  expectStatus(bulk, 201, `seed ${customers.length} customers in ${business.id}`);
  requests += 1;
  const customerIds = (bulk.body.data as Array<{ id: string }>).map((c) => c.id);

  const foreign = business.baseCurrency === "USD" ? "EUR" : "USD";
  for (const [m, date] of cal.monthStarts.entries()) {
    const rate = (business.baseCurrency === "JPY" ? 140 + m : business.baseCurrency === "KWD" ? 0.3 + m / 1000 : 0.9 + m / 100).toFixed(4);
    const res = await http.post(`${base}/exchange-rates`, { currency: foreign, date, rate }, { token });
    expectStatus(res, 201, `exchange rate ${foreign} ${date} in ${business.id}`);
    requests += 1;
  }

  const plans = Array.from({ length: volume.invoices }, (_, i) => {
    const currency = random() < 0.2 ? foreign : business.baseCurrency;
    const issueDate = cal.day(random);
    const body = invoiceBody(pools, random, pick(customerIds, random), currency, issueDate, cal.plus(issueDate, 30));
    return { i, body, currency, issueDate, payDate: cal.after(issueDate, random) };
  });
  const book: FinanceBook = { id: business.id, baseCurrency: business.baseCurrency, foreign, chart, customerIds, drafts: [], open: [], known: [] };
  const seeded = await inBatches(plans, 4, async (plan): Promise<{ draft: boolean; invoice: OpenInvoice }> => {
    const created = await http.post(`${base}/invoices`, plan.body, { token });
    expectStatus(created, 201, `seed an invoice in ${business.id}`);
    requests += 1;
    const invoice: OpenInvoice = { id: created.body.id, currency: plan.currency, issueDate: plan.issueDate, due: created.body.total };
    if (plan.i % 4 === 3) return { draft: true, invoice };
    const issued = await http.post(`${base}/invoices/${invoice.id}/issue`, {}, { token });
    expectStatus(issued, 200, `issue a seeded invoice in ${business.id}`);
    requests += 1;
    invoice.due = issued.body.amountDue;
    if (plan.i % 3 === 0) {
      const amount = Math.max(1, Math.floor(invoice.due / 3));
      const paid = await http.post(`${base}/payments`, { invoiceId: invoice.id, amount, date: plan.payDate }, { token });
      expectStatus(paid, 201, `pay a seeded invoice in ${business.id}`);
      requests += 1;
      invoice.due -= amount;
    }
    return { draft: false, invoice };
  });
  // in plan order, whatever order the server answered in
  for (const s of seeded) {
    book.known.push(s.invoice.id);
    if (s.draft) book.drafts.push(s.invoice);
    else if (s.invoice.due > 0) book.open.push(s.invoice);
  }
  return { book, requests };
}

// ---------- requests ----------

/** What a finance request was, for the ledgers and the client's own view of the books. */
export type FinanceTag =
  | { write: "invoice"; businessId: string; currency: string; issueDate: string }
  | { write: "issue"; businessId: string; invoice: OpenInvoice }
  | { write: "payment"; businessId: string; invoice: OpenInvoice; amount: number }
  | { write: "journal"; businessId: string };

const MANUAL_ENTRIES: ReadonlyArray<{ memo: string; lines: Array<[string, "debit" | "credit", number]> }> = [
  { memo: "Office rent", lines: [["6200", "debit", 1], ["1000", "credit", 1]] },
  { memo: "Payroll", lines: [["6100", "debit", 1], ["1000", "credit", 1]] },
  { memo: "Equipment bought on account", lines: [["1500", "debit", 1], ["2000", "credit", 1]] },
  { memo: "Owner's investment", lines: [["1000", "debit", 1], ["3000", "credit", 1]] },
  { memo: "Supplier bill paid", lines: [["2000", "debit", 1], ["1000", "credit", 1]] },
  {
    memo: "Stock and services purchased",
    lines: [
      ["5000", "debit", 0.6],
      ["6000", "debit", 0.4],
      ["1000", "credit", 0.5],
      ["2000", "credit", 0.5],
    ],
  },
];

/** A balanced manual journal entry: 2–4 lines, 10 % of them in the foreign currency. */
export function manualEntryBody(book: FinanceBook, random: () => number, date: string): Item {
  const shape = pick(MANUAL_ENTRIES, random);
  const total = Math.round(100 + random() * 500) * 100;
  const currency = random() < 0.1 ? book.foreign : undefined;
  // amounts per side sum to the same total: the last line of each side takes the remainder
  const sides = { debit: total, credit: total };
  const lines = shape.lines.map(([code, side, share], i) => {
    const isLastOfSide = !shape.lines.slice(i + 1).some((l) => l[1] === side);
    const value = isLastOfSide ? sides[side] : Math.round(total * share);
    sides[side] -= value;
    return { accountId: book.chart[code]!, [side]: value, ...(currency ? { currency } : {}) };
  });
  return { date, memo: shape.memo, lines };
}

// ---------- persisted state ----------

export interface FinanceState {
  invoices: Map<string, { status: string; total: number; amountPaid: number; amountDue: number; number: string | null }>;
  payments: Map<string, { invoiceId: string; amount: number; status: string }>;
  entries: { manual: Set<string>; invoice: number; payment: number; reversal: number };
}

/** Pages through a list (200 a page); bounded in pages. */
async function pageAll<T>(http: Http, token: string, path: string, maxPages = 2_000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes("?") ? "&" : "?";
  for (let page = 0; page < maxPages; page++) {
    const res = await http.get(`${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 200)}`);
    out.push(...(res.body.data as T[]));
    cursor = res.body.nextCursor as string | null;
    if (!cursor) return out;
  }
  throw new Error(`GET ${path}: more than ${maxPages} pages`);
}

/** Every invoice, payment and journal entry of a business, read through the lists. */
export async function financeSnapshot(http: Http, token: string, businessId: string): Promise<FinanceState> {
  const base = `/businesses/${businessId}`;
  const invoices = await pageAll<{ id: string; status: string; total: number; amountPaid: number; amountDue: number; number: string | null }>(http, token, `${base}/invoices`);
  const payments = await pageAll<{ id: string; invoiceId: string; amount: number; status: string }>(http, token, `${base}/payments`);
  const manual = await pageAll<{ id: string }>(http, token, `${base}/journal-entries?source=manual`);
  const count = async (source: string) => (await pageAll<unknown>(http, token, `${base}/journal-entries?source=${source}`)).length;
  return {
    invoices: new Map(invoices.map((i) => [i.id, { status: i.status, total: i.total, amountPaid: i.amountPaid, amountDue: i.amountDue, number: i.number }])),
    payments: new Map(payments.map((p) => [p.id, { invoiceId: p.invoiceId, amount: p.amount, status: p.status }])),
    entries: { manual: new Set(manual.map((e) => e.id)), invoice: await count("invoice"), payment: await count("payment"), reversal: await count("reversal") },
  };
}

/** The finance writes of a run, by business: acknowledged (with the ids the server gave), or of unknown outcome. */
export class FinanceLedger {
  readonly acked = new Map<string, { invoice: string[]; issue: string[]; payment: string[]; journal: string[] }>();
  readonly unknown = new Map<string, Record<FinanceWrite, number>>();
  /** Invoices whose payment or issue outcome is unknown: the client's amount due for them may be off. */
  readonly uncertainInvoices = new Set<string>();
  /** The amount due the client expects from its acknowledged payments, per invoice it paid. */
  readonly expectedDue = new Map<string, number>();
  refused = 0;

  private of(businessId: string) {
    let a = this.acked.get(businessId);
    if (!a) {
      a = { invoice: [], issue: [], payment: [], journal: [] };
      this.acked.set(businessId, a);
    }
    return a;
  }

  acknowledge(businessId: string, write: FinanceWrite, id: string): void {
    this.of(businessId)[write].push(id);
  }

  unknownOutcome(businessId: string, write: FinanceWrite, invoiceId?: string): void {
    const u = this.unknown.get(businessId) ?? { invoice: 0, issue: 0, payment: 0, journal: 0 };
    u[write] += 1;
    this.unknown.set(businessId, u);
    if (invoiceId) this.uncertainInvoices.add(invoiceId);
  }

  total(write: FinanceWrite, which: "acked" | "unknown" = "acked"): number {
    let n = 0;
    if (which === "acked") for (const a of this.acked.values()) n += a[write].length;
    else for (const u of this.unknown.values()) n += u[write];
    return n;
  }
}

const within = (delta: number, acked: number, unknown: number) => delta >= acked && delta <= acked + unknown;

/**
 * The ledger invariants after the run, per business: the trial balance balances and the balance sheet
 * says balanced; invoices, payments and journal entries grew by exactly the acknowledged writes and every
 * acknowledged id is there; every invoice with payments has amountPaid = Σ its posted payments and
 * amountDue = total − amountPaid ≥ 0 (paid exactly when nothing is due), and matches what the client
 * computed from its acknowledged payments.
 */
export async function financeChecks(
  http: Http,
  token: string,
  before: Map<string, FinanceState>,
  ledger: FinanceLedger,
): Promise<Check[]> {
  const unbalanced: string[] = [];
  const totals: string[] = [];
  const countProblems: string[] = [];
  const missing: string[] = [];
  const dueProblems: string[] = [];
  const clientProblems: string[] = [];
  let invoicesWithPayments = 0;
  let clientCompared = 0;
  const grown = { invoices: 0, issued: 0, payments: 0, manual: 0 };
  for (const [id, b] of before) {
    const base = `/businesses/${id}`;
    const tb = await http.get(`${base}/reports/trial-balance?asOf=2099-12-31`, { token });
    expectStatus(tb, 200, `trial balance of ${id}`);
    const { debit, credit } = tb.body.totals as { debit: number; credit: number };
    totals.push(`${debit} = ${credit} ${tb.body.currency}`);
    if (debit !== credit) unbalanced.push(`${id}: trial balance debits ${debit} ≠ credits ${credit}`);
    const bs = await http.get(`${base}/reports/balance-sheet?asOf=2099-12-31`, { token });
    expectStatus(bs, 200, `balance sheet of ${id}`);
    if (bs.body.balanced !== true) unbalanced.push(`${id}: balance sheet assets ${bs.body.totals.assets} ≠ liabilities and equity ${bs.body.totals.liabilitiesAndEquity}`);

    const a = await financeSnapshot(http, token, id);
    const acked = ledger.acked.get(id) ?? { invoice: [], issue: [], payment: [], journal: [] };
    const unknown = ledger.unknown.get(id) ?? { invoice: 0, issue: 0, payment: 0, journal: 0 };
    const issuedCount = (s: FinanceState) => [...s.invoices.values()].filter((i) => i.status !== "draft").length;
    const deltas = {
      invoices: [a.invoices.size - b.invoices.size, acked.invoice.length, unknown.invoice],
      issued: [issuedCount(a) - issuedCount(b), acked.issue.length, unknown.issue],
      "invoice entries": [a.entries.invoice - b.entries.invoice, acked.issue.length, unknown.issue],
      payments: [a.payments.size - b.payments.size, acked.payment.length, unknown.payment],
      "payment entries": [a.entries.payment - b.entries.payment, acked.payment.length, unknown.payment],
      "manual entries": [a.entries.manual.size - b.entries.manual.size, acked.journal.length, unknown.journal],
      reversals: [a.entries.reversal - b.entries.reversal, 0, 0],
    } as const;
    for (const [what, [delta, n, u]] of Object.entries(deltas)) if (!within(delta, n, u)) countProblems.push(`${id} ${what}: +${delta} for ${n} acknowledged${u ? ` (+${u} unknown)` : ""}`);
    grown.invoices += deltas.invoices[0];
    grown.issued += deltas.issued[0];
    grown.payments += deltas.payments[0];
    grown.manual += deltas["manual entries"][0];
    for (const inv of acked.invoice) if (!a.invoices.has(inv)) missing.push(`invoice ${inv}`);
    for (const inv of acked.issue) if (a.invoices.get(inv)?.status === "draft" || !a.invoices.get(inv)?.number) missing.push(`issue of ${inv}`);
    for (const pay of acked.payment) if (a.payments.get(pay)?.status !== "posted") missing.push(`payment ${pay}`);
    for (const entry of acked.journal) if (!a.entries.manual.has(entry)) missing.push(`journal entry ${entry}`);

    const paidBy = new Map<string, number>();
    for (const p of a.payments.values()) if (p.status === "posted") paidBy.set(p.invoiceId, (paidBy.get(p.invoiceId) ?? 0) + p.amount);
    for (const [invId, inv] of a.invoices) {
      const paid = paidBy.get(invId) ?? 0;
      if (inv.status !== "paid" && inv.status !== "partially_paid" && paid === 0) continue;
      invoicesWithPayments += 1;
      const expectedStatus = inv.total - paid === 0 ? "paid" : "partially_paid";
      if (inv.amountPaid !== paid || inv.amountDue !== inv.total - paid || inv.amountDue < 0 || inv.status !== expectedStatus) {
        dueProblems.push(`${invId}: total ${inv.total}, Σ payments ${paid}, amountPaid ${inv.amountPaid}, amountDue ${inv.amountDue}, status ${inv.status}`);
      }
    }
    for (const [invId, due] of ledger.expectedDue) {
      const inv = a.invoices.get(invId);
      if (!inv || ledger.uncertainInvoices.has(invId)) continue;
      clientCompared += 1;
      if (inv.amountDue !== due) clientProblems.push(`${invId}: server amountDue ${inv.amountDue}, client expected ${due}`);
    }
  }
  const unknownTotal = (["invoice", "issue", "payment", "journal"] as const).reduce((n, w) => n + ledger.total(w, "unknown"), 0);
  const unknownNote = unknownTotal ? `; ${unknownTotal} writes with unknown outcome (timed out) allowed either way` : "";
  const ids = ledger.total("invoice") + ledger.total("issue") + ledger.total("payment") + ledger.total("journal");
  return [
    {
      name: "trial balance balances (debits = credits) and the balance sheet balances",
      ok: unbalanced.length === 0,
      detail: unbalanced.length === 0 ? `${before.size} business(es): ${totals.join("; ")}` : unbalanced.slice(0, 4).join("; "),
    },
    {
      name: "invoices, payments and journal entries persisted = acknowledged writes",
      ok: countProblems.length === 0,
      detail:
        countProblems.length === 0
          ? `persisted/acknowledged: invoices +${grown.invoices}/${ledger.total("invoice")}, issued +${grown.issued}/${ledger.total("issue")}, payments +${grown.payments}/${ledger.total("payment")}, manual entries +${grown.manual}/${ledger.total("journal")}; one journal entry per issue and per payment, no reversals${unknownNote}${ledger.refused ? `; ${ledger.refused} refused` : ""}`
          : `mismatch: ${countProblems.slice(0, 6).join("; ")}`,
    },
    {
      name: "every acknowledged invoice, issue, payment and entry is in the lists",
      ok: missing.length === 0,
      detail: missing.length === 0 ? `all ${ids} ids found` : `missing ${missing.length}: ${missing.slice(0, 6).join("; ")}`,
    },
    {
      name: "amountDue = total − Σ payments ≥ 0 for every paid or partially paid invoice",
      ok: dueProblems.length === 0 && clientProblems.length === 0,
      detail:
        dueProblems.length === 0 && clientProblems.length === 0
          ? `${invoicesWithPayments} invoices with payments consistent; ${clientCompared} match the amount due the client computed from its acknowledged payments`
          : [...dueProblems, ...clientProblems].slice(0, 5).join("; "),
    },
  ];
}

/** The finance reads (and the request kinds the report groups them by); the mixed scenario sends some too. */
export function financeReads(random: () => number, calendar: ReturnType<typeof financeCalendar>) {
  const base = (b: Pick<FinanceBook, "id">) => `/api/v1/businesses/${b.id}`;
  const get = (kind: string, path: string, headers: Record<string, string>): OpenRequest => ({ kind, method: "GET", path, headers });
  const month = () => pick(calendar.monthStarts, random);
  return {
    profitAndLoss: (b: Pick<FinanceBook, "id">, h: Record<string, string>) =>
      random() < 0.5
        ? get("GET /reports/profit-and-loss (year to date)", `${base(b)}/reports/profit-and-loss?from=${calendar.yearStart}&to=${calendar.today}`, h)
        : get("GET /reports/profit-and-loss (a month)", `${base(b)}/reports/profit-and-loss?from=${month()}&to=${calendar.today}`, h),
    trialBalance: (b: Pick<FinanceBook, "id">, h: Record<string, string>) => get("GET /reports/trial-balance", `${base(b)}/reports/trial-balance?asOf=${calendar.today}`, h),
    balanceSheet: (b: Pick<FinanceBook, "id">, h: Record<string, string>) => get("GET /reports/balance-sheet", `${base(b)}/reports/balance-sheet?asOf=${calendar.today}`, h),
    arAging: (b: Pick<FinanceBook, "id">, h: Record<string, string>) => get("GET /reports/ar-aging", `${base(b)}/reports/ar-aging?asOf=${calendar.today}`, h),
    invoiceDetail: (b: Pick<FinanceBook, "id">, h: Record<string, string>, id: string) => get("GET /invoices/{id}", `${base(b)}/invoices/${id}`, h),
    invoicesOpen: (b: Pick<FinanceBook, "id">, h: Record<string, string>) =>
      get("GET /invoices?status=", `${base(b)}/invoices?status=${pick(["issued", "partially_paid", "overdue"] as const, random)}&limit=25`, h),
    invoicesOfCustomer: (b: FinanceBook, h: Record<string, string>) => get("GET /invoices?customerId=", `${base(b)}/invoices?customerId=${pick(b.customerIds, random)}&limit=25`, h),
    paymentsOfInvoice: (b: Pick<FinanceBook, "id">, h: Record<string, string>, id: string) => get("GET /payments?invoiceId=", `${base(b)}/payments?invoiceId=${id}`, h),
  };
}
