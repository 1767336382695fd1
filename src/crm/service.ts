import type { ChangeRecorder } from "../http/business-write.js";
import type { BusinessScope } from "../http/context.js";
import { findMember } from "../businesses/store.js";
import { newId } from "../platform/ids.js";
import { decodeCursor, encodeCursor, type Page } from "../platform/pagination.js";
import { badRequest, conflict, type FieldError, notFound, ProblemError, unprocessable } from "../platform/problem.js";
import type { Db, SqlValue } from "../platform/sql.js";
import { buildListQuery, cursorShape, type EntityName, hasSortedSearchIndex, type ListParams, SORTED_SEARCH_WALK_FROM, sortKey } from "./lists.js";
import { ENTITIES, type EntityDef, TABLE_OF, toColumn, type View, viewOf } from "./model.js";
import { invoicesOfCustomer } from "../finance/store.js";
import { linkProblem } from "../portfolio/links.js";
import { INCLUDES } from "./schema.js";
import { ftsQuery } from "./search.js";
import * as store from "./store.js";
import type { Row } from "./store.js";

/** What the CRM's rules need from a request: the business's database, and the core one to check owners. */
export interface Crm {
  db: Db;
  core: Db;
  scope: BusinessScope;
}

/**
 * Related records embedded per parent by include=: the newest this many of each relation; when a parent
 * has more, its `more` object gives, per relation, the list request that continues after them.
 */
export const INCLUDE_LIMIT = 100;
export const MAX_BATCH = 200;

type Input = Record<string, unknown>;

const ACTIONS = { company: "company", contact: "contact", lead: "lead", deal: "deal", activity: "activity" } as const;

export function getRow(crm: Crm, entity: EntityName, id: string): Row {
  const row = store.findById(crm.db, ENTITIES[entity].table, id);
  if (!row) throw notFound(`No such ${ENTITIES[entity].label}.`);
  return row;
}

export const current = (crm: Crm, entity: EntityName, id: string) => viewOf(ENTITIES[entity], getRow(crm, entity, id));

// ---------- references ----------

/** Every reference in `input` must name a record of this business: 422 with the field's path otherwise. */
function checkReferences(crm: Crm, def: EntityDef, input: Input, path: string): void {
  const errors: FieldError[] = [];
  for (const [name, field] of Object.entries(def.fields)) {
    const value = input[name];
    if (!field.ref || typeof value !== "string") continue;
    if (field.ref === "pipeline" || field.ref === "stage") continue; // checked with the deal's rules
    if (!store.findById(crm.db, TABLE_OF[field.ref], value)) errors.push({ path: `${path}${name}`, message: `no such ${field.ref} in this business` });
  }
  const owner = input.ownerId;
  if (typeof owner === "string" && !findMember(crm.core, crm.scope.businessId, owner)) {
    errors.push({ path: `${path}ownerId`, message: "not a member of this business" });
  }
  const linked = def.name === "company" ? input.linkedBusinessId : undefined;
  const linkError = typeof linked === "string" ? linkProblem(crm.core, crm.scope, linked) : undefined;
  if (linkError) errors.push({ path: `${path}linkedBusinessId`, message: linkError });
  if (errors.length > 0) throw unprocessable("A referenced record does not exist in this business.", errors);
}

// ---------- entity rules ----------

function pipelineStages(crm: Crm, pipelineId: string) {
  return store.stagesOf(crm.db, [pipelineId]);
}

