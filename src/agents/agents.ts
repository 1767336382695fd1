import { z } from "@hono/zod-openapi";
import { verifyAudit } from "../platform/audit.js";
import { currencyExponent, isCurrency } from "../platform/currencies.js";
import { conflict } from "../platform/problem.js";
import type { Db } from "../platform/sql.js";
import type { Tool } from "./model-session.js";
import type { AgentDefinition, ProposalDraft, ProposalKind } from "./registry.js";
import { AgentRegistry } from "./registry.js";
import { newId } from "../platform/ids.js";
import { detectAnomalies, type Entry } from "./anomalies.js";
import { draftReminders } from "./collections.js";
import * as store from "./store.js";
import { forecastCash } from "./forecast.js";
import { fitModel, type LeadFacts, type Model, type Score, scoreByModel, scoreByRules } from "./scoring.js";

// ---------------------------------------------------------------- audit-check

const auditCheckInput = z
  .strictObject({
    checks: z
      .array(z.enum(["audit_chain", "integrity"]))
      .max(2)
      .optional()
      .openapi({ description: "What to check; both by default. An empty list checks nothing (the bench's no-op task)." }),
  })
  .openapi("AuditCheckInput");

const auditCheckOutput = z
  .object({
    healthy: z.boolean(),
    auditChain: z.object({ valid: z.boolean(), entries: z.number().int(), firstInvalidSeq: z.number().int().optional() }).nullable(),
    integrity: z.object({ ok: z.boolean(), messages: z.array(z.string()) }).nullable(),
  })
  .openapi("AuditCheckOutput");

const noSettings = z.strictObject({}).openapi("NoAgentSettings");

export const auditCheck: AgentDefinition = {
  id: "audit-check",
  name: "Audit check",
  description:
    "Verifies the business's hash-chained audit log and the integrity of its database (PRAGMA quick_check) and reports. Changes nothing, so it never asks for approval.",
  input: auditCheckInput,
  output: auditCheckOutput,
  settings: noSettings,
  requires: ["audit:read"],
  policy: { files: [], autoApply: [] },
  async run(ctx) {
    const input = auditCheckInput.parse(ctx.input);
    const checks = new Set(input.checks ?? ["audit_chain", "integrity"]);
    return ctx.read((db) => {
      const auditChain = checks.has("audit_chain") ? verifyAudit(db) : null;
      let integrity: { ok: boolean; messages: string[] } | null = null;
      if (checks.has("integrity")) {
        const rows = db.all<{ quick_check: string }>("PRAGMA quick_check(20)");
        const messages = rows.map((r) => r.quick_check);
        integrity = { ok: messages.length === 1 && messages[0] === "ok", messages: messages.filter((m) => m !== "ok") };
      }
      return { output: { healthy: (auditChain?.valid ?? true) && (integrity?.ok ?? true), auditChain, integrity } };
    });
  },
};

// ---------------------------------------------------------------- lead-scoring

export const leadScorePayload = z
  .strictObject({
    score: z.number().int().min(0).max(100),
    reasons: z.array(z.string().max(300)).max(20),
    previousScore: z.number().int().nullable(),
  })
  .openapi("LeadScoreProposal");

export const leadScoreKind: ProposalKind = {
  kind: "lead.score",
  description: "Sets a lead's score and its reasons. Harmless: it changes no money and sends nothing.",
  money: false,
  approvePermission: "crm:write",
  payload: leadScorePayload,
  apply(db, rec, { targetId, payload }) {
    const p = leadScorePayload.parse(payload);
    const lead = db.get<{ score: number | null; score_reasons: string }>("SELECT score, score_reasons FROM leads WHERE id = ?", targetId);
    if (!lead) throw conflict("The lead of this proposal no longer exists.");
    db.run("UPDATE leads SET score = ?, score_reasons = ?, updated_at = ? WHERE id = ?", p.score, JSON.stringify(p.reasons), rec.at, targetId);
    rec.record({
      action: "lead.updated",
      targetType: "lead",
      targetId,
      changes: { score: { from: lead.score, to: p.score }, scoreReasons: { from: JSON.parse(lead.score_reasons), to: p.reasons } },
    });
  },
};

const leadScoringInput = z
  .strictObject({
    leadIds: z.array(z.string().min(1).max(64)).min(1).max(1000).optional().openapi({ description: "Only these leads; every open lead by default." }),
  })
  .openapi("LeadScoringInput");

