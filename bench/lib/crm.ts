import { faker } from "@faker-js/faker";
import { expectStatus, type Http } from "./http.js";
import type { OpenRequest } from "./open-loop.js";
import type { Check } from "./types.js";

/**
 * The CRM part of the bench dataset and the CRM requests the crm and mixed scenarios send. Everything is
 * seeded through the HTTP API (POST /<things>/bulk, at most 1,000 records and well under the 1 MiB body
 * limit per request) from a plan drawn with faker before the first request, so the data is the same every
 * run whatever order the server answers in.
 */

export const CRM_ENTITIES = ["companies", "contacts", "leads", "activities"] as const;
export type CrmEntity = (typeof CRM_ENTITIES)[number];
export type CrmCounts = Record<CrmEntity, number>;

export interface CrmVolume {
  companies: number;
  contacts: number;
  leads: number;
  activities: number;
}

/**
 * Records per business. The "focus" businesses are the ones the crm scenario works in: a few thousand
 * records of each kind in a normal run; every other business gets a small book of its own (the mixed
 * scenario reads and writes it). --quick seeds about a tenth.
 */
export const CRM_VOLUMES = {
  normal: { focus: { companies: 2_000, contacts: 4_000, leads: 3_000, activities: 6_000 }, other: { companies: 40, contacts: 100, leads: 60, activities: 160 } },
  quick: { focus: { companies: 200, contacts: 500, leads: 300, activities: 800 }, other: { companies: 10, contacts: 25, leads: 15, activities: 40 } },
} as const satisfies Record<string, { focus: CrmVolume; other: CrmVolume }>;

/** How many businesses the crm scenario works in (the first ones after businesses[0], which realtime-events renames). */
export const CRM_FOCUS_BUSINESSES = 2;

/** What the scenarios need to know about one business's seeded CRM book. */
export interface SeededCrm {
  focus: boolean;
  counts: CrmCounts;
  companyIds: string[];
  contactIds: string[];
  leadIds: string[];
  /** Companies that have contacts (lists of a company's contacts return something). */
  companiesWithContacts: string[];
  ownerIds: string[];
  industries: string[];
  sources: string[];
  /** Words that occur in the seeded names (company names, surnames, lead titles), whole and as 3-letter prefixes. */
  searchTerms: string[];
}

export const INDUSTRIES = [
  "Software",
  "Manufacturing",
  "Retail",
  "Healthcare",
  "Financial services",
  "Logistics",
  "Construction",
  "Education",
  "Hospitality",
  "Energy",
  "Media",
  "Agriculture",
] as const;
export const SIZES = ["1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+"] as const;
export const SOURCES = ["website", "referral", "event", "cold call", "partner", "linkedin", "webinar"] as const;
export const LEAD_STATUSES = ["new", "contacted", "qualified", "unqualified"] as const;
export const ACTIVITY_TYPES = ["note", "call", "email", "meeting", "task"] as const;
const TAGS = ["customer", "prospect", "partner", "enterprise", "smb", "emea", "amer", "apac", "priority"] as const;
const TLDS = ["com", "com", "com", "io", "net", "co.uk", "de", "fr"] as const;
const LEAD_KINDS = ["New business", "Renewal", "Expansion", "Pilot", "Upgrade", "Replacement"] as const;

const label = (s: string) =>
  s
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/g, "") || "company";
const dotted = (s: string) =>
  s
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ".")
    .replace(/^\.+|\.+$/g, "")
    .slice(0, 30)
    .replace(/\.+$/g, "") || "person";
const words = (s: string) => s.normalize("NFKC").toLowerCase().match(/[a-z]{4,}/g) ?? [];

type Item = Record<string, unknown>;

interface CompanyPlan {
  item: Item;
}
interface ContactPlan {
  item: Item;
  company: number | null;
}
interface LeadPlan {
  item: Item;
  company: number | null;
  contact: number | null;
}
interface ActivityPlan {
  item: Item;
  company: number | null;
  contact: number | null;
  lead: number | null;
}

