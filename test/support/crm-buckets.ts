import Database from "better-sqlite3";
import { expect } from "vitest";
import { type Client, pagedIds } from "./api.js";

/** A bucketed search index: the bucket column of `table`, numbered along `order`, and its contentless FTS table. */
export interface BucketIndex {
  table: string;
  bucket: string;
  order: string;
  fts: string;
}

export const CONTACTS_BY_NAME: BucketIndex = { table: "contacts", bucket: "name_bucket", order: "sort_name, id", fts: "contacts_sorted_fts" };
export const COMPANIES_BY_NAME: BucketIndex = { table: "companies", bucket: "name_bucket", order: "name, id", fts: "companies_sorted_fts" };
export const LEADS_BY_SCORE: BucketIndex = { table: "leads", bucket: "score_bucket", order: "score_sort, id", fts: "leads_sorted_fts" };

/**
 * A bucketed index in a business database file, read behind the server: the buckets follow the sort's
 * order, every record has one, none holds more than 128, and the FTS table holds exactly one entry per
 * record, under its current bucket. `more` checks the same open file further.
 */
export function expectBuckets(file: string, index: BucketIndex, records: number, more?: (db: Database.Database) => void): void {
  const { table, bucket, order, fts } = index;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const disorder = db.prepare(`SELECT count(*) AS n FROM (SELECT ${bucket} AS b, lag(${bucket}) OVER (ORDER BY ${order}) AS prev FROM ${table}) WHERE b < prev`).get() as { n: number };
    expect(disorder.n).toBe(0);
    const unbucketed = db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${bucket} = 0`).get() as { n: number };
    expect(unbucketed.n).toBe(0);
    const biggest = db.prepare(`SELECT max(n) AS n FROM (SELECT count(*) AS n FROM ${table} GROUP BY ${bucket})`).get() as { n: number };
    expect(biggest.n).toBeLessThanOrEqual(128);
    // as text: the keys exceed 2^53; a full scan of the contentless index lists every rowid it holds
    const indexed = db.prepare(`SELECT CAST(rowid AS TEXT) AS k FROM ${fts} ORDER BY rowid`).all();
    const keys = db.prepare(`SELECT CAST((${bucket} << 32) | seq AS TEXT) AS k FROM ${table} ORDER BY (${bucket} << 32) | seq`).all();
    expect(keys).toHaveLength(records);
    expect(indexed).toEqual(keys);
    more?.(db);
  } finally {
    db.close();
  }
}

/** A contact as the API lists it, with what the contact search tests compare. */
export interface Contact {
  id: string;
  firstName: string;
  lastName: string;
  email: string | null;
  title: string | null;
  updatedAt: string;
}

const words = (c: Contact) => [c.firstName, c.lastName, c.email ?? "", c.title ?? ""].join(" ").toLowerCase().split(/[^a-z0-9]+/);

/** Whether `q=word` finds the contact: a word of its name, e-mail or title begins with it. */
export const contactMatches = (c: Contact, word: string) => words(c).some((w) => w.startsWith(word));

/** The order of `sort=name`: last name, then first name, case-insensitive, then id. */
export function byContactName(a: Contact, b: Contact): number {
  const ka = `${a.lastName} ${a.firstName}`.toLowerCase();
  const kb = `${b.lastName} ${b.firstName}`.toLowerCase();
  return ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `q=word` sorted by name, both directions, across pages of `pageSize`, is exactly the matches of `all`. */
export async function expectSearchByName(api: Client, base: string, token: string, all: Contact[], word: string, pageSize: number): Promise<void> {
  const ascending = all.filter((c) => contactMatches(c, word)).sort(byContactName).map((c) => c.id);
  expect(ascending.length, `matches of ${word}`).toBeGreaterThan(0);
  expect((await pagedIds(api, `${base}/contacts?q=${word}&sort=name`, token, pageSize)).ids, `q=${word} sort=name`).toEqual(ascending);
  expect((await pagedIds(api, `${base}/contacts?q=${word}&sort=-name`, token, pageSize)).ids, `q=${word} sort=-name`).toEqual([...ascending].reverse());
}