const leadScoringOutput = z
  .object({
    method: z.enum(["rules", "model"]),
    historySize: z.number().int(),
    scored: z.number().int(),
    unchanged: z.number().int(),
    proposals: z.number().int(),
    scores: z.array(z.object({ leadId: z.string(), score: z.number().int(), reasons: z.array(z.string()) })),
  })
  .openapi("LeadScoringOutput");

const leadScoringSettings = z
  .strictObject({
    autoApply: z.boolean().optional().openapi({ description: "Apply new scores without asking (scores are harmless). Off by default." }),
  })
  .openapi("LeadScoringSettings");

interface LeadRow {
  id: string;
  status: string;
  value: number | null;
  currency: string | null;
  created_at: string;
  score: number | null;
  score_reasons: string;
  company_id: string | null;
  domain: string | null;
  industry: string | null;
  size: string | null;
  contact_id: string | null;
  email: string | null;
  phone: string | null;
  deal_status: string | null;
  activity_count: number | null;
  last_activity: string | null;
}

const LEAD_QUERY = `
  SELECT l.id, l.status, l.value, l.currency, l.created_at, l.score, l.score_reasons,
         c.id AS company_id, c.domain, c.industry, c.size, p.id AS contact_id, p.email, p.phone,
         d.status AS deal_status, a.n AS activity_count, a.last AS last_activity
  FROM leads l
  LEFT JOIN companies c ON c.id = l.company_id
  LEFT JOIN contacts p ON p.id = l.contact_id
  LEFT JOIN deals d ON d.id = l.deal_id
  LEFT JOIN (SELECT lead_id, count(*) AS n, max(created_at) AS last FROM activities WHERE lead_id IS NOT NULL GROUP BY lead_id) a ON a.lead_id = l.id`;

const MAX_LEADS = 5000;
const DAY = 86_400_000;

function factsOf(row: LeadRow, now: number): LeadFacts {
  let value: number | null = null;
  if (row.value !== null) value = row.currency && isCurrency(row.currency) ? row.value / 10 ** currencyExponent(row.currency) : row.value / 100;
  const status = row.status === "qualified" || row.status === "contacted" ? row.status : "new";
  return {
    status,
    value,
    hasCompany: row.company_id !== null,
    companyHasDomain: !!row.domain,
    companyHasIndustry: !!row.industry,
    companySize: row.size,
    hasContact: row.contact_id !== null,
    contactHasEmail: !!row.email,
    contactHasPhone: !!row.phone,
    activityCount: row.activity_count ?? 0,
    daysSinceActivity: row.last_activity ? Math.max(0, (now - Date.parse(row.last_activity)) / DAY) : null,
    ageDays: Math.max(0, (now - Date.parse(row.created_at)) / DAY),
  };
}

/** Won: converted into a deal that was won. Lost: unqualified, or converted into a deal that was lost. */
function history(db: Db, now: number): { facts: LeadFacts; won: boolean }[] {
  const rows = db.all<LeadRow>(`${LEAD_QUERY} WHERE l.status = 'unqualified' OR (l.status = 'converted' AND d.status IN ('won', 'lost')) ORDER BY l.seq DESC LIMIT ?`, MAX_LEADS);
  // the outcome is known; the facts are scored as they would have been while the lead was open
  return rows.map((r) => ({ facts: factsOf({ ...r, status: "qualified" }, now), won: r.deal_status === "won" }));
}

