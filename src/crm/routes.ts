import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { TypedResponse } from "hono";
import { commitChange } from "../http/business-write.js";
import type { AppContext, AppEnv } from "../http/context.js";
import { BUSINESS_READ_ERRORS, BUSINESS_WRITE_ERRORS, bearer, businessIdParam, errorResponses, json, jsonBody, notModified } from "../http/openapi.js";
import { requires } from "../http/pipeline.js";
import { assertIfMatch, etagOf, jsonResponse, resourceResponse } from "../http/resource.js";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/pagination.js";
import { exportCsv } from "./export.js";
import { type ImportEntity, importCsv } from "./import.js";
import type { EntityName } from "./lists.js";
import * as schema from "./schema.js";
import * as service from "./service.js";

type Input = Record<string, unknown>;
const security = bearer;
const READ = requires("crm:read");
const WRITE = requires("crm:write");
/** A record read with include= carries its own version as a weak ETag, and always a body: the relations may have changed. */
const NOT_MODIFIED_WITHOUT_INCLUDE = "Not modified: If-None-Match names the current ETag (only without include=); no body.";

export function crmOf(c: AppContext): service.Crm {
  const scope = c.get("scope");
  return { db: scope.db, core: c.get("coreDb"), scope };
}

const idParam = (name: string, prefix: string) =>
  businessIdParam.extend({
    [name]: z
      .string()
      .max(64)
      .openapi({ param: { name, in: "path" }, example: `${prefix}_01j9z3k4m5n6p7q8r9s0t1v2w3` }),
  });

interface EntityRoutes {
  entity: EntityName;
  path: string;
  param: string;
  prefix: string;
  tag: string;
  plural: string;
  view: z.ZodType;
  create: z.ZodType;
  update: z.ZodType;
  listQuery: z.ZodObject;
  includes: boolean;
}

