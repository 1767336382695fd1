import { type CreatePools, type CrmCounts, CrmLedger, type CrmTarget, type CrmWriteTag, crmCountChecks, crmRequests, crmSnapshot, createPools } from "../lib/crm.js";
import { type Histogram, newHistogram, recordMs, summarize } from "../lib/histogram.js";
import { type AuditState, auditChecks, auditSnapshot, WriteLedger } from "../lib/integrity.js";
import type { OpenRequest } from "../lib/open-loop.js";
import { prng, type Scenario, weighted } from "../lib/scenario.js";

interface Prepared {
  audit: Map<string, AuditState>;
  counts: Map<string, CrmCounts>;
  pools: CreatePools;
}

/**
 * A sales team working in the CRM of the businesses with the large seeded books: lead detail pages with
 * their company, people and timeline embedded, filtered and sorted lists, type-ahead search, batch gets
 * by id, and creates (companies, contacts, leads, activities). Open-loop at a constant arrival rate, so
 * latency counts from each request's scheduled time and every response's Server-Timing is read.
 */
const crm: Scenario<Prepared> = {
  name: "crm",
  title: "CRM",
  description:
    "Open-loop weighted CRM mix in the businesses with the large seeded books: lead detail with include=company,contacts,activities, filtered and sorted lists, search q=, batch get ids=, and 15 % creates (company, contact, lead, activity).",
  writes: true,
  async prepare(ctx) {
    const { founder } = ctx.dataset;
    const ids = ctx.dataset.crm.focusIds;
    return {
      audit: await auditSnapshot(ctx.http, founder.accessToken, ids),
      counts: await crmSnapshot(ctx.http, founder.accessToken, ids),
      pools: createPools(500, 3601),
    };
  },
  async run(ctx, prepared) {
    const connections = ctx.settings.connections ?? ctx.pick(100, 50);
    const rate = ctx.settings.rate ?? ctx.pick(600, 300);
    const { founder } = ctx.dataset;
    const user = { authorization: `Bearer ${founder.accessToken}` };
    const focus = new Set(ctx.dataset.crm.focusIds);
    const targets: CrmTarget[] = ctx.dataset.businesses.filter((b) => focus.has(b.id)).map((b) => ({ id: b.id, crm: b.crm }));
    const random = prng(3600);
    const target = () => targets[Math.floor(random() * targets.length)]!;
    const r = crmRequests(random, prepared.pools);

    type Make = () => OpenRequest;
    const read = (make: (t: CrmTarget, h: Record<string, string>) => OpenRequest): Make => () => make(target(), user);
    const mix: Array<{ weight: number; value: Make }> = [
      { weight: 24, value: read(r.leadDetail) },
      { weight: 6, value: read(r.companyDetail) },
      { weight: 7, value: read(r.leadsByStatus) },
      { weight: 5, value: read(r.leadsByOwner) },
      { weight: 7, value: read(r.contactsOfCompany) },
      { weight: 5, value: read(r.companiesByIndustry) },
      { weight: 4, value: read(r.openTasks) },
      { weight: 5, value: read(r.leadTimeline) },
      { weight: 6, value: read(r.searchContacts) },
      { weight: 2, value: read(r.searchContactsSorted) },
      { weight: 4, value: read(r.searchCompanies) },
      { weight: 3, value: read(r.searchLeads) },
      { weight: 4, value: read(r.batchContacts) },
      { weight: 3, value: read(r.batchLeads) },
      { weight: 2, value: () => r.create(target(), "companies", user) },
      { weight: 3, value: () => r.create(target(), "contacts", user) },
      { weight: 4, value: () => r.create(target(), "leads", user) },
      { weight: 6, value: () => r.create(target(), "activities", user) },
    ];

    const audit = new WriteLedger();
    const creates = new CrmLedger();
    const dbByKind = new Map<string, Histogram>();
    const load = await ctx.openLoop({
      connections,
      phases: [{ name: "crm", rate, seconds: ctx.settings.durationSeconds }],
      next: () => weighted(mix, random)(),
      onComplete: (request, status, _body, _at, dbMs) => {
        if (request.method === "POST") {
          const tag = request.tag as CrmWriteTag;
          audit.record(tag.businessId, status);
          creates.record(tag.businessId, tag.entity, status);
        }
        if (dbMs !== null && request.kind) {
          let h = dbByKind.get(request.kind);
          if (!h) {
            h = newHistogram();
            dbByKind.set(request.kind, h);
          }
          recordMs(h, dbMs);
        }
      },
    });

    const ids = [...focus];
    const dbKinds = [...dbByKind].map(([kind, h]) => [kind, summarize(h)!] as const).sort((a, b) => b[1].p99 - a[1].p99);
    const leadDetail = dbByKind.get("GET /leads/{id}?include=company,contacts,activities");
    const leadDetailDb = leadDetail ? summarize(leadDetail) : null;
    const volume = ctx.dataset.crm.focusVolume;
    return {
      load,
      throughputMeaning: "successful requests/s (offered at a constant rate)",
      latencyMeaning: "scheduled time → response (no coordinated omission)",
      steps: load.kinds,
      extra: {
        offeredRate: rate,
        businesses: ids.length,
        seededPerBusiness: `${volume.companies} companies, ${volume.contacts} contacts, ${volume.leads} leads, ${volume.activities} activities`,
        acknowledgedCreates: creates.total("acknowledged"),
        leadDetailDbP50Ms: leadDetailDb?.p50 ?? null,
        leadDetailDbP99Ms: leadDetailDb?.p99 ?? null,
        maxBacklog: load.maxBacklog,
      },
      notes: dbKinds.length
        ? [`Server-Timing db by request (p50 / p99 ms, slowest p99 first): ${dbKinds.map(([k, s]) => `${k} ${s.p50} / ${s.p99}`).join("; ")}.`]
        : [],
      verify: async () => {
        const afterAudit = await auditSnapshot(ctx.http, founder.accessToken, ids);
        const afterCounts = await crmSnapshot(ctx.http, founder.accessToken, ids);
        return [...crmCountChecks(prepared.counts, afterCounts, creates), ...auditChecks(prepared.audit, afterAudit, audit)];
      },
    };
  },
};

export default crm;