/** Applies the deal's rules to its merged state: pipeline, stage, probability, status. */
function dealRules(crm: Crm, merged: Input, input: Input, before: Input | undefined, at: string, path: string): void {
  // a stage names its pipeline: a stage of another pipeline moves the deal there
  if (typeof input.stageId === "string" && !("pipelineId" in input)) {
    const stage = store.findStage(crm.db, input.stageId);
    if (stage) {
      merged.pipelineId = stage.pipeline_id;
      if (before !== undefined && stage.pipeline_id !== before.pipelineId) input = { ...input, pipelineId: stage.pipeline_id };
    }
  }
  if (before === undefined || "pipelineId" in input) {
    const pipelineId = (merged.pipelineId as string | undefined) ?? store.defaultPipeline(crm.db)?.id;
    const pipeline = pipelineId ? store.findPipeline(crm.db, pipelineId) : undefined;
    if (!pipeline) throw unprocessable("No such pipeline in this business.", [{ path: `${path}pipelineId`, message: "no such pipeline in this business" }]);
    merged.pipelineId = pipeline.id;
  }
  const stages = pipelineStages(crm, merged.pipelineId as string);
  if (merged.stageId === undefined || (before !== undefined && "pipelineId" in input && !("stageId" in input) && merged.pipelineId !== before.pipelineId)) {
    merged.stageId = stages[0]?.id;
  }
  const stage = stages.find((s) => s.id === merged.stageId);
  if (!stage) throw badRequest("The stage is not one of the pipeline's stages.", [{ path: `${path}stageId`, message: "not a stage of this deal's pipeline" }]);
  if (!("probability" in input) && (before === undefined || before.stageId !== stage.id)) merged.probability = stage.probability;
  if (merged.value !== null && merged.value !== undefined && !merged.currency) merged.currency = crm.scope.baseCurrency;
  const status = (merged.status as string | undefined) ?? "open";
  merged.status = status;
  if (status !== "lost" && merged.lostReason) {
    throw unprocessable("Only a lost deal has a lost reason.", [{ path: `${path}lostReason`, message: "only for lost deals" }]);
  }
  if (before === undefined || before.status !== status) merged.closedAt = status === "open" ? null : at;
}

function leadRules(crm: Crm, merged: Input, input: Input, before: Input | undefined, path: string): void {
  if (before?.status === "converted" && "status" in input && input.status !== "converted") {
    throw unprocessable("A converted lead stays converted.", [{ path: `${path}status`, message: "the lead is converted" }]);
  }
  merged.status ??= "new";
  if (merged.value !== null && merged.value !== undefined && !merged.currency) merged.currency = crm.scope.baseCurrency;
  merged.scoreReasons ??= [];
}

function activityRules(merged: Input, before: Input | undefined, at: string): void {
  merged.done ??= false;
  if (before === undefined || before.done !== merged.done) merged.doneAt = merged.done ? at : null;
}

function applyRules(crm: Crm, def: EntityDef, merged: Input, input: Input, before: Input | undefined, at: string, path: string): void {
  if (def.tags) merged.tags ??= [];
  if (def.name === "deal") dealRules(crm, merged, input, before, at, path);
  if (def.name === "lead") leadRules(crm, merged, input, before, path);
  if (def.name === "activity") activityRules(merged, before, at);
}

function rowOf(def: EntityDef, view: Input): Row {
  const row: Row = {};
  for (const [name, field] of Object.entries(def.fields)) row[field.column] = toColumn(field, view[name]);
  return row;
}

// ---------- create, update, delete ----------

/** Creates one record; `path` prefixes field paths in errors (bulk and import rows). */
export function create(crm: Crm, rec: ChangeRecorder, entity: EntityName, input: Input, path = ""): View {
  const def = ENTITIES[entity];
  const merged: Input = { ...input };
  if (merged.ownerId === undefined && crm.scope.actor.type === "user") merged.ownerId = crm.scope.actor.id;
  applyRules(crm, def, merged, input, undefined, rec.at, path);
  checkReferences(crm, def, merged, path);
  const id = newId(def.prefix, Date.parse(rec.at));
  store.insertRow(crm.db, def.table, { id, ...rowOf(def, merged), created_at: rec.at, updated_at: rec.at });
  if (def.tags) store.replaceTags(crm.db, def.tags, id, merged.tags as string[]);
  const view = current(crm, entity, id);
  const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = view;
  rec.record({ action: `${ACTIONS[entity]}.created`, targetType: entity, targetId: id, changes: fields });
  return view;
}