export const leadScoring: AgentDefinition = {
  id: "lead-scoring",
  name: "Lead scoring",
  description:
    "Scores every open lead 0–100 with its reasons: fit from company and contact facts, engagement from activity count and recency, and value. Learns from this business's won and lost leads (logistic regression) once there are at least 20 with 5 of each; rules before that. Files a lead.score proposal per changed score.",
  input: leadScoringInput,
  output: leadScoringOutput,
  settings: leadScoringSettings,
  requires: ["crm:read"],
  policy: { files: ["lead.score"], autoApply: ["lead.score"] },
  triggers: {
    events: ["lead.created"],
    input: (events) => ({ leadIds: [...new Set(events.map((e) => e.subjectId))].slice(0, 1000) }),
  },
  async run(ctx) {
    const input = leadScoringInput.parse(ctx.input);
    const now = Date.now();
    const { rows, past } = ctx.read((db) => {
      const past = history(db, now);
      const rows = input.leadIds
        ? db.all<LeadRow>(`${LEAD_QUERY} WHERE l.id IN (SELECT value FROM json_each(?)) AND l.status IN ('new', 'contacted', 'qualified')`, JSON.stringify(input.leadIds))
        : db.all<LeadRow>(`${LEAD_QUERY} WHERE l.status IN ('new', 'contacted', 'qualified') ORDER BY l.seq LIMIT ?`, MAX_LEADS);
      return { rows, past };
    });
    const model: Model | undefined = fitModel(past);
    const proposals: ProposalDraft[] = [];
    const scores: { leadId: string; score: number; reasons: string[] }[] = [];
    let unchanged = 0;
    for (const row of rows) {
      const s: Score = model ? scoreByModel(model, factsOf(row, now)) : scoreByRules(factsOf(row, now));
      scores.push({ leadId: row.id, score: s.score, reasons: s.reasons });
      if (row.score === s.score && row.score_reasons === JSON.stringify(s.reasons)) {
        unchanged += 1;
        continue;
      }
      proposals.push({
        kind: "lead.score",
        targetType: "lead",
        targetId: row.id,
        summary: `Score lead ${row.id} ${s.score}/100 (was ${row.score ?? "unscored"})`,
        payload: { score: s.score, reasons: s.reasons, previousScore: row.score },
      });
    }
    ctx.progress(`scored ${rows.length} leads`, { method: model ? "model" : "rules" });
    return {
      output: { method: model ? "model" : "rules", historySize: past.length, scored: rows.length, unchanged, proposals: proposals.length, scores: scores.slice(0, 200) },
      proposals,
    };
  },
};

// ---------------------------------------------------------------- collections

export const reminderPayload = z
  .strictObject({
    to: z.string().email().max(320),
    subject: z.string().max(300),
    body: z.string().max(20_000),
    tone: z.enum(["friendly", "firm", "final"]),
    daysOverdue: z.number().int(),
    invoiceIds: z.array(z.string()).max(500),
  })
  .openapi("CollectionsReminderProposal");

/** Sending a message has consequences: a person approves every reminder; it is never auto-applied. */
export const reminderKind: ProposalKind = {
  kind: "collections.reminder",
  description: "Sends a payment reminder to a customer: recorded as an email activity on the company and put in the outbox.",
  money: false,
  approvePermission: "finance:write",
  payload: reminderPayload,
  apply(db, rec, { id, targetId, payload }) {
    const p = reminderPayload.parse(payload);
    if (!db.get("SELECT 1 AS one FROM companies WHERE id = ?", targetId)) throw conflict("The customer of this reminder no longer exists.");
    const activityId = newId("act", Date.parse(rec.at));
    db.run(
      "INSERT INTO activities (id, type, subject, body, done, done_at, company_id, created_at, updated_at) VALUES (?, 'email', ?, ?, 1, ?, ?, ?, ?)",
      activityId,
      p.subject,
      p.body,
      rec.at,
      targetId,
      rec.at,
      rec.at,
    );
    rec.record({ action: "activity.created", targetType: "activity", targetId: activityId, changes: { type: "email", subject: p.subject, companyId: targetId, done: true } });
    const outboxId = newId("msg");
    store.insertOutbox(db, { id: outboxId, proposalId: id, to: p.to, subject: p.subject, body: p.body, at: rec.at });
    rec.record({ action: "agent_outbox.queued", targetType: "agent_outbox", targetId: outboxId, changes: { to: p.to, subject: p.subject, activityId } });
  },
};

const collectionsInput = z.strictObject({}).openapi("CollectionsInput");
const collectionsOutput = z
  .object({
    overdueInvoices: z.number().int(),
    reminders: z.array(z.object({ customerId: z.string(), customerName: z.string(), to: z.string(), tone: z.enum(["friendly", "firm", "final"]), daysOverdue: z.number().int(), invoiceIds: z.array(z.string()) })),
    alreadyProposed: z.array(z.string()).openapi({ description: "Customers with a reminder still awaiting a decision: none drafted again." }),
    withoutEmail: z.array(z.object({ customerId: z.string(), customerName: z.string() })),
  })
  .openapi("CollectionsOutput");

