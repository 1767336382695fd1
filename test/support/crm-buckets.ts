import Database from "better-sqlite3";
import { expect } from "vitest";

/**
 * Contacts' name buckets in a business database file, read behind the server: they follow the name order,
 * every contact has one, none holds more than 128, and the bucketed search index holds exactly one entry
 * per contact, under its current bucket.
 */
export function expectContactBuckets(file: string, contacts: number): void {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const disorder = db.prepare("SELECT count(*) AS n FROM (SELECT name_bucket, lag(name_bucket) OVER (ORDER BY sort_name, id) AS prev FROM contacts) WHERE name_bucket < prev").get() as { n: number };
    expect(disorder.n).toBe(0);
    const unbucketed = db.prepare("SELECT count(*) AS n FROM contacts WHERE name_bucket = 0").get() as { n: number };
    expect(unbucketed.n).toBe(0);
    const biggest = db.prepare("SELECT max(n) AS n FROM (SELECT count(*) AS n FROM contacts GROUP BY name_bucket)").get() as { n: number };
    expect(biggest.n).toBeLessThanOrEqual(128);
    // as text: the keys exceed 2^53; a full scan of the contentless index lists every rowid it holds
    const indexed = db.prepare("SELECT CAST(rowid AS TEXT) AS k FROM contacts_sorted_fts ORDER BY rowid").all();
    const keys = db.prepare("SELECT CAST((name_bucket << 32) | seq AS TEXT) AS k FROM contacts ORDER BY (name_bucket << 32) | seq").all();
    expect(keys).toHaveLength(contacts);
    expect(indexed).toEqual(keys);
  } finally {
    db.close();
  }
}
