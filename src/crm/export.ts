import type { AppContext } from "../http/context.js";
import { Db, DbMeter } from "../platform/sql.js";
import { csvLine } from "./csv.js";
import { buildListQuery, type EntityName, sortKey } from "./lists.js";
import { ENTITIES, type View, viewOf } from "./model.js";
import { type ListQuery, listParams } from "./service.js";
import * as store from "./store.js";

const BATCH = 500;
const ADDRESS_PARTS = ["street", "city", "region", "postalCode", "country"] as const;

/** The CSV columns of an entity: its representation, with arrays joined by ";" and the address spread out. */
export function csvColumns(entity: EntityName): string[] {
  const fields = Object.keys(ENTITIES[entity].fields).flatMap((name) => (name === "address" ? ADDRESS_PARTS.map((p) => `address.${p}`) : [name]));
  return ["id", ...fields, "createdAt", "updatedAt"];
}

function cells(columns: string[], view: View): unknown[] {
  return columns.map((column) => {
    if (column.startsWith("address.")) {
      const address = view.address as Record<string, unknown> | null;
      return address?.[column.slice("address.".length)] ?? null;
    }
    const value = view[column];
    return Array.isArray(value) ? value.join(";") : value;
  });
}

/**
 * Streams a whole filtered list as RFC 4180 CSV, a page at a time: each page borrows the business's
 * database only while it is read, so a slow download never holds it, and keyset paging returns every
 * matching record exactly once even while records are added.
 */
export function exportCsv(c: AppContext, entity: EntityName, query: ListQuery): Response {
  const def = ENTITIES[entity];
  const params = listParams(entity, { ...query, limit: BATCH }, BATCH);
  const deps = c.get("deps");
  const businessId = c.get("scope").businessId;
  const columns = csvColumns(entity);
  const encoder = new TextEncoder();
  let after: (string | number)[] | undefined;
  let done = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(csvLine(columns)));
    },
    pull(controller) {
      if (done) return;
      const handle = deps.businesses.acquire(businessId);
      let rows: store.Row[];
      try {
        const { sql, params: values } = buildListQuery(def.list, after ? { ...params, after } : params);
        rows = store.list(new Db(handle.connection, new DbMeter()), sql, values);
      } finally {
        handle.release();
      }
      let chunk = "";
      for (const row of rows) chunk += csvLine(cells(columns, viewOf(def, row)));
      if (chunk) controller.enqueue(encoder.encode(chunk));
      const last = rows[rows.length - 1];
      if (rows.length < BATCH || !last) {
        done = true;
        controller.close();
      } else {
        after = sortKey(def.list, params.sort, last, params.match !== undefined);
      }
    },
  });
  return new Response(stream, {
    status: 200,
    headers: {
      "Content-Type": "text/csv; charset=utf-8; header=present",
      "Content-Disposition": `attachment; filename="${def.table}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