export const collections: AgentDefinition = {
  id: "collections",
  name: "Collections",
  description:
    "Finds overdue invoices and drafts one payment reminder per customer (friendly up to 14 days overdue, firm up to 45, final after), sent to the first contact with an email at the customer company. Each reminder is a proposal: once approved it is recorded as an email activity and delivered from the outbox (by SMTP when SMTP_URL is set).",
  input: collectionsInput,
  output: collectionsOutput,
  settings: noSettings,
  requires: ["finance:read"],
  policy: { files: ["collections.reminder"], autoApply: [] },
  async run(ctx) {
    collectionsInput.parse(ctx.input);
    const today = new Date().toISOString().slice(0, 10);
    const { invoices, pendingCustomers } = ctx.read((db) => {
      const invoices = db
        .all<{ id: string; number: string | null; customer_id: string; name: string | null; email: string | null; currency: string; due: number; due_date: string }>(
          `SELECT i.id, i.number, i.customer_id, c.name, i.currency, i.total - i.amount_paid AS due, i.due_date,
                  (SELECT email FROM contacts WHERE company_id = i.customer_id AND email IS NOT NULL ORDER BY seq LIMIT 1) AS email
           FROM invoices i LEFT JOIN companies c ON c.id = i.customer_id
           WHERE i.state = 'issued' AND i.amount_paid < i.total AND i.due_date < ? ORDER BY i.due_date LIMIT 5000`,
          today,
        )
        .map((r) => ({
          invoiceId: r.id,
          number: r.number,
          customerId: r.customer_id,
          customerName: r.name ?? r.customer_id,
          email: r.email,
          currency: r.currency,
          amountDue: r.due,
          exponent: isCurrency(r.currency) ? currencyExponent(r.currency) : 2,
          dueDate: r.due_date,
        }));
      const pendingCustomers = db
        .all<{ target_id: string }>("SELECT target_id FROM agent_proposals WHERE status = 'pending' AND kind = 'collections.reminder' AND expires_at > ?", new Date().toISOString())
        .map((r) => r.target_id);
      return { invoices, pendingCustomers };
    });
    const waiting = new Set(pendingCustomers);
    const { reminders, withoutEmail } = draftReminders(
      invoices.filter((i) => !waiting.has(i.customerId)),
      today,
      ctx.businessName,
    );
    return {
      output: {
        overdueInvoices: invoices.length,
        reminders: reminders.map(({ subject: _s, body: _b, ...r }) => r),
        alreadyProposed: [...new Set(invoices.filter((i) => waiting.has(i.customerId)).map((i) => i.customerId))],
        withoutEmail,
      },
      proposals: reminders.map((r) => ({
        kind: "collections.reminder",
        targetType: "company",
        targetId: r.customerId,
        summary: `Send a ${r.tone} reminder to ${r.customerName} <${r.to}> about ${r.invoiceIds.length} overdue invoice(s)`,
        payload: { to: r.to, subject: r.subject, body: r.body, tone: r.tone, daysOverdue: r.daysOverdue, invoiceIds: r.invoiceIds },
      })),
    };
  },
};

// ---------------------------------------------------------------- anomaly-detection

const anomalyInput = z
  .strictObject({
    days: z.number().int().min(1).max(366).optional().openapi({ description: "Flag entries and payments of the last `days` days (default 30); the year before them is the history they are compared with." }),
  })
  .openapi("AnomalyDetectionInput");

const flag = z.object({
  kind: z.enum(["unusual_amount", "duplicate", "weekend", "round_amount", "first_time_counterparty"]),
  subjectType: z.enum(["journal_entry", "payment"]),
  subjectId: z.string(),
  date: z.string(),
  amount: z.number().int().openapi({ description: "Base-currency minor units." }),
  explanation: z.string(),
});

const anomalyOutput = z
  .object({
    from: z.string(),
    currency: z.string(),
    scanned: z.object({ entries: z.number().int(), payments: z.number().int() }),
    flags: z.array(flag),
  })
  .openapi("AnomalyDetectionOutput");

const MAX_POSTINGS = 50_000;
const HISTORY_DAYS = 365;

