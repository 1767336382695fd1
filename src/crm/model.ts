import { type EntityName, LISTS, type ListSpec } from "./lists.js";
import type { Row } from "./store.js";
import type { SqlValue } from "../platform/sql.js";

/** How an API field is stored: its column and how its value converts. */
export interface FieldDef {
  column: string;
  kind: "value" | "bool" | "json";
  /** Set by the server, never by a request body. */
  readOnly?: boolean;
  /** A reference to another CRM record: must exist in this business (422 otherwise). */
  ref?: EntityName | "pipeline" | "stage";
}

export interface EntityDef {
  name: EntityName;
  /** The words used in messages and audit actions. */
  label: string;
  table: string;
  prefix: string;
  list: ListSpec;
  fields: Record<string, FieldDef>;
  tags?: { table: string; column: string };
}

const v = (column: string, extra: Partial<FieldDef> = {}): FieldDef => ({ column, kind: "value", ...extra });
const ref = (column: string, target: FieldDef["ref"]): FieldDef => ({ column, kind: "value", ref: target });

export const ENTITIES: Record<EntityName, EntityDef> = {
  company: {
    name: "company",
    label: "company",
    table: "companies",
    prefix: "cmp",
    list: LISTS.company,
    tags: LISTS.company.tags,
    fields: {
      name: v("name"),
      domain: v("domain"),
      industry: v("industry"),
      size: v("size"),
      website: v("website"),
      address: { column: "address", kind: "json" },
      tags: { column: "tags", kind: "json" },
      ownerId: v("owner_id"),
      linkedBusinessId: v("linked_business_id"),
    },
  },
  contact: {
    name: "contact",
    label: "contact",
    table: "contacts",
    prefix: "con",
    list: LISTS.contact,
    tags: LISTS.contact.tags,
    fields: {
      firstName: v("first_name"),
      lastName: v("last_name"),
      email: v("email"),
      phone: v("phone"),
      title: v("title"),
      companyId: ref("company_id", "company"),
      tags: { column: "tags", kind: "json" },
      ownerId: v("owner_id"),
    },
  },
  lead: {
    name: "lead",
    label: "lead",
    table: "leads",
    prefix: "led",
    list: LISTS.lead,
    fields: {
      title: v("title"),
      source: v("source"),
      status: v("status"),
      value: v("value"),
      currency: v("currency"),
      companyId: ref("company_id", "company"),
      contactId: ref("contact_id", "contact"),
      score: v("score"),
      scoreReasons: { column: "score_reasons", kind: "json" },
      dealId: v("deal_id", { readOnly: true }),
      convertedAt: v("converted_at", { readOnly: true }),
      ownerId: v("owner_id"),
    },
  },
  deal: {
    name: "deal",
    label: "deal",
    table: "deals",
    prefix: "deal",
    list: LISTS.deal,
    fields: {
      name: v("name"),
      pipelineId: ref("pipeline_id", "pipeline"),
      stageId: ref("stage_id", "stage"),
      value: v("value"),
      currency: v("currency"),
      expectedClose: v("expected_close"),
      probability: v("probability"),
      status: v("status"),
      lostReason: v("lost_reason"),
      closedAt: v("closed_at", { readOnly: true }),
      companyId: ref("company_id", "company"),
      contactId: ref("contact_id", "contact"),
      ownerId: v("owner_id"),
    },
  },
  activity: {
    name: "activity",
    label: "activity",
    table: "activities",
    prefix: "act",
    list: LISTS.activity,
    fields: {
      type: v("type"),
      subject: v("subject"),
      body: v("body"),
      dueAt: v("due_at"),
      done: { column: "done", kind: "bool" },
      doneAt: v("done_at", { readOnly: true }),
      companyId: ref("company_id", "company"),
      contactId: ref("contact_id", "contact"),
      leadId: ref("lead_id", "lead"),
      dealId: ref("deal_id", "deal"),
      ownerId: v("owner_id"),
    },
  },
};

export const TABLE_OF: Record<NonNullable<FieldDef["ref"]>, string> = {
  company: "companies",
  contact: "contacts",
  lead: "leads",
  deal: "deals",
  activity: "activities",
  pipeline: "pipelines",
  stage: "pipeline_stages",
};

export type View = Record<string, unknown>;

/** The API representation of a row: id, the fields in their order, createdAt, updatedAt. */
export function viewOf(def: EntityDef, row: Row): View {
  const out: View = { id: row.id };
  for (const [name, field] of Object.entries(def.fields)) {
    const value = row[field.column] ?? null;
    out[name] = field.kind === "bool" ? value === 1 : field.kind === "json" ? (value === null ? null : JSON.parse(value as string)) : value;
  }
  out.createdAt = row.created_at;
  out.updatedAt = row.updated_at;
  return out;
}

/** A field's value as stored. */
export function toColumn(field: FieldDef, value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (field.kind === "bool") return value ? 1 : 0;
  if (field.kind === "json") return JSON.stringify(value);
  return value as SqlValue;
}