export function update(crm: Crm, rec: ChangeRecorder, entity: EntityName, id: string, input: Input): View {
  const def = ENTITIES[entity];
  const before = current(crm, entity, id);
  const merged: Input = { ...before, ...input };
  applyRules(crm, def, merged, input, before, rec.at, "");
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const name of Object.keys(def.fields)) {
    const to = merged[name] ?? null;
    if (JSON.stringify(before[name] ?? null) !== JSON.stringify(to)) changed[name] = { from: before[name] ?? null, to };
  }
  if (Object.keys(changed).length === 0) return before;
  const refs: Input = {};
  for (const name of Object.keys(changed)) refs[name] = merged[name];
  checkReferences(crm, def, refs, "");
  const row: Row = {};
  for (const name of Object.keys(changed)) row[def.fields[name]!.column] = toColumn(def.fields[name]!, merged[name]);
  row.updated_at = rec.at;
  store.updateRow(crm.db, def.table, id, row);
  if (def.tags && changed.tags) store.replaceTags(crm.db, def.tags, id, merged.tags as string[]);
  rec.record({ action: `${ACTIONS[entity]}.updated`, targetType: entity, targetId: id, changes: changed });
  if (entity === "deal" && changed.stageId) recordStageMove(crm, rec, merged, id, changed.stageId.from as string, changed.stageId.to as string);
  return current(crm, entity, id);
}

/** Moving a deal between stages leaves an activity on the deal's timeline. */
function recordStageMove(crm: Crm, rec: ChangeRecorder, deal: Input, dealId: string, from: string, to: string): void {
  const stages = store.findByIds(crm.db, "pipeline_stages", [from, to]);
  const name = (id: string) => (stages.find((s) => s.id === id)?.name as string | undefined) ?? id;
  const id = newId("act", Date.parse(rec.at));
  store.insertRow(crm.db, "activities", {
    id,
    type: "stage_change",
    subject: `Moved from ${name(from)} to ${name(to)}`,
    body: JSON.stringify({ fromStageId: from, toStageId: to }),
    done: 1,
    done_at: rec.at,
    owner_id: crm.scope.actor.type === "user" ? crm.scope.actor.id : null,
    company_id: (deal.companyId as string | null) ?? null,
    contact_id: (deal.contactId as string | null) ?? null,
    deal_id: dealId,
    created_at: rec.at,
    updated_at: rec.at,
  });
  const view = current(crm, "activity", id);
  const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = view;
  rec.record({ action: "activity.created", targetType: "activity", targetId: id, changes: fields });
}

/**
 * Deleting a record detaches what points to it (contacts keep existing without their company, activities
 * keep their history): the foreign keys are ON DELETE SET NULL. The audit entry keeps the deleted record.
 * A company that invoices name as their customer is not deleted (422).
 */
export function remove(crm: Crm, rec: ChangeRecorder, entity: EntityName, id: string): void {
  const def = ENTITIES[entity];
  const before = current(crm, entity, id);
  if (entity === "company") {
    // invoices keep their customer for good (AR aging, statements): a company they name stays
    const invoices = invoicesOfCustomer(crm.db, id);
    if (invoices > 0) {
      throw unprocessable(
        `This company is the customer of ${invoices} invoice${invoices === 1 ? "" : "s"} (drafts and void ones count): it cannot be deleted while invoices name it.`,
        [{ path: "companyId", message: `customer of ${invoices} invoice${invoices === 1 ? "" : "s"}` }],
      );
    }
  }
  store.deleteRow(crm.db, def.table, id);
  const { id: _id, ...fields } = before;
  rec.record({ action: `${ACTIONS[entity]}.deleted`, targetType: entity, targetId: id, changes: { deleted: fields } });
}