export const anomalyDetection: AgentDefinition = {
  id: "anomaly-detection",
  name: "Anomaly detection",
  description:
    "Flags unusual journal entries and payments, each with its explanation: amounts far from the account's usual (robust z-scores), likely duplicates, weekend postings, round manual amounts, large first payments from a new customer. Changes nothing.",
  input: anomalyInput,
  output: anomalyOutput,
  settings: noSettings,
  requires: ["finance:read"],
  policy: { files: [], autoApply: [] },
  async run(ctx) {
    const { days = 30 } = anomalyInput.parse(ctx.input);
    const now = Date.now();
    const from = new Date(now - days * DAY).toISOString().slice(0, 10);
    const historyFrom = new Date(now - (days + HISTORY_DAYS) * DAY).toISOString().slice(0, 10);
    const { entries, payments } = ctx.read((db) => {
      const rows = db.all<{
        id: string;
        date: string;
        memo: string | null;
        source_type: string;
        reversed_by: string | null;
        account_id: string;
        account_name: string;
        base_debit: number;
        base_credit: number;
      }>(
        `SELECT e.id, e.date, e.memo, e.source_type, e.reversed_by, p.account_id, a.name AS account_name, p.base_debit, p.base_credit
         FROM journal_entries e JOIN postings p ON p.entry_seq = e.seq JOIN accounts a ON a.id = p.account_id
         WHERE e.date >= ? ORDER BY e.seq, p.seq LIMIT ?`,
        historyFrom,
        MAX_POSTINGS,
      );
      const byId = new Map<string, Entry>();
      for (const r of rows) {
        let e = byId.get(r.id);
        if (!e) {
          e = { id: r.id, date: r.date, memo: r.memo, sourceType: r.source_type, reversed: r.reversed_by !== null, lines: [] };
          byId.set(r.id, e);
        }
        e.lines.push({ accountId: r.account_id, accountName: r.account_name, debit: r.base_debit, credit: r.base_credit });
      }
      const payments = db
        .all<{ id: string; date: string; customer_id: string; customer_name: string | null; base_amount: number }>(
          `SELECT p.id, p.date, i.customer_id, c.name AS customer_name, p.base_amount
           FROM payments p JOIN invoices i ON i.id = p.invoice_id LEFT JOIN companies c ON c.id = i.customer_id
           WHERE p.void_entry_id IS NULL AND p.date >= ? ORDER BY p.date, p.id LIMIT ?`,
          historyFrom,
          MAX_POSTINGS,
        )
        .map((p) => ({ id: p.id, date: p.date, customerId: p.customer_id, customerName: p.customer_name, amount: p.base_amount }));
      return { entries: [...byId.values()], payments };
    });
    const exponent = isCurrency(ctx.baseCurrency) ? currencyExponent(ctx.baseCurrency) : 2;
    const flags = detectAnomalies(entries, payments, exponent, from);
    ctx.progress(`checked ${entries.length} entries and ${payments.length} payments`, { flags: flags.length });
    return { output: { from, currency: ctx.baseCurrency, scanned: { entries: entries.length, payments: payments.length }, flags: flags.slice(0, 500) } };
  },
};

// ---------------------------------------------------------------- cash-forecast

const forecastInput = z
  .strictObject({
    horizonDays: z.number().int().min(1).max(365).optional().openapi({ description: "Days to project (default 90)." }),
  })
  .openapi("CashForecastInput");

const forecastPoint = z.object({ date: z.string(), expected: z.number().int(), low: z.number().int(), high: z.number().int() });
const forecastOutput = z
  .object({
    currency: z.string(),
    asOf: z.string(),
    openingCash: z.number().int(),
    dailyOutflow: z.number().int().openapi({ description: "Average cash paid out per day over the last 90 days." }),
    receivables: z.array(
      z.object({ invoiceId: z.string(), amountDue: z.number().int(), expectedDate: z.string(), daysLate: z.number().int(), basis: z.enum(["customer", "business", "none"]) }),
    ),
    series: z.array(forecastPoint).openapi({ description: "Expected cash per day with a 90 % band (low, high); base-currency minor units." }),
    lowestExpected: forecastPoint,
    firstBelowZero: z.string().nullable(),
  })
  .openapi("CashForecastOutput");

const OUTFLOW_DAYS = 90;