export interface CrmPlan {
  volume: CrmVolume;
  companies: CompanyPlan[];
  contacts: ContactPlan[];
  leads: LeadPlan[];
  activities: ActivityPlan[];
  ownerIds: string[];
  searchTerms: string[];
}

/** Draws one business's CRM book with faker (the caller has seeded it). References are indexes into the plan. */
export function planCrm(volume: CrmVolume, currency: string, ownerIds: string[]): CrmPlan {
  const owner = () => faker.helpers.arrayElement(ownerIds);
  const companies: CompanyPlan[] = [];
  const domains: string[] = [];
  for (let i = 0; i < volume.companies; i++) {
    const name = faker.company.name().slice(0, 200);
    const domain = `${label(name)}.${faker.helpers.arrayElement(TLDS)}`;
    domains.push(domain);
    companies.push({
      item: {
        name,
        domain,
        industry: faker.helpers.arrayElement(INDUSTRIES),
        size: faker.helpers.weightedArrayElement(SIZES.map((value, k) => ({ value, weight: [5, 8, 6, 3, 2, 1][k]! }))),
        website: `https://www.${domain}`,
        address: { city: faker.location.city().slice(0, 100), country: faker.location.countryCode("alpha-2") },
        tags: faker.helpers.arrayElements(TAGS, { min: 0, max: 3 }),
        ownerId: owner(),
      },
    });
  }
  const contactsOf: number[][] = companies.map(() => []);
  const contacts: ContactPlan[] = [];
  for (let i = 0; i < volume.contacts; i++) {
    const company = companies.length > 0 && faker.number.int(99) < 85 ? faker.number.int(companies.length - 1) : null;
    const firstName = faker.person.firstName();
    const lastName = faker.person.lastName();
    if (company !== null) contactsOf[company]!.push(i);
    contacts.push({
      company,
      item: {
        firstName,
        lastName,
        email: `${dotted(firstName)}.${dotted(lastName)}@${company !== null ? domains[company] : "mail.example.com"}`,
        phone: `+1 ${faker.string.numeric({ length: 3, allowLeadingZeros: false })} 555 ${faker.string.numeric(4)}`,
        title: faker.person.jobTitle().slice(0, 200),
        tags: faker.helpers.arrayElements(TAGS, { min: 0, max: 2 }),
        ownerId: owner(),
      },
    });
  }
  const leads: LeadPlan[] = [];
  for (let i = 0; i < volume.leads; i++) {
    const company = companies.length > 0 && faker.number.int(99) < 90 ? faker.number.int(companies.length - 1) : null;
    const people = company !== null ? contactsOf[company]! : [];
    const contact = people.length > 0 ? faker.helpers.arrayElement(people) : contacts.length > 0 && faker.number.int(99) < 50 ? faker.number.int(contacts.length - 1) : null;
    const subject = company !== null ? (companies[company]!.item.name as string) : faker.commerce.department();
    const score = faker.number.int(100);
    leads.push({
      company,
      contact,
      item: {
        title: `${faker.helpers.arrayElement(LEAD_KINDS)}: ${subject} ${faker.commerce.productName()}`.slice(0, 200),
        source: faker.helpers.arrayElement(SOURCES),
        status: faker.helpers.weightedArrayElement(LEAD_STATUSES.map((value, k) => ({ value, weight: [5, 4, 3, 2][k]! }))),
        value: faker.number.int({ min: 10, max: 5_000 }) * 1_000,
        currency,
        score,
        scoreReasons: score >= 70 ? ["engaged recently", "budget confirmed"] : score >= 40 ? ["engaged recently"] : [],
        ownerId: owner(),
      },
    });
  }
  const activities: ActivityPlan[] = [];
  for (let i = 0; i < volume.activities; i++) {
    const type = faker.helpers.weightedArrayElement(ACTIVITY_TYPES.map((value, k) => ({ value, weight: [3, 4, 4, 2, 3][k]! })));
    // most activities are on a lead's timeline; the rest on a contact's or a company's
    const on = faker.number.int(99);
    let lead: number | null = null;
    let contact: number | null = null;
    let company: number | null = null;
    if (on < 65 && leads.length > 0) {
      lead = faker.number.int(leads.length - 1);
      contact = leads[lead]!.contact;
      company = leads[lead]!.company;
    } else if (on < 90 && contacts.length > 0) {
      contact = faker.number.int(contacts.length - 1);
      company = contacts[contact]!.company;
    } else if (companies.length > 0) company = faker.number.int(companies.length - 1);
    const scheduled = type === "task" || type === "meeting";
    activities.push({
      lead,
      contact,
      company,
      item: {
        type,
        subject: `${type[0]!.toUpperCase()}${type.slice(1)}: ${faker.company.catchPhrase()}`.slice(0, 200),
        body: type === "note" || type === "email" ? faker.lorem.sentences({ min: 1, max: 3 }) : null,
        dueAt: scheduled ? faker.date.between({ from: "2026-01-01T00:00:00Z", to: "2027-06-30T00:00:00Z" }).toISOString() : null,
        done: scheduled ? faker.number.int(99) < 40 : true,
        ownerId: owner(),
      },
    });
  }
  // search terms: words that are in the data, whole and as prefixes (search matches every word as a prefix)
  const pool = [
    ...companies.slice(0, 200).flatMap((c) => words(c.item.name as string)),
    ...contacts.slice(0, 200).map((c) => (c.item.lastName as string).toLowerCase()),
    ...leads.slice(0, 100).flatMap((l) => words(l.item.title as string)),
  ].filter((w) => /^[a-z]+$/.test(w));
  const terms = new Set<string>();
  for (const w of faker.helpers.arrayElements(pool, Math.min(pool.length, 60))) terms.add(faker.number.int(1) === 0 ? w : w.slice(0, 3));
  if (terms.size === 0) terms.add("sales");
  return { volume, companies, contacts, leads, activities, ownerIds, searchTerms: [...terms] };
}

