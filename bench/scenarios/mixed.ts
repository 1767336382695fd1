import { type CrmCounts, type CrmEntity, CrmLedger, type CrmTarget, type CrmWriteTag, crmCountChecks, crmRequests, crmSnapshot, createPools } from "../lib/crm.js";
import { financeCalendar, financeReads } from "../lib/finance.js";
import { type AuditState, auditChecks, auditSnapshot, WriteLedger } from "../lib/integrity.js";
import type { OpenRequest } from "../lib/open-loop.js";
import { prng, type Scenario, weighted } from "../lib/scenario.js";

interface Before {
  audit: Map<string, AuditState>;
  crm: Map<string, CrmCounts>;
}

/**
 * Traffic weighted like a signed-in team using the product: mostly reads of business records,
 * member lists, the caller's profile and business list, audit pages, integrations reading through
 * API keys, the CRM (lead detail pages, lists, search, batch gets, an integration syncing contacts),
 * the books (P&L, trial balance, open invoices: reads only, so the persisted-state checks stay exact),
 * and 5 % writes (renames, and CRM creates). Open-loop at a constant arrival rate over many
 * connections, each connection one user with its own keep-alive socket. Sign-ins are measured in
 * auth-flow, not here (one PBKDF2 per session, ~120 ms of CPU, would be a different experiment).
 */