export const cashForecast: AgentDefinition = {
  id: "cash-forecast",
  name: "Cash forecast",
  description:
    "Projects cash for the next 90 days: today's cash, plus open receivables on their due dates shifted by each customer's payment history, minus the recent daily outflow; a daily series with a 90 % confidence band, in the base currency. Changes nothing.",
  input: forecastInput,
  output: forecastOutput,
  settings: noSettings,
  requires: ["finance:read"],
  policy: { files: [], autoApply: [] },
  async run(ctx) {
    const { horizonDays = 90 } = forecastInput.parse(ctx.input);
    const today = new Date().toISOString().slice(0, 10);
    const since = new Date(Date.now() - OUTFLOW_DAYS * DAY).toISOString().slice(0, 10);
    const data = ctx.read((db) => {
      const cashAccounts = "SELECT id FROM accounts WHERE system_key = 'cash'";
      const opening = db.get<{ v: number | null }>(`SELECT sum(base_debit - base_credit) AS v FROM ledger_daily WHERE account_id IN (${cashAccounts}) AND date <= ?`, today)?.v ?? 0;
      const outflowRows = db.all<{ date: string; v: number }>(
        `SELECT date, sum(base_credit) AS v FROM ledger_daily WHERE account_id IN (${cashAccounts}) AND date > ? AND date <= ? GROUP BY date`,
        since,
        today,
      );
      const receivables = db
        .all<{ id: string; customer_id: string; due_date: string; total: number; amount_paid: number; base_total: number | null }>(
          "SELECT id, customer_id, due_date, total, amount_paid, base_total FROM invoices WHERE state = 'issued' AND amount_paid < total ORDER BY due_date LIMIT 5000",
        )
        .map((r) => ({
          invoiceId: r.id,
          customerId: r.customer_id,
          dueDate: r.due_date,
          amountDue: Math.round(((r.base_total ?? r.total) * (r.total - r.amount_paid)) / r.total),
        }));
      const paid = db
        .all<{ customer_id: string; due_date: string; paid_date: string }>(
          `SELECT i.customer_id, i.due_date, max(p.date) AS paid_date FROM invoices i JOIN payments p ON p.invoice_id = i.id AND p.void_entry_id IS NULL
           WHERE i.state = 'issued' AND i.amount_paid >= i.total GROUP BY i.id ORDER BY i.due_date DESC LIMIT 5000`,
        )
        .map((r) => ({ customerId: r.customer_id, dueDate: r.due_date, paidDate: r.paid_date }));
      return { opening, outflowRows, receivables, paid };
    });
    const byDate = new Map(data.outflowRows.map((r) => [r.date, r.v]));
    const dailyOutflows = Array.from({ length: OUTFLOW_DAYS }, (_, i) => byDate.get(new Date(Date.now() - i * DAY).toISOString().slice(0, 10)) ?? 0);
    const forecast = forecastCash({ today, openingCash: data.opening, receivables: data.receivables, paid: data.paid, dailyOutflows, horizonDays });
    return { output: { currency: ctx.baseCurrency, asOf: today, ...forecast } };
  },
};

// ---------------------------------------------------------------- assistant

const assistantInput = z.strictObject({ question: z.string().trim().min(1).max(2000) }).openapi("AssistantInput");
const citation = z.object({ figure: z.string(), value: z.unknown(), source: z.string() });
const assistantOutput = z
  .object({
    answered: z.boolean(),
    answer: z.string(),
    method: z.enum(["model", "rules"]),
    citations: z.array(citation),
  })
  .openapi("AssistantOutput");

const RECORD_KINDS = ["companies", "contacts", "leads", "deals", "activities", "agent_tasks"] as const;

/** Read-only business functions: what the assistant (and the model through it) may look at. Never raw SQL from outside. */
const facts = {
  count(db: Db, kind: (typeof RECORD_KINDS)[number]): number {
    return db.get<{ n: number }>(`SELECT count(*) AS n FROM ${kind}`)!.n;
  },
  openDeals(db: Db) {
    return db.all<{ currency: string | null; deals: number; value: number }>(
      "SELECT currency, count(*) AS deals, coalesce(sum(value), 0) AS value FROM deals WHERE status = 'open' GROUP BY currency ORDER BY currency",
    );
  },
  leadsByStatus(db: Db) {
    return db.all<{ status: string; leads: number }>("SELECT status, count(*) AS leads FROM leads GROUP BY status ORDER BY status");
  },
  auditStatus(db: Db) {
    return verifyAudit(db);
  },
};