const MAX_BODY_BYTES = 900 * 1024;

/** POSTs items to `/<things>/bulk` in requests of ≤ 1,000 records and ≤ 900 KiB; returns the created ids in order. */
async function bulk(http: Http, token: string, businessId: string, entity: CrmEntity, items: Item[]): Promise<string[]> {
  const ids: string[] = [];
  let start = 0;
  while (start < items.length) {
    let end = Math.min(items.length, start + 1_000);
    let body = JSON.stringify({ items: items.slice(start, end) });
    while (Buffer.byteLength(body) > MAX_BODY_BYTES && end - start > 1) {
      end = start + Math.ceil((end - start) / 2);
      body = JSON.stringify({ items: items.slice(start, end) });
    }
    const res = await http.post(`/businesses/${businessId}/${entity}/bulk`, { items: items.slice(start, end) }, { token });
    expectStatus(res, 201, `seed ${end - start} ${entity} in ${businessId}`);
    const data = res.body.data as Array<{ id: string }>;
    if (data.length !== end - start) throw new Error(`seed ${entity}: asked for ${end - start}, the server created ${data.length}`);
    ids.push(...data.map((d) => d.id));
    start = end;
  }
  return ids;
}

/** Sends a plan: companies, then contacts (with their company's id), leads, activities. */
export async function seedCrm(http: Http, token: string, businessId: string, plan: CrmPlan, focus: boolean): Promise<SeededCrm> {
  const ref = (ids: string[], index: number | null) => (index === null ? null : ids[index]!);
  const companyIds = await bulk(http, token, businessId, "companies", plan.companies.map((c) => c.item));
  const contactIds = await bulk(
    http,
    token,
    businessId,
    "contacts",
    plan.contacts.map((c) => ({ ...c.item, companyId: ref(companyIds, c.company) })),
  );
  const leadIds = await bulk(
    http,
    token,
    businessId,
    "leads",
    plan.leads.map((l) => ({ ...l.item, companyId: ref(companyIds, l.company), contactId: ref(contactIds, l.contact) })),
  );
  const activityIds = await bulk(
    http,
    token,
    businessId,
    "activities",
    plan.activities.map((a) => ({ ...a.item, companyId: ref(companyIds, a.company), contactId: ref(contactIds, a.contact), leadId: ref(leadIds, a.lead) })),
  );
  const withContacts = new Set(plan.contacts.map((c) => c.company).filter((c): c is number => c !== null));
  return {
    focus,
    counts: { companies: companyIds.length, contacts: contactIds.length, leads: leadIds.length, activities: activityIds.length },
    companyIds,
    contactIds,
    leadIds,
    companiesWithContacts: [...withContacts].sort((a, b) => a - b).map((i) => companyIds[i]!),
    ownerIds: plan.ownerIds,
    industries: [...new Set(plan.companies.map((c) => c.item.industry as string))],
    sources: [...SOURCES],
    searchTerms: plan.searchTerms,
  };
}

