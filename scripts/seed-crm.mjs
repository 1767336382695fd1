// Seeds one business with a large CRM for the speed benchmark (not a test):
//   node scripts/build.mjs && node scripts/seed-crm.mjs --data-dir /tmp/crm-bench [--scale 1]
// Scale 1 = 100k companies, 300k contacts, 200k leads, 20k deals, 1M activities. The business is created
// through the API (so its database is created and migrated by the server), then the rows are written
// straight into its database file in large transactions (the triggers keep the FTS tables, the contacts'
// name buckets and the deal totals as they go, as for any write; no audit entries or events: this is load,
// not history). Prints the credentials for scripts/bench-crm.mjs.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startBuiltServer } from "./built-server.mjs";
import Database from "better-sqlite3";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const dataDir = resolve(arg("data-dir", "./bench-data/crm"));
const scale = Number(arg("scale", "1"));
const COUNTS = {
  companies: Math.round(100_000 * scale),
  contacts: Math.round(300_000 * scale),
  leads: Math.round(200_000 * scale),
  deals: Math.round(20_000 * scale),
  activities: Math.round(1_000_000 * scale),
};
mkdirSync(dataDir, { recursive: true });

async function withServer(fn) {
  const server = await startBuiltServer(dataDir);
  try {
    return await fn(server.url);
  } finally {
    await server.stop();
  }
}

async function call(url, method, path, body, token) {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const email = `bench-${Date.now()}@example.com`;
const password = "benchmark passphrase 360";
const { businessId, userId } = await withServer(async (url) => {
  const user = await call(url, "POST", "/auth/register", { email, password, name: "Bench Owner" });
  const business = await call(url, "POST", "/businesses", { name: "Bench CRM", baseCurrency: "USD" }, user.accessToken);
  await call(url, "GET", `/businesses/${business.id}/companies`, undefined, user.accessToken);
  return { businessId: business.id, userId: user.user.id };
});

const db = new Database(join(dataDir, "businesses", `${businessId}.db`));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = OFF");
db.pragma("cache_size = -262144");

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
let clock = Date.now() - 3 * 365 * 24 * 3600 * 1000;
function id(prefix) {
  clock += 1;
  let t = clock;
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rest = "";
  for (const byte of randomBytes(16)) rest += ALPHABET[byte % 32];
  return { id: `${prefix}_${time}${rest}`, at: new Date(clock).toISOString() };
}
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = (list) => list[Math.floor(rand() * list.length)];
const WORDS = "acme nova blue river summit apex orbit cedar pixel quantum harbor falcon atlas ember vertex willow cobalt maple zenith lumen".split(" ");
const SUFFIX = "Inc Ltd GmbH Labs Group Systems Partners Works Studio Co".split(" ");
const FIRST = "Ada Grace Alan Linus Barbara Ken Margaret Dennis Edsger Frances Tim Radia John Hedy Katherine".split(" ");
const LAST = "Lovelace Hopper Turing Torvalds Liskov Thompson Hamilton Ritchie Dijkstra Allen Berners Perlman McCarthy Lamarr Johnson".split(" ");
const INDUSTRIES = "Software Retail Finance Health Energy Media Logistics Education Manufacturing Travel".split(" ");
const SIZES = ["1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+"];
const OWNERS = [userId, "usr_seedowner0000000000000001", "usr_seedowner0000000000000002", "usr_seedowner0000000000000003"];
const LEAD_STATUS = ["new", "contacted", "qualified", "unqualified"];
const ACTIVITY = ["note", "call", "email", "meeting", "task"];

function batchInsert(label, count, sql, make) {
  const statement = db.prepare(sql);
  const started = Date.now();
  const ids = new Array(count);
  const BATCH = 20_000;
  for (let from = 0; from < count; from += BATCH) {
    db.transaction(() => {
      for (let i = from; i < Math.min(count, from + BATCH); i++) {
        const row = make(i);
        ids[i] = row[0];
        statement.run(...row);
      }
    })();
    process.stdout.write(`\r${label}: ${Math.min(count, from + BATCH)}/${count}`);
  }
  process.stdout.write(` in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return ids;
}

const companyIds = batchInsert(
  "companies",
  COUNTS.companies,
  "INSERT INTO companies (id, name, domain, industry, size, website, tags, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  (i) => {
    const { id: cid, at } = id("cmp");
    const name = `${pick(WORDS)} ${pick(WORDS)} ${pick(SUFFIX)} ${i}`;
    const tags = rand() < 0.1 ? ["vip"] : rand() < 0.3 ? ["emea"] : [];
    return [cid, name, `c${i}.example.com`, pick(INDUSTRIES), pick(SIZES), `https://c${i}.example.com`, JSON.stringify(tags), pick(OWNERS), at, at];
  },
);
db.exec("INSERT INTO company_tags (tag, company_id) SELECT j.value, c.id FROM companies c, json_each(c.tags) j");

const contactIds = batchInsert(
  "contacts",
  COUNTS.contacts,
  "INSERT INTO contacts (id, first_name, last_name, email, phone, title, company_id, tags, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  (i) => {
    const { id: cid, at } = id("con");
    const first = pick(FIRST);
    const last = pick(LAST);
    const company = companyIds[Math.floor(rand() * companyIds.length)];
    return [cid, first, last, `${first}.${last}${i}@c${i % COUNTS.companies}.example.com`.toLowerCase(), "+1 415 555 0100", pick(["CEO", "CTO", "Buyer", "Engineer", "Head of Sales"]), company, "[]", pick(OWNERS), at, at];
  },
);