// ---------- lists, batch get, include ----------

export interface ListQuery {
  limit: number;
  cursor?: string | undefined;
  sort: string;
  q?: string | undefined;
  tag?: string | undefined;
  ids?: string | undefined;
  include?: string | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
  updatedFrom?: string | undefined;
  updatedTo?: string | undefined;
  dueFrom?: string | undefined;
  dueTo?: string | undefined;
  [filter: string]: unknown;
}

const NOT_FILTERS = new Set(["limit", "cursor", "sort", "q", "tag", "ids", "include", "createdFrom", "createdTo", "updatedFrom", "updatedTo", "dueFrom", "dueTo"]);

/** The list parameters of a query, validated; also used by the export, which pages through them. */
export function listParams(entity: EntityName, query: ListQuery, limit: number): ListParams & { sortParam: string } {
  const spec = ENTITIES[entity].list;
  const desc = query.sort.startsWith("-");
  const sort = desc ? query.sort.slice(1) : query.sort;
  const filters: Record<string, SqlValue> = {};
  for (const [name, value] of Object.entries(query)) {
    if (NOT_FILTERS.has(name) || value === undefined) continue;
    const filter = spec.filters[name as keyof typeof spec.filters] as { type: string } | undefined;
    if (!filter) continue;
    filters[name] = filter.type === "bool" ? (value === "true" ? 1 : 0) : (value as SqlValue);
  }
  let match: string | undefined;
  if (query.q !== undefined) {
    match = ftsQuery(query.q);
    if (match === undefined) throw badRequest("The search has no words to look for.", [{ path: "query.q", message: "no letters or digits" }]);
  }
  const params: ListParams & { sortParam: string } = { sort, desc, filters, limit, sortParam: query.sort };
  for (const key of ["tag", "createdFrom", "createdTo", "updatedFrom", "updatedTo", "dueFrom", "dueTo"] as const) {
    const value = query[key];
    if (value !== undefined) params[key] = normaliseInstant(key, value);
  }
  if (match !== undefined) params.match = match;
  return params;
}

function normaliseInstant(key: string, value: string): string {
  if (key === "tag") return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest("Not a valid time.", [{ path: `query.${key}`, message: "not a valid RFC 3339 time" }]);
  return new Date(ms).toISOString();
}

export function decodeListCursor(entity: EntityName, sortParam: string, cursor: string | undefined, search: boolean): (string | number)[] | undefined {
  const spec = ENTITIES[entity].list;
  const sortName = sortParam.startsWith("-") ? sortParam.slice(1) : sortParam;
  const key = decodeCursor(cursor, ["string", ...cursorShape(spec, sortName, search)]);
  if (key === undefined) return undefined;
  if (key[0] !== sortParam) throw badRequest("The cursor belongs to another sort order.", [{ path: "query.cursor", message: "issued for another sort" }]);
  return key.slice(1);
}

