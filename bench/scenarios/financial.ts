import {
  AUDIT_ENTRIES,
  FINANCE_VOLUMES,
  type FinanceBook,
  FinanceLedger,
  type FinanceState,
  type FinanceTag,
  financeCalendar,
  financeChecks,
  type FinancePools,
  financePools,
  financeReads,
  financeSnapshot,
  invoiceBody,
  manualEntryBody,
  paymentAmount,
  seedFinance,
} from "../lib/finance.js";
import { type Histogram, newHistogram, recordMs, summarize } from "../lib/histogram.js";
import { type AuditState, auditChecks, auditSnapshot, WriteLedger } from "../lib/integrity.js";
import type { OpenRequest } from "../lib/open-loop.js";
import { prng, type Scenario, weighted } from "../lib/scenario.js";

interface Prepared {
  books: FinanceBook[];
  audit: Map<string, AuditState>;
  state: Map<string, FinanceState>;
  seedSeconds: number;
  seedRequests: number;
  pools: FinancePools;
}

/** The businesses it keeps the books of: after businesses[0] (renamed by realtime-events) and the crm scenario's two. */
function financeBusinessIndexes(n: number): number[] {
  if (n >= 5) return [3, 4];
  if (n >= 2) return [n - 2, n - 1];
  return [0];
}

/**
 * An accounts team at work in two businesses: invoices created, issued and paid (in one or several
 * payments), manual balanced journal entries, and the reports (P&L, trial balance, balance sheet, AR
 * aging) and invoice reads in between. Open-loop at a constant arrival rate; every response's
 * Server-Timing is read. Afterwards the ledger invariants are checked through the API.
 */