// ---------- persisted counts ----------

/** Pages through a list (200 a page, keyset cursor) and counts every record; bounded in pages. */
export async function countList(http: Http, token: string, businessId: string, entity: CrmEntity, maxPages = 5_000): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const res = await http.get(`/businesses/${businessId}/${entity}?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token });
    if (res.status !== 200) throw new Error(`count ${entity} in ${businessId}: ${res.status} ${res.text.slice(0, 200)}`);
    count += (res.body.data as unknown[]).length;
    cursor = res.body.nextCursor as string | null;
    if (!cursor) return count;
  }
  throw new Error(`count ${entity} in ${businessId}: more than ${maxPages} pages`);
}

/** Every CRM list's full count, for each business. */
export async function crmSnapshot(http: Http, token: string, businessIds: readonly string[]): Promise<Map<string, CrmCounts>> {
  const out = new Map<string, CrmCounts>();
  for (const id of businessIds) {
    const counts = { companies: 0, contacts: 0, leads: 0, activities: 0 };
    for (const entity of CRM_ENTITIES) counts[entity] = await countList(http, token, id, entity);
    out.set(id, counts);
  }
  return out;
}

/** CRM creates by business and entity: acknowledged (2xx), refused, or unknown (no response). */
export class CrmLedger {
  readonly acknowledged = new Map<string, number>();
  readonly unknown = new Map<string, number>();
  refused = 0;

  record(businessId: string, entity: CrmEntity, status: number | null): void {
    const key = `${businessId} ${entity}`;
    if (status === null) this.unknown.set(key, (this.unknown.get(key) ?? 0) + 1);
    else if (status < 300) this.acknowledged.set(key, (this.acknowledged.get(key) ?? 0) + 1);
    else this.refused += 1;
  }

  total(which: "acknowledged" | "unknown", entity?: CrmEntity): number {
    let n = 0;
    for (const [key, v] of this[which]) if (!entity || key.endsWith(` ${entity}`)) n += v;
    return n;
  }
}

/** Every business's CRM lists grew by exactly the creates acknowledged to it (timeouts allowed either way). */
export function crmCountChecks(before: Map<string, CrmCounts>, after: Map<string, CrmCounts>, ledger: CrmLedger): Check[] {
  const mismatches: string[] = [];
  const grown: CrmCounts = { companies: 0, contacts: 0, leads: 0, activities: 0 };
  for (const [id, b] of before) {
    const a = after.get(id);
    if (!a) {
      mismatches.push(`${id}: missing after the run`);
      continue;
    }
    for (const entity of CRM_ENTITIES) {
      const delta = a[entity] - b[entity];
      grown[entity] += delta;
      const acked = ledger.acknowledged.get(`${id} ${entity}`) ?? 0;
      const unknown = ledger.unknown.get(`${id} ${entity}`) ?? 0;
      if (delta < acked || delta > acked + unknown) mismatches.push(`${id} ${entity}: +${delta} for ${acked} acknowledged${unknown ? ` (+${unknown} unknown)` : ""}`);
    }
  }
  const unknown = ledger.total("unknown");
  const perEntity = CRM_ENTITIES.map((e) => `${e} +${grown[e]}/${ledger.total("acknowledged", e)}`).join(", ");
  return [
    {
      name: "CRM records persisted = acknowledged creates",
      ok: mismatches.length === 0,
      detail:
        mismatches.length === 0
          ? `${before.size} business(es), persisted/acknowledged: ${perEntity}${unknown ? `; ${unknown} with unknown outcome (timed out) allowed either way` : ""}${ledger.refused ? `; ${ledger.refused} refused` : ""}`
          : `mismatch: ${mismatches.slice(0, 6).join("; ")}`,
    },
  ];
}

// ---------- requests ----------

export interface CrmTarget {
  id: string;
  crm: SeededCrm;
}

/** Bodies for creates, drawn once (off the clock) so the load generator spends nothing on faker. */
export interface CreatePools {
  companies: Item[];
  contacts: Item[];
  leads: Item[];
  activities: Item[];
}

export function createPools(size: number, seed: number): CreatePools {
  faker.seed(seed);
  const companies: Item[] = [];
  const contacts: Item[] = [];
  const leads: Item[] = [];
  const activities: Item[] = [];
  for (let i = 0; i < size; i++) {
    const name = faker.company.name().slice(0, 180);
    const domain = `${label(name)}.${faker.helpers.arrayElement(TLDS)}`;
    companies.push({ name, domain, industry: faker.helpers.arrayElement(INDUSTRIES), size: faker.helpers.arrayElement(SIZES), website: `https://${domain}`, tags: ["prospect"] });
    const firstName = faker.person.firstName();
    const lastName = faker.person.lastName();
    contacts.push({ firstName, lastName, email: `${dotted(firstName)}.${dotted(lastName)}@${domain}`, title: faker.person.jobTitle().slice(0, 200), tags: ["inbound"] });
    leads.push({
      title: `${faker.helpers.arrayElement(LEAD_KINDS)}: ${faker.commerce.productName()}`.slice(0, 200),
      source: faker.helpers.arrayElement(SOURCES),
      status: "new",
      value: faker.number.int({ min: 10, max: 2_000 }) * 1_000,
      score: faker.number.int(100),
    });
    const type = faker.helpers.arrayElement(ACTIVITY_TYPES);
    activities.push({
      type,
      subject: `${type[0]!.toUpperCase()}${type.slice(1)}: ${faker.company.catchPhrase()}`.slice(0, 200),
      body: type === "note" ? faker.lorem.sentence() : null,
      dueAt: type === "task" ? faker.date.between({ from: "2026-01-01T00:00:00Z", to: "2027-06-30T00:00:00Z" }).toISOString() : null,
      done: type !== "task",
    });
  }
  return { companies, contacts, leads, activities };
}