export function list(crm: Crm, entity: EntityName, query: ListQuery): Page<View> {
  const def = ENTITIES[entity];
  const include = parseInclude(entity, query.include);
  if (query.ids !== undefined) return batchGet(crm, entity, query, include);
  const params = listParams(entity, query, query.limit + 1);
  const after = decodeListCursor(entity, query.sort, query.cursor, params.match !== undefined);
  if (after) params.after = after;
  // a search under a sort: sort the matches when they are few, walk the sort's index when they are many
  const fts = def.list.fts;
  if (params.match !== undefined && fts !== undefined && def.list.sorts[params.sort]?.column && !hasSortedSearchIndex(def.list, params.sort)) {
    params.walkSortIndex = store.matchCountUpTo(crm.db, fts, params.match, SORTED_SEARCH_WALK_FROM) >= SORTED_SEARCH_WALK_FROM;
  }
  const { sql, params: values } = buildListQuery(def.list, params);
  const rows = store.list(crm.db, sql, values);
  const more = rows.length > query.limit;
  const pageRows = more ? rows.slice(0, query.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  const views = pageRows.map((r) => viewOf(def, r));
  return {
    data: include.length > 0 ? embed(crm, entity, views, include) : views,
    nextCursor: more && last ? encodeCursor([query.sort, ...sortKey(def.list, params.sort, last, params.match !== undefined)]) : null,
  };
}

function batchGet(crm: Crm, entity: EntityName, query: ListQuery, include: string[]): Page<View> {
  const others = Object.entries(query).filter(([k, v]) => v !== undefined && !["ids", "include", "limit", "sort"].includes(k));
  if (others.length > 0 || query.sort !== "createdAt") {
    throw badRequest("ids= is a batch get: it cannot be combined with filters, search, sort or a cursor.", [
      { path: "query.ids", message: "use alone (with include= if needed)" },
    ]);
  }
  const ids = [...new Set((query.ids ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0))];
  if (ids.length === 0 || ids.length > MAX_BATCH) {
    throw badRequest(`ids= takes 1 to ${MAX_BATCH} ids.`, [{ path: "query.ids", message: `1 to ${MAX_BATCH} comma-separated ids` }]);
  }
  const def = ENTITIES[entity];
  const views = store.findByIds(crm.db, def.table, ids).map((r) => viewOf(def, r));
  return { data: include.length > 0 ? embed(crm, entity, views, include) : views, nextCursor: null };
}

export function parseInclude(entity: EntityName, value: string | undefined): string[] {
  if (value === undefined) return [];
  const allowed = (INCLUDES as Record<string, readonly string[]>)[entity] ?? [];
  const names = [...new Set(value.split(",").map((s) => s.trim()).filter((s) => s.length > 0))];
  const unknown = names.filter((n) => !allowed.includes(n));
  if (unknown.length > 0) {
    throw badRequest(`include= takes ${allowed.join(", ") || "nothing"} here.`, [{ path: "query.include", message: `unknown: ${unknown.join(", ")}` }]);
  }
  return names;
}

/**
 * Embeds relations into a set of records: one statement per relation, never one per record, so the
 * cost of a page or a record does not grow with how much is related to it.
 */
export function embed(crm: Crm, entity: EntityName, views: View[], include: string[]): View[] {
  const out = views.map((v) => ({ ...v }));
  const ids = views.map((v) => v.id as string);
  const toOne = (name: string, target: EntityName, key: string) => {
    const wanted = [...new Set(views.map((v) => v[key]).filter((x): x is string => typeof x === "string"))];
    const rows = new Map(store.findByIds(crm.db, ENTITIES[target].table, wanted).map((r) => [r.id as string, viewOf(ENTITIES[target], r)]));
    for (const v of out) v[name] = typeof v[key] === "string" ? (rows.get(v[key] as string) ?? null) : null;
  };
  const toMany = (name: string, target: EntityName, column: string, parents: readonly string[], parentKey: (v: View) => string | null) => {
    // one more than embedded per parent, to know whether the list goes on
    const rows = store.childrenOf(crm.db, ENTITIES[target].table, column, parents, INCLUDE_LIMIT + 1);
    const byParent = new Map<string, View[]>();
    const cut = new Set<string>();
    for (const r of rows) {
      const parent = r[column] as string;
      let group = byParent.get(parent);
      if (!group) {
        group = [];
        byParent.set(parent, group);
      }
      if (group.length < INCLUDE_LIMIT) group.push(viewOf(ENTITIES[target], r));
      else cut.add(parent);
    }
    for (const v of out) {
      const key = parentKey(v);
      const group = key === null ? [] : (byParent.get(key) ?? []);
      v[name] = group;
      if (key !== null && cut.has(key)) {
        // the rest, newest first, from just after the last one embedded
        const cursor = encodeCursor(["-createdAt", group[group.length - 1]!.id as string]);
        const filter = `${column.replace(/_id$/, "")}Id=${encodeURIComponent(key)}`;
        const more = { ...((v.more as Record<string, string> | undefined) ?? {}) };
        more[name] = `/api/v1/businesses/${crm.scope.businessId}/${ENTITIES[target].table}?${filter}&sort=-createdAt&limit=${INCLUDE_LIMIT}&cursor=${encodeURIComponent(cursor)}`;
        v.more = more;
      }
    }
  };
  const own = (v: View) => v.id as string;
  for (const name of include) {
    if (name === "company") toOne("company", "company", "companyId");
    else if (name === "contact") toOne("contact", "contact", "contactId");
    else if (name === "deal") toOne("deal", "deal", "dealId");
    else if (name === "pipeline") {
      const pipelines = new Map(pipelineViews(crm, [...new Set(views.map((v) => v.pipelineId as string))]).map((p) => [p.id, p]));
      for (const v of out) v.pipeline = pipelines.get(v.pipelineId as string) ?? null;
    } else if (name === "activities") {
      const column = { company: "company_id", contact: "contact_id", lead: "lead_id", deal: "deal_id", activity: "" }[entity];
      toMany("activities", "activity", column, ids, own);
    } else if (name === "leads" || name === "deals") {
      const column = entity === "company" ? "company_id" : "contact_id";
      toMany(name, name === "leads" ? "lead" : "deal", column, ids, own);
    } else if (name === "contacts" && entity === "company") {
      toMany("contacts", "contact", "company_id", ids, own);
    } else if (name === "contacts" && entity === "lead") {
      // the lead's contact, then the people of its company
      const companies = [...new Set(views.map((v) => v.companyId).filter((x): x is string => typeof x === "string"))];
      toMany("contacts", "contact", "company_id", companies, (v) => (v.companyId as string | null) ?? null);
      const direct = new Map(
        store
          .findByIds(crm.db, "contacts", [...new Set(views.map((v) => v.contactId).filter((x): x is string => typeof x === "string"))])
          .map((r) => [r.id as string, viewOf(ENTITIES.contact, r)]),
      );
      for (const v of out) {
        const mine = typeof v.contactId === "string" ? direct.get(v.contactId) : undefined;
        const people = v.contacts as View[];
        v.contacts = mine ? [mine, ...people.filter((p) => p.id !== mine.id)] : people;
      }
    }
  }
  return out;
}

// ---------- pipelines ----------

export function pipelineViews(crm: Crm, ids: string[]) {
  return pipelineViewsOf(crm, store.findByIds(crm.db, "pipelines", ids) as unknown as store.PipelineRow[]);
}

function pipelineViewsOf(crm: Crm, rows: store.PipelineRow[]) {
  const stages = store.stagesOf(
    crm.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    isDefault: r.is_default === 1,
    stages: stages
      .filter((s) => s.pipeline_id === r.id)
      .map((s) => ({ id: s.id, name: s.name, position: s.position, probability: s.probability })),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export type PipelineView = ReturnType<typeof pipelineViewsOf>[number];

export function currentPipeline(crm: Crm, id: string): PipelineView {
  const row = store.findPipeline(crm.db, id);
  if (!row) throw notFound("No such pipeline.");
  return pipelineViewsOf(crm, [row])[0]!;
}

export function listPipelines(crm: Crm, after: string, limit: number) {
  return pipelineViewsOf(crm, store.listPipelines(crm.db, after, limit));
}

interface StageInput {
  id?: string | undefined;
  name: string;
  probability?: number | undefined;
}

/** Default probabilities spread evenly when a stage does not say: 10, 20, … up to 90. */
const defaultProbability = (index: number, count: number) => Math.min(90, Math.round(((index + 1) / (count + 1)) * 100));

function writeStages(crm: Crm, pipelineId: string, stages: StageInput[], existing: store.StageRow[]): void {
  const seen = new Set<string>();
  stages.forEach((s, i) => {
    if (s.id === undefined) return;
    if (seen.has(s.id)) throw badRequest("A stage is listed twice.", [{ path: `stages.${i}.id`, message: "listed twice" }]);
    seen.add(s.id);
    if (!existing.some((e) => e.id === s.id)) throw badRequest("Not a stage of this pipeline.", [{ path: `stages.${i}.id`, message: "not a stage of this pipeline" }]);
  });
  for (const e of existing) {
    if (seen.has(e.id)) continue;
    if (store.dealsInStage(crm.db, e.id) > 0) throw conflict(`The stage "${e.name}" still holds deals; move them first.`);
    store.deleteStage(crm.db, e.id);
  }
  // positions are rewritten in two passes, so no two stages ever share one mid-update
  stages.forEach((s, i) => {
    const probability = s.probability ?? existing.find((e) => e.id === s.id)?.probability ?? defaultProbability(i, stages.length);
    const row = { id: s.id ?? newId("stg"), pipeline_id: pipelineId, name: s.name, position: i + 1, probability };
    if (s.id === undefined) store.insertStage(crm.db, row);
    else store.updateStage(crm.db, row);
  });
}

export function createPipeline(crm: Crm, rec: ChangeRecorder, input: { name: string; isDefault?: boolean | undefined; stages: StageInput[] }) {
  if (input.stages.some((s) => s.id !== undefined)) {
    throw badRequest("A new pipeline's stages are new too.", [{ path: "stages", message: "no ids when creating" }]);
  }
  const id = newId("pip", Date.parse(rec.at));
  if (input.isDefault) store.clearDefaultPipeline(crm.db);
  store.insertRow(crm.db, "pipelines", { id, name: input.name, is_default: input.isDefault ? 1 : 0, created_at: rec.at, updated_at: rec.at });
  writeStages(crm, id, input.stages, []);
  const view = currentPipeline(crm, id);
  rec.record({ action: "pipeline.created", targetType: "pipeline", targetId: id, changes: { name: view.name, isDefault: view.isDefault, stages: view.stages } });
  return view;
}

export function updatePipeline(crm: Crm, rec: ChangeRecorder, id: string, input: { name?: string | undefined; isDefault?: true | undefined; stages?: StageInput[] | undefined }) {
  const before = currentPipeline(crm, id);
  const row: Row = {};
  if (input.name !== undefined && input.name !== before.name) row.name = input.name;
  if (input.isDefault && !before.isDefault) {
    store.clearDefaultPipeline(crm.db);
    row.is_default = 1;
  }
  if (input.stages) {
    writeStages(
      crm,
      id,
      input.stages,
      before.stages.map((s) => ({ ...s, pipeline_id: id })),
    );
  }
  const afterStages = currentPipeline(crm, id).stages;
  const stagesChanged = JSON.stringify(afterStages) !== JSON.stringify(before.stages);
  if (Object.keys(row).length === 0 && !stagesChanged) return before;
  row.updated_at = rec.at;
  store.updateRow(crm.db, "pipelines", id, row);
  const after = currentPipeline(crm, id);
  const changes: Record<string, unknown> = {};
  if (row.name !== undefined) changes.name = { from: before.name, to: after.name };
  if (row.is_default !== undefined) changes.isDefault = { from: false, to: true };
  if (stagesChanged) changes.stages = { from: before.stages, to: after.stages };
  rec.record({ action: "pipeline.updated", targetType: "pipeline", targetId: id, changes });
  return after;
}

export function deletePipeline(crm: Crm, rec: ChangeRecorder, id: string): void {
  const before = currentPipeline(crm, id);
  if (before.isDefault) throw conflict("The default pipeline cannot be deleted; make another one the default first.");
  if (store.dealsInPipeline(crm.db, id) > 0) throw conflict("This pipeline still holds deals; move or delete them first.");
  store.deleteRow(crm.db, "pipelines", id);
  const { id: _id, ...fields } = before;
  rec.record({ action: "pipeline.deleted", targetType: "pipeline", targetId: id, changes: { deleted: fields } });
}

export function pipelineSummary(crm: Crm, id: string) {
  const pipeline = currentPipeline(crm, id);
  const totals = store.stageTotals(crm.db, id);
  const statuses = store.statusTotals(crm.db, id);
  return {
    pipelineId: id,
    stages: pipeline.stages.map((s) => {
      const rows = totals.filter((t) => t.stage_id === s.id);
      return {
        stageId: s.id,
        name: s.name,
        position: s.position,
        count: rows.reduce((n, r) => n + r.n, 0),
        values: rows
          .filter((r) => r.currency !== null)
          .map((r) => ({ currency: r.currency as string, amount: r.amount ?? 0 }))
          .sort((a, b) => a.currency.localeCompare(b.currency)),
      };
    }),
    totals: {
      open: statuses.find((s) => s.status === "open")?.n ?? 0,
      won: statuses.find((s) => s.status === "won")?.n ?? 0,
      lost: statuses.find((s) => s.status === "lost")?.n ?? 0,
    },
  };
}

// ---------- workflow ----------

/** Lead → deal in one transaction: the deal (with the lead's company, contact and value), the lead marked converted. */
export function convertLead(crm: Crm, rec: ChangeRecorder, leadId: string, input: Input) {
  const lead = current(crm, "lead", leadId);
  if (lead.status === "converted") throw conflict("This lead is already converted.");
  const person = typeof lead.contactId === "string" ? current(crm, "contact", lead.contactId) : undefined;
  const dealInput: Input = {
    name: (input.name as string | undefined) ?? lead.title,
    value: "value" in input ? input.value : lead.value,
    currency: "currency" in input ? input.currency : lead.currency,
    // the lead's company, else its contact's
    companyId: lead.companyId ?? person?.companyId ?? null,
    contactId: lead.contactId,
    ownerId: "ownerId" in input ? input.ownerId : lead.ownerId,
  };
  for (const key of ["pipelineId", "stageId", "expectedClose"]) if (input[key] !== undefined) dealInput[key] = input[key];
  const deal = create(crm, rec, "deal", dealInput);
  // the contact joins the company when it had none
  if (person && typeof lead.companyId === "string" && person.companyId === null) {
    update(crm, rec, "contact", person.id as string, { companyId: lead.companyId });
  }
  store.updateRow(crm.db, "leads", leadId, { status: "converted", deal_id: deal.id as string, converted_at: rec.at, updated_at: rec.at });
  rec.record({
    action: "lead.converted",
    targetType: "lead",
    targetId: leadId,
    changes: { status: { from: lead.status, to: "converted" }, dealId: deal.id },
  });
  return { lead: current(crm, "lead", leadId), deal };
}

// ---------- bulk ----------

/** Creates every item or none: each refused row is reported with its index, then everything rolls back. */
export function bulkCreate(crm: Crm, rec: ChangeRecorder, entity: EntityName, items: Input[], rowPath = (i: number) => `items.${i}.`): View[] {
  const created: View[] = [];
  const errors: FieldError[] = [];
  items.forEach((item, i) => {
    try {
      created.push(create(crm, rec, entity, item, rowPath(i)));
    } catch (error) {
      if (!(error instanceof ProblemError) || error.status >= 500) throw error;
      errors.push(...(error.errors ?? [{ path: rowPath(i).replace(/\.$/, ""), message: error.message }]));
    }
  });
  if (errors.length > 0) {
    throw new ProblemError(422, "business-rule", `${new Set(errors.map((e) => e.path.split(".").slice(0, 2).join("."))).size} of ${items.length} rows were refused; nothing was created.`, errors);
  }
  return created;
}
