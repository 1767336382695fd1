import { z } from "@hono/zod-openapi";
import { base64url, fromBase64url } from "./crypto.js";
import { badRequest } from "./problem.js";

/**
 * Keyset pagination: a cursor names the last record of the page by its sort key, so walking every
 * page returns each record exactly once even while new records arrive.
 */
export const pageQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, "must be a whole number from 1 to 200")
    .transform(Number)
    .pipe(z.number().int().min(1).max(200))
    .default(50)
    .openapi({ type: "integer", minimum: 1, maximum: 200, description: "Page size, 1–200." }),
  cursor: z.string().max(512).optional().openapi({ description: "nextCursor of the previous page." }),
});

export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

export function encodeCursor(key: readonly (string | number)[]): string {
  return base64url(new TextEncoder().encode(JSON.stringify(key)));
}

/** Decodes a cursor into a key of the expected shape, or refuses it with 400. */
export function decodeCursor(cursor: string | undefined, shape: readonly ("string" | "number")[]): (string | number)[] | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64url(cursor)));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((part, i) => typeof part !== shape[i])) {
    throw badRequest("The cursor is not one this list issued.", [{ path: "cursor", message: "invalid cursor" }]);
  }
  return key as (string | number)[];
}

/** Rows were fetched with limit + 1: the extra one only tells whether another page exists. */
export function toPage<R, T>(rows: R[], limit: number, keyOf: (row: R) => (string | number)[], map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { data: pageRows.map(map), nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