/** A CRM request: `tag` says which business and entity a create went to, for the ledgers. */
export interface CrmWriteTag {
  businessId: string;
  entity: CrmEntity;
}

const pick = <T>(list: readonly T[], random: () => number): T => list[Math.floor(random() * list.length)]!;
const pickN = <T>(list: readonly T[], n: number, random: () => number): T[] => {
  const out = new Set<T>();
  for (let k = 0; k < n * 3 && out.size < Math.min(n, list.length); k++) out.add(pick(list, random));
  return [...out];
};

/** The CRM requests, by kind. `headers` authenticates (a member's token, or a viewer API key for reads). */
export function crmRequests(random: () => number, pools: CreatePools) {
  const base = (t: CrmTarget) => `/api/v1/businesses/${t.id}`;
  const get = (kind: string, path: string, headers: Record<string, string>): OpenRequest => ({ kind, method: "GET", path, headers });
  let n = 0;
  const create = (t: CrmTarget, entity: CrmEntity, headers: Record<string, string>): OpenRequest => {
    n += 1;
    const c = t.crm;
    let body: Item;
    if (entity === "companies") {
      const b = pick(pools.companies, random);
      body = { ...b, name: `${b.name as string} ${n}`, ownerId: pick(c.ownerIds, random) };
    } else if (entity === "contacts") body = { ...pick(pools.contacts, random), companyId: c.companyIds.length ? pick(c.companyIds, random) : null, ownerId: pick(c.ownerIds, random) };
    else if (entity === "leads") {
      body = { ...pick(pools.leads, random), companyId: c.companyIds.length ? pick(c.companyIds, random) : null, contactId: c.contactIds.length ? pick(c.contactIds, random) : null };
    } else body = { ...pick(pools.activities, random), leadId: c.leadIds.length ? pick(c.leadIds, random) : null };
    const tag: CrmWriteTag = { businessId: t.id, entity };
    return { kind: `POST /${entity}`, method: "POST", path: `${base(t)}/${entity}`, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body), tag };
  };
  return {
    leadDetail: (t: CrmTarget, h: Record<string, string>) => get("GET /leads/{id}?include=company,contacts,activities", `${base(t)}/leads/${pick(t.crm.leadIds, random)}?include=company,contacts,activities`, h),
    companyDetail: (t: CrmTarget, h: Record<string, string>) => get("GET /companies/{id}?include=contacts,leads", `${base(t)}/companies/${pick(t.crm.companyIds, random)}?include=contacts,leads`, h),
    leadsByStatus: (t: CrmTarget, h: Record<string, string>) =>
      get("GET /leads?status=&sort=-score", `${base(t)}/leads?status=${pick(LEAD_STATUSES, random)}&sort=-score&limit=25`, h),
    leadsByOwner: (t: CrmTarget, h: Record<string, string>) =>
      get("GET /leads?ownerId=&source=&sort=-updatedAt", `${base(t)}/leads?ownerId=${pick(t.crm.ownerIds, random)}&source=${encodeURIComponent(pick(t.crm.sources, random))}&sort=-updatedAt&limit=25`, h),
    contactsOfCompany: (t: CrmTarget, h: Record<string, string>) =>
      get("GET /contacts?companyId=&sort=name", `${base(t)}/contacts?companyId=${pick(t.crm.companiesWithContacts.length ? t.crm.companiesWithContacts : t.crm.companyIds, random)}&sort=name`, h),
    companiesByIndustry: (t: CrmTarget, h: Record<string, string>) =>
      get("GET /companies?industry=&sort=name", `${base(t)}/companies?industry=${encodeURIComponent(pick(t.crm.industries, random))}&sort=name&limit=25`, h),
    openTasks: (t: CrmTarget, h: Record<string, string>) => get("GET /activities?type=task&done=false&sort=dueAt", `${base(t)}/activities?type=task&done=false&sort=dueAt&limit=25`, h),
    leadTimeline: (t: CrmTarget, h: Record<string, string>) => get("GET /activities?leadId=&sort=-createdAt", `${base(t)}/activities?leadId=${pick(t.crm.leadIds, random)}&sort=-createdAt`, h),
    contactsUpdated: (t: CrmTarget, h: Record<string, string>) => get("GET /contacts?sort=-updatedAt (sync page)", `${base(t)}/contacts?sort=-updatedAt&limit=100`, h),
    searchContacts: (t: CrmTarget, h: Record<string, string>) => get("GET /contacts?q=", `${base(t)}/contacts?q=${encodeURIComponent(pick(t.crm.searchTerms, random))}&limit=20`, h),
    searchContactsSorted: (t: CrmTarget, h: Record<string, string>) =>
      get("GET /contacts?q=&sort=name", `${base(t)}/contacts?q=${encodeURIComponent(pick(t.crm.searchTerms, random))}&sort=name&limit=20`, h),
    searchCompanies: (t: CrmTarget, h: Record<string, string>) => get("GET /companies?q=", `${base(t)}/companies?q=${encodeURIComponent(pick(t.crm.searchTerms, random))}&limit=20`, h),
    searchLeads: (t: CrmTarget, h: Record<string, string>) => get("GET /leads?q=", `${base(t)}/leads?q=${encodeURIComponent(pick(t.crm.searchTerms, random))}&limit=20`, h),
    batchContacts: (t: CrmTarget, h: Record<string, string>) => get("GET /contacts?ids= (25)", `${base(t)}/contacts?ids=${pickN(t.crm.contactIds, 25, random).join(",")}`, h),
    batchLeads: (t: CrmTarget, h: Record<string, string>) =>
      get("GET /leads?ids= (10)&include=company", `${base(t)}/leads?ids=${pickN(t.crm.leadIds, 10, random).join(",")}&include=company`, h),
    create,
  };
}