const financial: Scenario<Prepared> = {
  name: "financial",
  title: "Financial operations",
  description:
    "Open-loop weighted accounting mix in two businesses: create invoice → issue → pay (one or several payments), manual balanced journal entries (50 % writes in all), P&L, trial balance, balance sheet, AR aging and invoice reads; then trial balance, persisted counts, amounts due and audit checks.",
  writes: true,
  async prepare(ctx) {
    const { founder } = ctx.dataset;
    const token = founder.accessToken;
    const businesses = financeBusinessIndexes(ctx.dataset.businesses.length).map((i) => ctx.dataset.businesses[i]!);
    const volume = ctx.settings.quick ? FINANCE_VOLUMES.quick : FINANCE_VOLUMES.normal;
    const pools = financePools(400, 3_800);
    const random = prng(3_801);
    const started = performance.now();
    const books: FinanceBook[] = [];
    let seedRequests = 0;
    for (const b of businesses) {
      const { book, requests } = await seedFinance(ctx.http, token, b, volume, pools, random);
      books.push(book);
      seedRequests += requests;
    }
    const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
    ctx.progress.log(
      `  financial: seeded ${books.length} business(es) with ${volume.customers} customers (one bulk request), monthly ${books.map((b) => `${b.foreign}/${b.baseCurrency}`).join(", ")} rates and ${volume.invoices} invoices each (drafts, issued, partly paid) in ${seedSeconds.toFixed(1)} s (${seedRequests} requests)`,
    );
    const ids = books.map((b) => b.id);
    const state = new Map<string, FinanceState>();
    for (const id of ids) state.set(id, await financeSnapshot(ctx.http, token, id));
    return { books, audit: await auditSnapshot(ctx.http, token, ids), state, seedSeconds, seedRequests, pools };
  },
  async run(ctx, prepared) {
    const connections = ctx.settings.connections ?? ctx.pick(50, 25);
    const rate = ctx.settings.rate ?? ctx.pick(200, 100);
    const { founder } = ctx.dataset;
    const user = { authorization: `Bearer ${founder.accessToken}` };
    const json = { ...user, "content-type": "application/json" };
    const { books } = prepared;
    const random = prng(3_802);
    const calendar = financeCalendar();
    const { pools } = prepared;
    const reads = financeReads(random, calendar);
    const book = () => books[Math.floor(random() * books.length)]!;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const base = (b: FinanceBook) => `/api/v1/businesses/${b.id}`;
    let fallbacks = 0;

    const createInvoice = (b: FinanceBook): OpenRequest => {
      const currency = random() < 0.2 ? b.foreign : b.baseCurrency;
      const issueDate = calendar.day(random);
      const tag: FinanceTag = { write: "invoice", businessId: b.id, currency, issueDate };
      const body = invoiceBody(pools, random, pick(b.customerIds), currency, issueDate, calendar.plus(issueDate, 30));
      return { kind: "POST /invoices", method: "POST", path: `${base(b)}/invoices`, headers: json, body: JSON.stringify(body), tag };
    };
    // each draft or open invoice has at most one request in flight: it leaves its pool until the answer
    const issue = (b: FinanceBook): OpenRequest => {
      const invoice = b.drafts.shift();
      if (!invoice) {
        fallbacks += 1;
        return createInvoice(b);
      }
      const tag: FinanceTag = { write: "issue", businessId: b.id, invoice };
      return { kind: "POST /invoices/{id}/issue", method: "POST", path: `${base(b)}/invoices/${invoice.id}/issue`, headers: user, tag };
    };
    const pay = (b: FinanceBook): OpenRequest => {
      if (b.open.length === 0) {
        fallbacks += 1;
        return issue(b);
      }
      const invoice = b.open.splice(Math.floor(random() * b.open.length), 1)[0]!;
      const amount = paymentAmount(invoice.due, random);
      const tag: FinanceTag = { write: "payment", businessId: b.id, invoice, amount };
      const body = { invoiceId: invoice.id, amount, date: calendar.after(invoice.issueDate, random) };
      return { kind: amount === invoice.due ? "POST /payments (settles)" : "POST /payments (part)", method: "POST", path: `${base(b)}/payments`, headers: json, body: JSON.stringify(body), tag };
    };
    const journal = (b: FinanceBook): OpenRequest => {
      const tag: FinanceTag = { write: "journal", businessId: b.id };
      return { kind: "POST /journal-entries", method: "POST", path: `${base(b)}/journal-entries`, headers: json, body: JSON.stringify(manualEntryBody(b, random, calendar.day(random))), tag };
    };
    const anInvoice = (b: FinanceBook) => (b.open.length > 0 && random() < 0.5 ? pick(b.open).id : pick(b.known));

    type Make = (b: FinanceBook) => OpenRequest;
    const mix: Array<{ weight: number; value: Make }> = [
      { weight: 14, value: createInvoice },
      { weight: 12, value: issue },
      { weight: 16, value: pay },
      { weight: 8, value: journal },
      { weight: 12, value: (b) => reads.profitAndLoss(b, user) },
      { weight: 12, value: (b) => reads.trialBalance(b, user) },
      { weight: 3, value: (b) => reads.balanceSheet(b, user) },
      { weight: 3, value: (b) => reads.arAging(b, user) },
      { weight: 8, value: (b) => reads.invoiceDetail(b, user, anInvoice(b)) },
      { weight: 6, value: (b) => reads.invoicesOpen(b, user) },
      { weight: 3, value: (b) => reads.invoicesOfCustomer(b, user) },
      { weight: 3, value: (b) => reads.paymentsOfInvoice(b, user, anInvoice(b)) },
    ];

    const audit = new WriteLedger();
    const ledger = new FinanceLedger();
    const byId = new Map(books.map((b) => [b.id, b]));
    let settled = 0;
    const dbByKind = new Map<string, Histogram>();
    const load = await ctx.openLoop({
      connections,
      phases: [{ name: "financial", rate, seconds: ctx.settings.durationSeconds }],
      next: () => weighted(mix, random)(book()),
      readBody: true,
      onComplete: (request, status, body, _at, dbMs) => {
        if (dbMs !== null && request.kind) {
          let h = dbByKind.get(request.kind);
          if (!h) {
            h = newHistogram();
            dbByKind.set(request.kind, h);
          }
          recordMs(h, dbMs);
        }
        const tag = request.tag as FinanceTag | undefined;
        if (!tag) return;
        audit.record(tag.businessId, status, AUDIT_ENTRIES[tag.write]);
        const b = byId.get(tag.businessId)!;
        const invoiceId = tag.write === "issue" || tag.write === "payment" ? tag.invoice.id : undefined;
        if (status === null) {
          ledger.unknownOutcome(tag.businessId, tag.write, invoiceId);
          return;
        }
        if (status >= 300) {
          // a refusal leaves the invoice out of the pools: its state is for the checks to judge
          ledger.refused += 1;
          return;
        }
        const res = JSON.parse(body ?? "{}") as { id: string; total: number; amountDue: number };
        switch (tag.write) {
          case "invoice":
            ledger.acknowledge(b.id, "invoice", res.id);
            b.known.push(res.id);
            b.drafts.push({ id: res.id, currency: tag.currency, issueDate: tag.issueDate, due: res.total });
            break;
          case "issue":
            ledger.acknowledge(b.id, "issue", tag.invoice.id);
            b.open.push({ ...tag.invoice, due: res.amountDue });
            break;
          case "payment": {
            ledger.acknowledge(b.id, "payment", res.id);
            const due = tag.invoice.due - tag.amount;
            ledger.expectedDue.set(tag.invoice.id, due);
            if (due > 0) b.open.push({ ...tag.invoice, due });
            else settled += 1;
            break;
          }
          case "journal":
            ledger.acknowledge(b.id, "journal", res.id);
            break;
        }
      },
    });

    const ids = books.map((b) => b.id);
    const dbKinds = [...dbByKind].map(([kind, h]) => [kind, summarize(h)!] as const).sort((a, b) => b[1].p99 - a[1].p99);
    const dbOf = (kind: string) => {
      const h = dbByKind.get(kind);
      return h ? summarize(h) : null;
    };
    const writes = ledger.total("invoice") + ledger.total("issue") + ledger.total("payment") + ledger.total("journal");
    const volume = ctx.settings.quick ? FINANCE_VOLUMES.quick : FINANCE_VOLUMES.normal;
    return {
      load,
      throughputMeaning: "successful requests/s (offered at a constant rate)",
      latencyMeaning: "scheduled time → response (no coordinated omission)",
      steps: load.kinds,
      extra: {
        offeredRate: rate,
        businesses: ids.length,
        baseCurrencies: books.map((b) => b.baseCurrency).join(", "),
        seededPerBusiness: `${volume.customers} customers, ${volume.invoices} invoices (¼ drafts, ¾ issued, ¼ partly paid), monthly ${books.map((b) => `${b.foreign}/${b.baseCurrency}`).join(" and ")} rates`,
        seedSeconds: prepared.seedSeconds,
        seedRequests: prepared.seedRequests,
        acknowledgedWrites: writes,
        invoicesCreated: ledger.total("invoice"),
        invoicesIssued: ledger.total("issue"),
        payments: ledger.total("payment"),
        invoicesSettled: settled,
        manualEntries: ledger.total("journal"),
        poolFallbacks: fallbacks,
        trialBalanceDbP99Ms: dbOf("GET /reports/trial-balance")?.p99 ?? null,
        paymentDbP99Ms: dbOf("POST /payments (part)")?.p99 ?? null,
        maxBacklog: load.maxBacklog,
      },
      notes: [
        `Seeding (before the clock, not in the figures): ${prepared.seedRequests} requests in ${prepared.seedSeconds} s — customers through POST /companies/bulk, monthly exchange rates, invoices created, issued and partly paid one request each.`,
        `Writes acknowledged: ${ledger.total("invoice")} invoices created, ${ledger.total("issue")} issued, ${ledger.total("payment")} payments (${settled} settling an invoice), ${ledger.total("journal")} manual journal entries; ${fallbacks} picks fell back to the previous step (no draft to issue / no open invoice to pay).`,
        ...(dbKinds.length ? [`Server-Timing db by request (p50 / p99 ms, slowest p99 first): ${dbKinds.map(([k, s]) => `${k} ${s.p50} / ${s.p99}`).join("; ")}.`] : []),
      ],
      verify: async () => {
        const afterAudit = await auditSnapshot(ctx.http, founder.accessToken, ids);
        const finance = await financeChecks(ctx.http, founder.accessToken, prepared.state, ledger);
        return [...finance, ...auditChecks(prepared.audit, afterAudit, audit)];
      },
    };
  },
};

export default financial;
