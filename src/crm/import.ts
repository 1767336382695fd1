import type { z } from "@hono/zod-openapi";
import type { ChangeRecorder } from "../http/business-write.js";
import { fieldErrors } from "../http/errors.js";
import { badRequest, type FieldError, unprocessable } from "../platform/problem.js";
import { parseCsv } from "./csv.js";
import { createCompanyBody, createContactBody } from "./schema.js";
import { bulkCreate, type Crm } from "./service.js";

export const MAX_IMPORT_ROWS = 10_000;

const TARGETS = {
  company: {
    schema: createCompanyBody,
    fields: ["name", "domain", "industry", "size", "website", "tags", "ownerId", "address.street", "address.city", "address.region", "address.postalCode", "address.country"],
    synonyms: { companyname: "name", company: "name", url: "website", web: "website", owner: "ownerId", sector: "industry" } as Record<string, string>,
  },
  contact: {
    schema: createContactBody,
    fields: ["firstName", "lastName", "email", "phone", "title", "companyId", "companyDomain", "tags", "ownerId"],
    synonyms: {
      first: "firstName",
      firstname: "firstName",
      givenname: "firstName",
      last: "lastName",
      surname: "lastName",
      familyname: "lastName",
      emailaddress: "email",
      mail: "email",
      phonenumber: "phone",
      mobile: "phone",
      jobtitle: "title",
      owner: "ownerId",
      domain: "companyDomain",
    } as Record<string, string>,
  },
} as const;

export type ImportEntity = keyof typeof TARGETS;

const normalise = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/** Which field each column feeds: the explicit mapping first, then the header's own name (or a common synonym). */
export function mapHeaders(entity: ImportEntity, headers: string[], mapping: Record<string, string> = {}): (string | null)[] {
  const target = TARGETS[entity];
  const byName = new Map<string, string>();
  for (const field of target.fields) byName.set(normalise(field), field);
  for (const [alias, field] of Object.entries(target.synonyms)) byName.set(alias, field);
  const errors: FieldError[] = [];
  for (const [header, field] of Object.entries(mapping)) {
    if (!headers.includes(header)) errors.push({ path: `mapping.${header}`, message: "no such column in the CSV header" });
    else if (field !== "" && !(target.fields as readonly string[]).includes(field)) {
      errors.push({ path: `mapping.${header}`, message: `not a field; one of ${target.fields.join(", ")} (or "" to skip the column)` });
    }
  }
  const columns = headers.map((header, i) => {
    if (header in mapping) return mapping[header] === "" ? null : (mapping[header] as string);
    const field = byName.get(normalise(header));
    if (!field) errors.push({ path: `columns.${i}`, message: `the column "${header}" matches no field; map it, or map it to "" to skip it` });
    return field ?? null;
  });
  const seen = new Map<string, number>();
  columns.forEach((field, i) => {
    if (field === null) return;
    if (seen.has(field)) errors.push({ path: `columns.${i}`, message: `a second column for ${field}` });
    seen.set(field, i);
  });
  if (errors.length > 0) throw badRequest("The CSV's columns do not map onto fields.", errors);
  return columns;
}

/**
 * CSV import: every row is checked (shape, then references) and either all rows are created in one
 * transaction or none is, with every refused row reported as `rows.<n>.<field>` (n counts data rows from 1).
 */
export function importCsv(
  crm: Crm,
  rec: ChangeRecorder,
  entity: ImportEntity,
  input: { csv: string; mapping?: Record<string, string> | undefined },
) {
  if (input.csv.includes("\uFFFD")) {
    throw badRequest("The CSV is not valid UTF-8 (save it as UTF-8 and try again).", [{ path: "csv", message: "not UTF-8" }]);
  }
  const parsed = parseCsv(input.csv, MAX_IMPORT_ROWS + 1);
  if ("error" in parsed) {
    const tooMany = parsed.error.message.startsWith("more than");
    if (tooMany) throw unprocessable(`An import takes at most ${MAX_IMPORT_ROWS} rows; split the file.`, [{ path: "csv", message: parsed.error.message }]);
    throw badRequest(`The CSV is malformed at line ${parsed.error.line}: ${parsed.error.message}. Nothing was imported.`, [
      { path: `csv.line.${parsed.error.line}`, message: parsed.error.message },
    ]);
  }
  const [header, ...rows] = parsed.rows;
  if (!header || rows.length === 0) throw badRequest("The CSV needs a header row and at least one data row.", [{ path: "csv", message: "no data rows" }]);
  const columns = mapHeaders(entity, header.map((h) => h.trim()), input.mapping);
  const schema = TARGETS[entity].schema as z.ZodType;
  const errors: FieldError[] = [];
  const items: Record<string, unknown>[] = [];
  const domains = new Map<number, string>();
  rows.forEach((cells, index) => {
    const n = index + 1;
    if (cells.length !== header.length) {
      errors.push({ path: `rows.${n}`, message: `${cells.length} cells where the header has ${header.length}` });
      return;
    }
    const item: Record<string, unknown> = {};
    cells.forEach((raw, i) => {
      const field = columns[i];
      const cell = raw.trim();
      if (!field || cell === "") return;
      if (field === "tags") item.tags = cell.split(";").map((t) => t.trim()).filter((t) => t.length > 0);
      else if (field === "companyDomain") domains.set(index, cell.toLowerCase());
      else if (field.startsWith("address.")) item.address = { ...(item.address as object | undefined), [field.slice(8)]: cell };
      else item[field] = cell;
    });
    const result = schema.safeParse(item);
    if (!result.success) {
      for (const e of fieldErrors(result.error, "json")) errors.push({ path: `rows.${n}.${e.path}`, message: e.message });
      return;
    }
    items[index] = result.data as Record<string, unknown>;
  });
  // contacts may name their company by domain
  for (const [index, domain] of domains) {
    const item = items[index];
    if (!item) continue;
    const company = crm.db.get<{ id: string }>("SELECT id FROM companies WHERE domain = ? ORDER BY id LIMIT 1", domain);
    if (!company) errors.push({ path: `rows.${index + 1}.companyDomain`, message: "no company has this domain" });
    else item.companyId = company.id;
  }
  if (errors.length > 0) {
    const bad = new Set(errors.map((e) => e.path.split(".").slice(0, 2).join("."))).size;
    throw unprocessable(`${bad} of ${rows.length} rows were refused; nothing was imported.`, errors);
  }
  const created = bulkCreate(crm, rec, entity, items, (i) => `rows.${i + 1}.`);
  return created.map((v) => v.id as string);
}