const mixed: Scenario<Before> = {
  name: "mixed",
  title: "Mixed workload",
  description:
    "Open-loop weighted mix (95 % reads, 17 % of them CRM and 2 % finance reports and invoice lists; 5 % writes: renames and CRM creates) at a constant arrival rate over up to 1,250 connections; latency from each request's scheduled time.",
  writes: true,
  async prepare(ctx) {
    const ids = ctx.dataset.businesses.map((b) => b.id);
    return {
      audit: await auditSnapshot(ctx.http, ctx.dataset.founder.accessToken, ids),
      crm: await crmSnapshot(ctx.http, ctx.dataset.founder.accessToken, ids),
    };
  },
  async run(ctx, before) {
    const connections = ctx.settings.connections ?? ctx.pick(1_250, 100);
    const rate = ctx.settings.rate ?? ctx.pick(10_000, 1_000);
    const { founder, businesses } = ctx.dataset;
    const user = { authorization: `Bearer ${founder.accessToken}` };
    const ids = businesses.map((b) => b.id);
    const tag = Date.now().toString(36);
    const random = prng(1250);
    const business = () => businesses[Math.floor(random() * businesses.length)]!;
    const crm = crmRequests(random, createPools(200, 1251));
    const crmTarget = (): CrmTarget => {
      const b = business();
      return { id: b.id, crm: b.crm };
    };
    const finance = financeReads(random, financeCalendar());
    const financeRead = (make: (b: { id: string }, h: Record<string, string>) => OpenRequest) => () => make(business(), user);
    const crmRead = (make: (t: CrmTarget, h: Record<string, string>) => OpenRequest) => () => make(crmTarget(), user);
    const crmCreate = (entity: CrmEntity) => () => crm.create(crmTarget(), entity, user);

    type Make = (i: number) => OpenRequest;
    const mix: Array<{ weight: number; value: Make }> = [
      { weight: 22, value: () => ({ kind: "GET /businesses/{id}", method: "GET", path: `/api/v1/businesses/${business().id}`, headers: user }) },
      { weight: 12, value: () => ({ kind: "GET /businesses/{id}/members", method: "GET", path: `/api/v1/businesses/${business().id}/members`, headers: user }) },
      { weight: 8, value: () => ({ kind: "GET /me", method: "GET", path: "/api/v1/me", headers: user }) },
      { weight: 8, value: () => ({ kind: "GET /businesses", method: "GET", path: "/api/v1/businesses", headers: user }) },
      {
        weight: 12,
        value: () => {
          const b = business();
          return { kind: "GET /businesses/{id} (API key)", method: "GET", path: `/api/v1/businesses/${b.id}`, headers: { authorization: `Bearer ${b.apiKey}` } };
        },
      },
      { weight: 9, value: () => ({ kind: "GET /businesses/{id}/audit", method: "GET", path: `/api/v1/businesses/${business().id}/audit?limit=20`, headers: user }) },
      { weight: 5, value: () => ({ kind: "GET /businesses/{id}/api-keys", method: "GET", path: `/api/v1/businesses/${business().id}/api-keys`, headers: user }) },
      // CRM reads (17 %): a sales team's pages, and an integration syncing contacts through its API key
      { weight: 5, value: crmRead(crm.leadDetail) },
      { weight: 1, value: crmRead(crm.companyDetail) },
      { weight: 2, value: crmRead(crm.leadsByStatus) },
      { weight: 2, value: crmRead(crm.contactsOfCompany) },
      { weight: 1, value: crmRead(crm.openTasks) },
      { weight: 2, value: crmRead(crm.searchContacts) },
      { weight: 1, value: crmRead(crm.searchCompanies) },
      { weight: 1, value: crmRead(crm.batchContacts) },
      {
        weight: 2,
        value: () => {
          const b = business();
          return { ...crm.contactsUpdated({ id: b.id, crm: b.crm }, { authorization: `Bearer ${b.apiKey}` }), kind: "GET /contacts?sort=-updatedAt (API key)" };
        },
      },
      // finance reads (2 %): the reports and the open invoices of any business (the financial scenario's two have books)
      { weight: 0.8, value: financeRead(finance.trialBalance) },
      { weight: 0.7, value: financeRead(finance.profitAndLoss) },
      { weight: 0.5, value: financeRead(finance.invoicesOpen) },
      // writes (5 %): renames, and CRM creates
      {
        weight: 4,
        value: (i) => {
          const b = business();
          return {
            kind: "PATCH /businesses/{id}",
            method: "PATCH",
            path: `/api/v1/businesses/${b.id}`,
            headers: { ...user, "content-type": "application/json" },
            body: JSON.stringify({ name: `${b.name.slice(0, 150)} · ${tag}.${i}` }),
            tag: b.id,
          };
        },
      },
      { weight: 0.4, value: crmCreate("activities") },
      { weight: 0.25, value: crmCreate("leads") },
      { weight: 0.2, value: crmCreate("contacts") },
      { weight: 0.15, value: crmCreate("companies") },
    ];

    // every acknowledged write (a rename or a CRM create) appends one audit entry to its business
    const ledger = new WriteLedger();
    const creates = new CrmLedger();
    const load = await ctx.openLoop({
      connections,
      phases: [{ name: "mixed", rate, seconds: ctx.settings.durationSeconds }],
      next: (i) => weighted(mix, random)(i),
      onComplete: (request, status) => {
        if (request.method === "PATCH") ledger.record(request.tag as string, status);
        else if (request.method === "POST") {
          const t = request.tag as CrmWriteTag;
          ledger.record(t.businessId, status);
          creates.record(t.businessId, t.entity, status);
        }
      },
    });
    return {
      load,
      throughputMeaning: "successful requests/s (offered at a constant rate)",
      latencyMeaning: "scheduled time → response (no coordinated omission)",
      steps: load.kinds,
      extra: {
        offeredRate: rate,
        connectionsServed: load.connectionsServed,
        acknowledgedWrites: ledger.totalAcknowledged,
        acknowledgedCrmCreates: creates.total("acknowledged"),
        maxBacklog: load.maxBacklog,
      },
      // after the /metrics window: paging every CRM list would otherwise count in the server figures
      verify: async () => {
        const after = await auditSnapshot(ctx.http, founder.accessToken, ids);
        const crmAfter = await crmSnapshot(ctx.http, founder.accessToken, ids);
        return [...auditChecks(before.audit, after, ledger), ...crmCountChecks(before.crm, crmAfter, creates)];
      },
    };
  },
};

export default mixed;
