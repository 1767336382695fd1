/**
 * Migration 0009 on a database whose contacts' name buckets already overflowed under 0006's split rule: it
 * renumbers the contacts' buckets once (as 0006 first numbered them) and refills contacts_sorted_fts, so
 * afterwards no bucket holds more than 128 contacts, the index holds exactly one entry per contact under its
 * bucket, and search sorted by name still gives exactly the records' answer, both directions, across pages.
 * The overflowed state is made in the file itself (0006's triggers put back, buckets of 300 numbered with no
 * free number between them, the version set back to 8), with the server stopped; then the server reopens it.
 */
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allPages, type Client, client, createBusiness, registerUser } from "./support/api.js";
import { CONTACTS_BY_NAME, type Contact, expectBuckets, expectSearchByName } from "./support/crm-buckets.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let token: string;
let B: string;
let businessId: string;
let dataDir: string;

const dbFile = () => join(dataDir, "businesses", `${businessId}.db`);

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  dataDir = server.dataDir;
  api = client(server.url);
  token = (await registerUser(api, "Runs Owner")).token;
  businessId = await createBusiness(api, token, "Runs Co");
  B = `/businesses/${businessId}`;
  // long runs of equal names (case differs: one key under NOCASE) and a few others between them
  const items = Array.from({ length: 900 }, (_, i) => ({
    firstName: i % 2 === 0 ? "Ann" : "ANN",
    lastName: i % 3 === 0 ? "Mills" : i % 3 === 1 ? "Baker" : `Zeta${i % 7}`,
    email: `runs${i}@example.com`,
    title: i % 5 === 0 ? "Buyer" : null,
  }));
  expect((await api.post(`${B}/contacts/bulk`, { items }, { token })).status).toBe(201);
  await server.stop();

  // the state 0006's rule leaves when a run's end runs out of numbers: buckets over 128 with no free number
  // between them, under 0006's own triggers, at version 8 — so the server migrates it with 0009 on next open
  const sql0006 = readFileSync(new URL("../migrations/business/0006_crm_speed.sql", import.meta.url), "utf8");
  const triggers = ["contacts_bucket_index", "contact_bucket_split"].map((name) => {
    const found = sql0006.match(new RegExp(`CREATE TRIGGER ${name} [\\s\\S]*?\\nEND;`));
    expect(found, name).not.toBeNull();
    return found![0];
  });
  const db = new Database(dbFile(), { fileMustExist: true });
  try {
    db.transaction(() => {
      db.exec("DROP TRIGGER contacts_bucket_index; DROP TRIGGER contact_bucket_split;");
      db.exec(`UPDATE contacts SET name_bucket = b.bucket
                 FROM (SELECT seq, 1000 + (row_number() OVER (ORDER BY sort_name, id) - 1) / 300 AS bucket FROM contacts) b
                WHERE contacts.seq = b.seq`);
      db.exec("INSERT INTO contacts_sorted_fts(contacts_sorted_fts) VALUES ('delete-all')");
      db.exec(`INSERT INTO contacts_sorted_fts(rowid, first_name, last_name, email, title)
               SELECT (name_bucket << 32) | seq, first_name, last_name, email, title FROM contacts`);
      for (const trigger of triggers) db.exec(trigger);
      db.exec("DROP TABLE ledger_totals"); // a version-8 database has no migration 0010 yet
      db.pragma("user_version = 8");
    })();
    const biggest = db.prepare("SELECT max(n) AS n FROM (SELECT count(*) AS n FROM contacts GROUP BY name_bucket)").get() as { n: number };
    expect(biggest.n).toBe(300);
  } finally {
    db.close();
  }
  server = await startServer({ dataDir, env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
});
afterAll(async () => {
  await server?.stop();
  if (dataDir) removeDataDir(dataDir);
});

function checkIndex(expected: number) {
  const db = new Database(dbFile(), { readonly: true, fileMustExist: true });
  try {
    expect((db.pragma("user_version", { simple: true }) as number) >= 9).toBe(true);
  } finally {
    db.close();
  }
  expectBuckets(dbFile(), CONTACTS_BY_NAME, expected);
}

async function expectExact(word: string, expected: number) {
  const all = await allPages<Contact>(api, `${B}/contacts`, token);
  expect(all).toHaveLength(expected);
  await expectSearchByName(api, B, token, all, word, 40);
}

describe("contacts' name buckets that overflowed before migration 0009", () => {
  it("are renumbered once: every bucket at or under 128, one index entry per contact, exact searches", async () => {
    // the first request opens the business database, which migrates it
    for (const word of ["ann", "mills", "buyer"]) await expectExact(word, 900);
    checkIndex(900);
  });

  it("stay bounded as contacts of one name keep joining the end of their run, one at a time", async () => {
    for (let i = 0; i < 300; i++) {
      const res = await api.post(`${B}/contacts`, { firstName: "Ann", lastName: "MILLS", email: `late${i}@example.com` }, { token });
      expect(res.status).toBe(201);
    }
    for (const word of ["mills", "late"]) await expectExact(word, 1200);
    checkIndex(1200);
  });
});