const leadIds = batchInsert(
  "leads",
  COUNTS.leads,
  "INSERT INTO leads (id, title, source, status, value, currency, score, owner_id, company_id, contact_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  (i) => {
    const { id: lid, at } = id("led");
    return [lid, `${pick(WORDS)} ${pick(["renewal", "expansion", "pilot", "upgrade"])} ${i}`, pick(["web", "referral", "event", "outbound"]), pick(LEAD_STATUS), Math.floor(rand() * 1_000_000), "USD", rand() < 0.5 ? Math.floor(rand() * 101) : null, pick(OWNERS), companyIds[Math.floor(rand() * companyIds.length)], contactIds[Math.floor(rand() * contactIds.length)], at, at];
  },
);

const stages = db.prepare("SELECT s.id, s.pipeline_id FROM pipeline_stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE p.is_default = 1 ORDER BY position").all();
const dealIds = batchInsert(
  "deals",
  COUNTS.deals,
  "INSERT INTO deals (id, name, pipeline_id, stage_id, value, currency, expected_close, probability, status, owner_id, company_id, contact_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  (i) => {
    const { id: did, at } = id("deal");
    const stage = pick(stages);
    return [did, `${pick(WORDS)} deal ${i}`, stage.pipeline_id, stage.id, Math.floor(rand() * 5_000_000), "USD", `2027-0${1 + Math.floor(rand() * 9)}-15`, 50, pick(["open", "open", "open", "won", "lost"]), pick(OWNERS), companyIds[Math.floor(rand() * companyIds.length)], null, at, at];
  },
);

batchInsert(
  "activities",
  COUNTS.activities,
  "INSERT INTO activities (id, type, subject, body, due_at, done, owner_id, company_id, contact_id, lead_id, deal_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  (i) => {
    const { id: aid, at } = id("act");
    const type = pick(ACTIVITY);
    return [aid, type, `${type} ${i}`, null, type === "task" ? new Date(clock + Math.floor(rand() * 1e10)).toISOString() : null, rand() < 0.5 ? 1 : 0, pick(OWNERS), companyIds[Math.floor(rand() * companyIds.length)], rand() < 0.5 ? contactIds[Math.floor(rand() * contactIds.length)] : null, rand() < 0.3 ? leadIds[Math.floor(rand() * leadIds.length)] : null, rand() < 0.05 ? dealIds[Math.floor(rand() * dealIds.length)] : null, at, at];
  },
);
db.exec("PRAGMA optimize");
db.close();

const out = { dataDir, businessId, email, password, counts: COUNTS };
writeFileSync(join(dataDir, "crm-bench.json"), JSON.stringify(out, null, 2));
console.log(JSON.stringify(out, null, 2));