function assistantTools(read: <T>(fn: (db: Db) => T) => T): Tool[] {
  return [
    {
      spec: {
        name: "count_records",
        description: "How many records of one kind the business has.",
        parameters: { type: "object", properties: { kind: { type: "string", enum: [...RECORD_KINDS] } }, required: ["kind"], additionalProperties: false },
      },
      run(args) {
        const { kind } = z.object({ kind: z.enum(RECORD_KINDS) }).parse(args);
        return { kind, count: read((db) => facts.count(db, kind)) };
      },
    },
    {
      spec: { name: "open_deals", description: "Open deals: their number and total value per currency (minor units).", parameters: { type: "object", properties: {} } },
      run: () => read((db) => facts.openDeals(db)),
    },
    {
      spec: { name: "leads_by_status", description: "The number of leads in each status.", parameters: { type: "object", properties: {} } },
      run: () => read((db) => facts.leadsByStatus(db)),
    },
    {
      spec: { name: "audit_status", description: "Whether the audit chain verifies, and its number of entries.", parameters: { type: "object", properties: {} } },
      run: () => read((db) => facts.auditStatus(db)),
    },
  ];
}

/** The question forms answered without a model. */
export function answerByRules(question: string, read: <T>(fn: (db: Db) => T) => T): z.infer<typeof assistantOutput> {
  const q = question.toLowerCase();
  const count = /how many (companies|contacts|leads|deals|activities|agent tasks)\b/.exec(q);
  if (count) {
    const kind = count[1]!.replace(" ", "_") as (typeof RECORD_KINDS)[number];
    const n = read((db) => facts.count(db, kind));
    return { answered: true, method: "rules", answer: `The business has ${n} ${count[1]}.`, citations: [{ figure: `${kind} count`, value: n, source: kind }] };
  }
  if (/\b(pipeline|open deals?)\b/.test(q)) {
    const rows = read((db) => facts.openDeals(db));
    const text = rows.length === 0 ? "There are no open deals." : `Open deals: ${rows.map((r) => `${r.deals} worth ${r.value} minor units of ${r.currency ?? "no currency"}`).join("; ")}.`;
    return { answered: true, method: "rules", answer: text, citations: rows.map((r) => ({ figure: `open deals in ${r.currency ?? "none"}`, value: r, source: "deals" })) };
  }
  if (/\bleads? by status\b|\bstatus of (the )?leads\b/.test(q)) {
    const rows = read((db) => facts.leadsByStatus(db));
    return {
      answered: true,
      method: "rules",
      answer: rows.length === 0 ? "There are no leads." : `Leads by status: ${rows.map((r) => `${r.status} ${r.leads}`).join(", ")}.`,
      citations: rows.map((r) => ({ figure: `leads ${r.status}`, value: r.leads, source: "leads" })),
    };
  }
  if (/\baudit\b/.test(q)) {
    const status = read((db) => facts.auditStatus(db));
    return {
      answered: true,
      method: "rules",
      answer: status.valid ? `The audit chain verifies: ${status.entries} entries, none altered.` : `The audit chain is broken at entry ${status.firstInvalidSeq}.`,
      citations: [{ figure: "audit chain", value: status, source: "audit_log" }],
    };
  }
  return {
    answered: false,
    method: "rules",
    answer:
      "Without a language model I can answer: how many companies/contacts/leads/deals/activities/agent tasks; the open pipeline (open deals); leads by status; whether the audit log verifies.",
    citations: [],
  };
}

export const assistant: AgentDefinition = {
  id: "assistant",
  name: "Assistant",
  description:
    "Answers a question about the business. With a model configured it calls read-only tools (counts, open deals, leads by status, audit status) and cites the figures it used; without one it answers a documented set of question forms and says plainly when it cannot.",
  input: assistantInput,
  output: assistantOutput,
  settings: noSettings,
  requires: ["crm:read"],
  policy: { files: [], autoApply: [] },
  async run(ctx) {
    const { question } = assistantInput.parse(ctx.input);
    if (!ctx.model) return { output: answerByRules(question, ctx.read) };
    const { text, used } = await ctx.model.runWithTools(
      "You answer questions about one business using only the tools given. Cite the figures you used. If the tools cannot answer, say so plainly.",
      question,
      assistantTools(ctx.read),
    );
    return {
      output: { answered: true, method: "model", answer: text, citations: used.map((u) => ({ figure: u.name, value: u.result, source: `tool:${u.name}` })) },
    };
  },
};

export const BUILT_IN_AGENTS: readonly AgentDefinition[] = [auditCheck, leadScoring, collections, anomalyDetection, cashForecast, assistant];
export const BUILT_IN_KINDS: readonly ProposalKind[] = [leadScoreKind, reminderKind];

export function builtInAgents(): AgentRegistry {
  return new AgentRegistry([...BUILT_IN_AGENTS], [...BUILT_IN_KINDS]);
}
