import { z } from "@hono/zod-openapi";
import { currencyCode } from "../businesses/schema.js";
import { pageQuery } from "../platform/pagination.js";

/** Ids are `<prefix>_` and 26 characters of the id alphabet; anything else is a 400 on the field. */
export const refId = (prefix: string, what: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must be a ${what} id (${prefix}_…)`)
    .openapi({ example: `${prefix}_01j9z3k4m5n6p7q8r9s0t1v2w3` });

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => text(max).nullable().optional();

export const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
export const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(DOMAIN, "must be a domain name such as acme.com (no scheme, path or port)")
  .openapi({ example: "acme.com" });

export const emailAddress = z
  .email("must be an email address such as ada@acme.com")
  .max(254)
  .transform((v) => v.trim().toLowerCase())
  .openapi({ example: "ada@acme.com" });

const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ().-]{2,30}$/, "must be a phone number such as +1 415 555 0100")
  .openapi({ example: "+1 415 555 0100" });

const website = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .max(2048)
  .openapi({ example: "https://acme.com" });

export const tags = z
  .array(
    z
      .string()
      .trim()
      .toLowerCase()
      .min(1)
      .max(50)
      .regex(/^[^,]+$/, "must not contain commas"),
  )
  .max(20)
  .transform((list) => [...new Set(list)])
  .openapi({ example: ["customer", "emea"] });

const address = z
  .strictObject({
    street: optionalText(200),
    city: optionalText(100),
    region: optionalText(100),
    postalCode: optionalText(20),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as US")
      .nullable()
      .optional(),
  })
  .openapi("Address");

export const COMPANY_SIZES = ["1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+"] as const;
export const LEAD_STATUSES = ["new", "contacted", "qualified", "unqualified", "converted"] as const;
export const DEAL_STATUSES = ["open", "won", "lost"] as const;
export const ACTIVITY_TYPES = ["note", "call", "email", "meeting", "task"] as const;
/** Written by the server when a deal moves between stages; never created through the API. */
export const ALL_ACTIVITY_TYPES = [...ACTIVITY_TYPES, "stage_change"] as const;

const ownerId = z.string().min(1).max(64).nullable().optional().openapi({ description: "A member of this business (user id)." });
const money = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ description: "Integer minor units of `currency`." });
const calendarDate = z.iso.date().openapi({ example: "2025-06-30" });
const instant = z.iso.datetime({ offset: true }).openapi({ example: "2025-06-30T09:00:00Z" });
const probability = z.number().int().min(0).max(100).openapi({ description: "Percent, 0–100." });

// ---------- companies ----------

const companyFields = {
  name: text(200),
  domain: domainName.nullable().optional(),
  industry: optionalText(100),
  size: z.enum(COMPANY_SIZES).nullable().optional(),
  website: website.nullable().optional(),
  address: address.nullable().optional(),
  tags: tags.optional(),
  ownerId,
  linkedBusinessId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .nullable()
    .optional()
    .openapi({ description: "Another business of yours that this company is (inter-company elimination in the portfolio's consolidated statements)." }),
};
export const createCompanyBody = z.strictObject(companyFields).openapi("CreateCompany");
export const updateCompanyBody = z.strictObject({ ...companyFields, name: text(200).optional() }).openapi("UpdateCompany");

export const company = z
  .object({
    id: z.string(),
    name: z.string(),
    domain: z.string().nullable(),
    industry: z.string().nullable(),
    size: z.string().nullable(),
    website: z.string().nullable(),
    address: address.nullable(),
    tags: z.array(z.string()),
    ownerId: z.string().nullable(),
    linkedBusinessId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Company");

// ---------- contacts ----------

const contactFields = {
  firstName: text(100),
  lastName: text(100),
  email: emailAddress.nullable().optional(),
  phone: phone.nullable().optional(),
  title: optionalText(200),
  companyId: refId("cmp", "company").nullable().optional(),
  tags: tags.optional(),
  ownerId,
};
export const createContactBody = z.strictObject(contactFields).openapi("CreateContact");
export const updateContactBody = z
  .strictObject({ ...contactFields, firstName: text(100).optional(), lastName: text(100).optional() })
  .openapi("UpdateContact");

export const contact = z
  .object({
    id: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    title: z.string().nullable(),
    companyId: z.string().nullable(),
    tags: z.array(z.string()),
    ownerId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Contact");

// ---------- leads ----------

const leadFields = {
  title: text(200),
  source: optionalText(100),
  status: z.enum(LEAD_STATUSES).exclude(["converted"]).optional().openapi({ description: "`converted` is set by POST /leads/{id}/convert." }),
  value: money.nullable().optional(),
  currency: currencyCode.nullable().optional(),
  companyId: refId("cmp", "company").nullable().optional(),
  contactId: refId("con", "contact").nullable().optional(),
  score: z.number().int().min(0).max(100).nullable().optional(),
  scoreReasons: z.array(text(300)).max(20).optional(),
  ownerId,
};
export const createLeadBody = z.strictObject(leadFields).openapi("CreateLead");
export const updateLeadBody = z.strictObject({ ...leadFields, title: text(200).optional() }).openapi("UpdateLead");

export const lead = z
  .object({
    id: z.string(),
    title: z.string(),
    source: z.string().nullable(),
    status: z.enum(LEAD_STATUSES),
    value: z.number().int().nullable(),
    currency: z.string().nullable(),
    companyId: z.string().nullable(),
    contactId: z.string().nullable(),
    score: z.number().int().nullable(),
    scoreReasons: z.array(z.string()),
    dealId: z.string().nullable().openapi({ description: "The deal this lead was converted into." }),
    convertedAt: z.string().nullable(),
    ownerId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Lead");

export const convertLeadBody = z
  .strictObject({
    name: text(200).optional().openapi({ description: "The deal's name; the lead's title by default." }),
    pipelineId: refId("pip", "pipeline").optional(),
    stageId: refId("stg", "stage").optional(),
    value: money.nullable().optional(),
    currency: currencyCode.nullable().optional(),
    expectedClose: calendarDate.nullable().optional(),
    ownerId,
  })
  .openapi("ConvertLead");

// ---------- pipelines ----------

const stageInput = z.strictObject({
  id: refId("stg", "stage").optional().openapi({ description: "Keep an existing stage (rename or move it); omit to add one." }),
  name: text(100),
  probability: probability.optional(),
});
export const createPipelineBody = z
  .strictObject({ name: text(100), isDefault: z.boolean().optional(), stages: z.array(stageInput).min(1).max(50) })
  .openapi("CreatePipeline");
export const updatePipelineBody = z
  .strictObject({
    name: text(100).optional(),
    isDefault: z.literal(true).optional().openapi({ description: "Make this the default pipeline." }),
    stages: z
      .array(stageInput)
      .min(1)
      .max(50)
      .optional()
      .openapi({ description: "The full ordered list: stages left out are removed (refused while they hold deals)." }),
  })
  .openapi("UpdatePipeline");

export const stage = z
  .object({ id: z.string(), name: z.string(), position: z.number().int(), probability: z.number().int() })
  .openapi("Stage");
export const pipeline = z
  .object({
    id: z.string(),
    name: z.string(),
    isDefault: z.boolean(),
    stages: z.array(stage),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Pipeline");

export const pipelineSummary = z
  .object({
    pipelineId: z.string(),
    stages: z.array(
      z.object({
        stageId: z.string(),
        name: z.string(),
        position: z.number().int(),
        count: z.number().int(),
        values: z.array(z.object({ currency: z.string(), amount: z.number().int() })),
      }),
    ),
    totals: z.object({
      open: z.number().int(),
      won: z.number().int(),
      lost: z.number().int(),
    }),
  })
  .openapi("PipelineSummary");

// ---------- deals ----------

const dealFields = {
  name: text(200),
  pipelineId: refId("pip", "pipeline").optional().openapi({ description: "The default pipeline when omitted." }),
  stageId: refId("stg", "stage").optional().openapi({ description: "The pipeline's first stage when omitted." }),
  value: money.nullable().optional(),
  currency: currencyCode.nullable().optional(),
  expectedClose: calendarDate.nullable().optional(),
  probability: probability.nullable().optional(),
  status: z.enum(DEAL_STATUSES).optional(),
  lostReason: optionalText(500),
  companyId: refId("cmp", "company").nullable().optional(),
  contactId: refId("con", "contact").nullable().optional(),
  ownerId,
};
export const createDealBody = z.strictObject(dealFields).openapi("CreateDeal");
export const updateDealBody = z.strictObject({ ...dealFields, name: text(200).optional() }).openapi("UpdateDeal");

export const deal = z
  .object({
    id: z.string(),
    name: z.string(),
    pipelineId: z.string(),
    stageId: z.string(),
    value: z.number().int().nullable(),
    currency: z.string().nullable(),
    expectedClose: z.string().nullable(),
    probability: z.number().int().nullable(),
    status: z.enum(DEAL_STATUSES),
    lostReason: z.string().nullable(),
    closedAt: z.string().nullable(),
    companyId: z.string().nullable(),
    contactId: z.string().nullable(),
    ownerId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Deal");

// ---------- activities ----------

const activityFields = {
  type: z.enum(ACTIVITY_TYPES),
  subject: optionalText(200),
  body: z.string().max(10_000).nullable().optional(),
  dueAt: instant
    .transform((v) => new Date(v).toISOString())
    .nullable()
    .optional()
    .openapi({ description: "Stored and returned in UTC.", example: "2025-06-30T09:00:00Z" }),
  done: z.boolean().optional(),
  companyId: refId("cmp", "company").nullable().optional(),
  contactId: refId("con", "contact").nullable().optional(),
  leadId: refId("led", "lead").nullable().optional(),
  dealId: refId("deal", "deal").nullable().optional(),
  ownerId,
};
export const createActivityBody = z.strictObject(activityFields).openapi("CreateActivity");
export const updateActivityBody = z.strictObject({ ...activityFields, type: z.enum(ACTIVITY_TYPES).optional() }).openapi("UpdateActivity");

export const activity = z
  .object({
    id: z.string(),
    type: z.enum(ALL_ACTIVITY_TYPES),
    subject: z.string().nullable(),
    body: z.string().nullable(),
    dueAt: z.string().nullable(),
    done: z.boolean(),
    doneAt: z.string().nullable(),
    companyId: z.string().nullable(),
    contactId: z.string().nullable(),
    leadId: z.string().nullable(),
    dealId: z.string().nullable(),
    ownerId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Activity");

// ---------- lists ----------

const sortParam = (names: readonly string[]) => {
  const values = names.flatMap((n) => [n, `-${n}`]) as [string, ...string[]];
  return z
    .enum(values)
    .default("createdAt")
    .openapi({ description: "A field, `-` for descending. The cursor carries it: keep the sort while paging." });
};

const listCommon = {
  createdFrom: instant.optional().openapi({ description: "Created at or after (RFC 3339)." }),
  createdTo: instant.optional().openapi({ description: "Created before (RFC 3339)." }),
  updatedFrom: instant.optional(),
  updatedTo: instant.optional(),
  ids: z
    .string()
    .max(200 * 65)
    .optional()
    .openapi({ description: "Batch get: up to 200 comma-separated ids, answered in that order (unknown ids are left out)." }),
};
const q = z.string().trim().min(1).max(200).optional().openapi({ description: "Full-text search (prefix match on every word)." });
const tag = z.string().trim().toLowerCase().min(1).max(50).optional();
const include = (names: readonly string[]) =>
  z
    .string()
    .max(200)
    .optional()
    .openapi({ description: `Embed related records, comma-separated: ${names.join(", ")}.` });
const refFilter = (prefix: string, what: string) => refId(prefix, what).optional();

export const INCLUDES = {
  company: ["contacts", "leads", "deals", "activities"],
  contact: ["company", "leads", "deals", "activities"],
  lead: ["company", "contact", "contacts", "activities", "deal"],
  deal: ["company", "contact", "activities", "pipeline"],
} as const;

export const companyListQuery = pageQuery
  .extend({
    ...listCommon,
    sort: sortParam(["createdAt", "updatedAt", "name"]),
    q,
    tag,
    ownerId: z.string().max(64).optional(),
    industry: z.string().max(100).optional(),
    size: z.enum(COMPANY_SIZES).optional(),
    domain: domainName.optional(),
    include: include(INCLUDES.company),
  })
  .openapi("CompanyListQuery");

export const contactListQuery = pageQuery.extend({
  ...listCommon,
  sort: sortParam(["createdAt", "updatedAt", "name"]),
  q,
  tag,
  ownerId: z.string().max(64).optional(),
  companyId: refFilter("cmp", "company"),
  email: emailAddress.optional(),
  include: include(INCLUDES.contact),
});

export const leadListQuery = pageQuery.extend({
  ...listCommon,
  sort: sortParam(["createdAt", "updatedAt", "score"]),
  q,
  status: z.enum(LEAD_STATUSES).optional(),
  ownerId: z.string().max(64).optional(),
  companyId: refFilter("cmp", "company"),
  contactId: refFilter("con", "contact"),
  source: z.string().max(100).optional(),
  include: include(INCLUDES.lead),
});

export const dealListQuery = pageQuery.extend({
  ...listCommon,
  sort: sortParam(["createdAt", "updatedAt", "expectedClose"]),
  q,
  pipelineId: refFilter("pip", "pipeline"),
  stageId: refFilter("stg", "stage"),
  status: z.enum(DEAL_STATUSES).optional(),
  ownerId: z.string().max(64).optional(),
  companyId: refFilter("cmp", "company"),
  contactId: refFilter("con", "contact"),
  include: include(INCLUDES.deal),
});

export const activityListQuery = pageQuery.extend({
  ...listCommon,
  sort: sortParam(["createdAt", "updatedAt", "dueAt"]),
  type: z.enum(ALL_ACTIVITY_TYPES).optional(),
  done: z.enum(["true", "false"]).optional(),
  ownerId: z.string().max(64).optional(),
  companyId: refFilter("cmp", "company"),
  contactId: refFilter("con", "contact"),
  leadId: refFilter("led", "lead"),
  dealId: refFilter("deal", "deal"),
  dueFrom: instant.optional(),
  dueTo: instant.optional(),
});

export const includeQuery = (entity: keyof typeof INCLUDES) => z.strictObject({ include: include(INCLUDES[entity]) });

// ---------- bulk and import ----------

export const MAX_BULK = 1_000;
export const bulkBody = <T extends z.ZodType>(item: T, name: string) =>
  z.strictObject({ items: z.array(item).min(1).max(MAX_BULK) }).openapi(name);
export const bulkResult = <T extends z.ZodType>(item: T, name: string) => z.object({ data: z.array(item) }).openapi(name);

export const importBody = z
  .strictObject({
    csv: z.string().max(1024 * 1024).openapi({ description: "RFC 4180 CSV, UTF-8, with a header row." }),
    mapping: z
      .record(z.string().max(200), z.string().max(50))
      .optional()
      .openapi({ description: "CSV header → field name; headers already named like a field (or its words) map themselves." }),
    dryRun: z.boolean().optional().openapi({ description: "Validate every row and report, but import nothing." }),
  })
  .openapi("CsvImport");

export const importResult = z
  .object({ imported: z.number().int(), dryRun: z.boolean(), ids: z.array(z.string()) })
  .openapi("CsvImportResult");