/** The standard routes of a CRM record: list (filters, search, batch get, include), create, bulk, export, get, update, delete. */
function registerEntity(app: OpenAPIHono<AppEnv>, r: EntityRoutes): void {
  const tags = [r.tag];
  const base = `/businesses/{businessId}/${r.path}`;
  const one = `${base}/{${r.param}}`;
  const params = idParam(r.param, r.prefix);
  const idOf = (c: AppContext) => (c.req.valid as (t: "param") => Record<string, string>)("param")[r.param]!;
  const bodyOf = (c: AppContext) => (c.req.valid as (t: "json") => Input)("json");
  const queryOf = (c: AppContext) => (c.req.valid as (t: "query") => service.ListQuery)("query");
  const withIncludes = r.view;
  const open = app.openapi.bind(app) as (route: ReturnType<typeof createRoute>, handler: (c: AppContext) => Response | Promise<Response>) => void;

  open(
    createRoute({
      method: "get",
      path: base,
      tags,
      security,
      summary: `List ${r.plural}: filters, sort, full-text search, batch get by ids`,
      middleware: [READ],
      request: { params: businessIdParam, query: r.listQuery },
      responses: { 200: json(pageSchema(withIncludes), `A page of ${r.plural}`), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => c.json(service.list(crmOf(c), r.entity, queryOf(c)), 200),
  );

  open(
    createRoute({
      method: "post",
      path: base,
      tags,
      security,
      summary: `Create a ${r.entity}`,
      middleware: [WRITE],
      request: { params: businessIdParam, body: jsonBody(r.create) },
      responses: { 201: json(r.view, "Created"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 201, (rec) => service.create(crmOf(c), rec, r.entity, bodyOf(c))),
  );

  open(
    createRoute({
      method: "post",
      path: `${base}/bulk`,
      tags,
      security,
      summary: `Create up to ${schema.MAX_BULK} ${r.plural} at once, all or nothing`,
      description: "Any refused row refuses the whole request (422), with every refused row's errors as `items.<index>.<field>`.",
      middleware: [WRITE],
      request: { params: businessIdParam, body: jsonBody(schema.bulkBody(r.create, `Bulk${r.entity[0]!.toUpperCase()}${r.entity.slice(1)}`)) },
      responses: { 201: json(z.object({ data: z.array(r.view) }), "Created, in the order given"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) =>
      commitChange(c, 201, (rec) => ({
        data: service.bulkCreate(crmOf(c), rec, r.entity, (bodyOf(c) as { items: Input[] }).items),
      })),
  );

  const exportQuery = r.listQuery.omit({ limit: true, cursor: true, ids: true, ...(r.includes ? { include: true } : {}) });
  open(
    createRoute({
      method: "get",
      path: `${base}/export`,
      tags,
      security,
      summary: `Export ${r.plural} as CSV (the list's filters, sort and search apply)`,
      description: "Streamed RFC 4180 CSV with a header row; cells that a spreadsheet would run as a formula start with an apostrophe.",
      middleware: [READ],
      request: { params: businessIdParam, query: exportQuery },
      responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => exportCsv(c, r.entity, { ...queryOf(c), limit: 500 }),
  );

  open(
    createRoute({
      method: "get",
      path: one,
      tags,
      security,
      summary: `One ${r.entity}${r.includes ? ", with related records embedded by include=" : ""}`,
      middleware: [READ],
      request: { params, ...(r.includes ? { query: schema.includeQuery(r.entity as keyof typeof schema.INCLUDES) } : {}) },
      responses: { 200: json(r.view, `The ${r.entity}`), ...notModified(r.includes ? NOT_MODIFIED_WITHOUT_INCLUDE : undefined), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const crm = crmOf(c);
      const include = r.includes ? service.parseInclude(r.entity, (c.req.valid as (t: "query") => { include?: string })("query").include) : [];
      if (include.length === 0) return resourceResponse(c, service.current(crm, r.entity, idOf(c)));
      // the embedded relations are not part of the record's version: the ETag is the record's own, weak
      // (the record is read once: the ETag from it, the relations embedded into a copy)
      const bare = service.current(crm, r.entity, idOf(c));
      const full = service.embed(crm, r.entity, [bare], include)[0]!;
      return jsonResponse(JSON.stringify(full), 200, { ETag: `W/${etagOf(bare)}` }) as Response & TypedResponse<typeof full, 200, "json">;
    },
  );

  open(
    createRoute({
      method: "patch",
      path: one,
      tags,
      security,
      summary: `Update a ${r.entity} (null clears a field)`,
      middleware: [WRITE],
      request: { params, body: jsonBody(r.update) },
      responses: { 200: json(r.view, "Updated"), ...errorResponses(...BUSINESS_WRITE_ERRORS, 412) },
    }),
    (c) => {
      const crm = crmOf(c);
      assertIfMatch(c, service.current(crm, r.entity, idOf(c)));
      return commitChange(c, 200, (rec) => service.update(crm, rec, r.entity, idOf(c), bodyOf(c)));
    },
  );

  open(
    createRoute({
      method: "delete",
      path: one,
      tags,
      security,
      summary: `Delete a ${r.entity}; records that point to it are detached, not deleted`,
      ...(r.entity === "company" ? { description: "A company that any invoice names as its customer cannot be deleted (422)." } : {}),
      middleware: [WRITE],
      request: { params },
      responses: { 204: { description: "Deleted" }, ...errorResponses(...BUSINESS_READ_ERRORS, 409, 412, ...(r.entity === "company" ? [422] : [])) },
    }),
    (c) => {
      const crm = crmOf(c);
      assertIfMatch(c, service.current(crm, r.entity, idOf(c)));
      return commitChange(c, 204, (rec) => service.remove(crm, rec, r.entity, idOf(c)));
    },
  );
}

function registerImport(app: OpenAPIHono<AppEnv>, entity: ImportEntity, path: string, plural: string, tag: string): void {
  const open = app.openapi.bind(app) as (route: ReturnType<typeof createRoute>, handler: (c: AppContext) => Response | Promise<Response>) => void;
  open(
    createRoute({
      method: "post",
      path: `/businesses/{businessId}/${path}/import`,
      tags: [tag],
      security,
      summary: `Import ${plural} from CSV: every row or none`,
      description:
        "Columns map onto fields by the `mapping` given, else by their header (`First name` → firstName). A malformed CSV is 400 with its line; " +
        "refused rows are 422 with `rows.<n>.<field>` for each (n counts data rows from 1) and nothing is imported. `dryRun` checks without importing.",
      middleware: [WRITE],
      request: { params: businessIdParam, body: jsonBody(schema.importBody) },
      responses: { 201: json(schema.importResult, "Imported"), 200: json(schema.importResult, "Dry run: every row would import"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => {
      const body = (c.req.valid as (t: "json") => z.infer<typeof schema.importBody>)("json");
      const crm = crmOf(c);
      if (body.dryRun) {
        const result = { imported: 0, dryRun: true, ids: [] as string[] };
        const rollback = new Error("dry run");
        try {
          crm.db.transaction(() => {
            importCsv(crm, { db: crm.db, at: new Date().toISOString(), record: () => {} }, entity, body);
            throw rollback;
          });
        } catch (error) {
          if (error !== rollback) throw error;
        }
        return c.json(result, 200);
      }
      return commitChange(c, 201, (rec) => {
        const ids = importCsv(crm, rec, entity, body);
        return { imported: ids.length, dryRun: false, ids };
      });
    },
  );
}

export function registerCrmRoutes(app: OpenAPIHono<AppEnv>): void {
  registerImport(app, "company", "companies", "companies", "Companies");
  registerImport(app, "contact", "contacts", "contacts", "Contacts");
  registerEntity(app, {
    entity: "company",
    path: "companies",
    param: "companyId",
    prefix: "cmp",
    tag: "Companies",
    plural: "companies",
    view: schema.company,
    create: schema.createCompanyBody,
    update: schema.updateCompanyBody,
    listQuery: schema.companyListQuery,
    includes: true,
  });
  registerEntity(app, {
    entity: "contact",
    path: "contacts",
    param: "contactId",
    prefix: "con",
    tag: "Contacts",
    plural: "contacts",
    view: schema.contact,
    create: schema.createContactBody,
    update: schema.updateContactBody,
    listQuery: schema.contactListQuery,
    includes: true,
  });
  registerEntity(app, {
    entity: "lead",
    path: "leads",
    param: "leadId",
    prefix: "led",
    tag: "Leads",
    plural: "leads",
    view: schema.lead,
    create: schema.createLeadBody,
    update: schema.updateLeadBody,
    listQuery: schema.leadListQuery,
    includes: true,
  });
  registerEntity(app, {
    entity: "deal",
    path: "deals",
    param: "dealId",
    prefix: "deal",
    tag: "Deals",
    plural: "deals",
    view: schema.deal,
    create: schema.createDealBody,
    update: schema.updateDealBody,
    listQuery: schema.dealListQuery,
    includes: true,
  });
  registerEntity(app, {
    entity: "activity",
    path: "activities",
    param: "activityId",
    prefix: "act",
    tag: "Activities",
    plural: "activities",
    view: schema.activity,
    create: schema.createActivityBody,
    update: schema.updateActivityBody,
    listQuery: schema.activityListQuery,
    includes: false,
  });
  registerWorkflow(app);
}

function registerWorkflow(app: OpenAPIHono<AppEnv>): void {
  const leadParams = businessIdParam.extend({
    leadId: z.string().max(64).openapi({ param: { name: "leadId", in: "path" }, example: "led_01j9z3k4m5n6p7q8r9s0t1v2w3" }),
  });
  const pipelineParams = businessIdParam.extend({
    pipelineId: z.string().max(64).openapi({ param: { name: "pipelineId", in: "path" }, example: "pip_01j9z3k4m5n6p7q8r9s0t1v2w3" }),
  });
  const tags = ["Pipelines"];

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/leads/{leadId}/convert",
      tags: ["Leads"],
      security,
      summary: "Convert a lead into a deal, in one transaction",
      description: "Creates the deal with the lead's company (else its contact's), contact and value, links the contact to the company when it had none, and marks the lead converted.",
      middleware: [WRITE],
      request: { params: leadParams, body: jsonBody(schema.convertLeadBody) },
      responses: {
        201: json(z.object({ lead: schema.lead, deal: schema.deal }).openapi("LeadConversion"), "Converted"),
        ...errorResponses(...BUSINESS_WRITE_ERRORS),
      },
    }),
    (c) => commitChange(c, 201, (rec) => service.convertLead(crmOf(c), rec, c.req.valid("param").leadId, c.req.valid("json") as Input)) as never,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/pipelines",
      tags,
      security,
      summary: "Pipelines with their ordered stages",
      middleware: [READ],
      request: { params: businessIdParam, query: pageQuery },
      responses: { 200: json(pageSchema(schema.pipeline), "A page of pipelines"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? "";
      const rows = service.listPipelines(crmOf(c), after, limit + 1);
      return c.json(toPage(rows, limit, (p) => [p.id], (p) => p), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/pipelines",
      tags,
      security,
      summary: "Create a pipeline with its stages, in order",
      middleware: [WRITE],
      request: { params: businessIdParam, body: jsonBody(schema.createPipelineBody) },
      responses: { 201: json(schema.pipeline, "Created"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    (c) => commitChange(c, 201, (rec) => service.createPipeline(crmOf(c), rec, c.req.valid("json"))),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/pipelines/{pipelineId}",
      tags,
      security,
      summary: "One pipeline",
      middleware: [READ],
      request: { params: pipelineParams },
      responses: { 200: json(schema.pipeline, "The pipeline"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => resourceResponse(c, service.currentPipeline(crmOf(c), c.req.valid("param").pipelineId)),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/businesses/{businessId}/pipelines/{pipelineId}",
      tags,
      security,
      summary: "Rename a pipeline, make it the default, or rename, reorder, add and remove its stages",
      middleware: [WRITE],
      request: { params: pipelineParams, body: jsonBody(schema.updatePipelineBody) },
      responses: { 200: json(schema.pipeline, "Updated"), ...errorResponses(...BUSINESS_WRITE_ERRORS, 412) },
    }),
    (c) => {
      const crm = crmOf(c);
      const id = c.req.valid("param").pipelineId;
      assertIfMatch(c, service.currentPipeline(crm, id));
      return commitChange(c, 200, (rec) => service.updatePipeline(crm, rec, id, c.req.valid("json")));
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/businesses/{businessId}/pipelines/{pipelineId}",
      tags,
      security,
      summary: "Delete a pipeline that holds no deals (not the default one)",
      middleware: [WRITE],
      request: { params: pipelineParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(...BUSINESS_READ_ERRORS, 409, 412) },
    }),
    (c) => {
      const crm = crmOf(c);
      const id = c.req.valid("param").pipelineId;
      assertIfMatch(c, service.currentPipeline(crm, id));
      return commitChange(c, 204, (rec) => service.deletePipeline(crm, rec, id));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/pipelines/{pipelineId}/summary",
      tags,
      security,
      summary: "Open deals per stage: count and value per currency; deals per status",
      middleware: [READ],
      request: { params: pipelineParams },
      responses: { 200: json(schema.pipelineSummary, "The summary"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => c.json(service.pipelineSummary(crmOf(c), c.req.valid("param").pipelineId), 200),
  );
}
