// Measures CRM list, filter, search and include queries on a seeded business (see scripts/seed-crm.mjs):
//   node scripts/build.mjs && node scripts/bench-crm.mjs --data-dir /tmp/crm-bench [--runs 50]
// Starts the built server on that data directory, runs each query `runs` times after a warm-up, and prints
// the server's own time for each (Server-Timing `app;dur`, the whole request inside the server, and
// `db;dur`, the SQL part) as median and p95 in milliseconds. Exit 1 if a median exceeds 2 ms.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startBuiltServer } from "./built-server.mjs";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const dataDir = resolve(arg("data-dir", "./bench-data/crm"));
const runs = Number(arg("runs", "50"));
const target = Number(arg("target-ms", "2"));
const seeded = JSON.parse(readFileSync(join(dataDir, "crm-bench.json"), "utf8"));

const server = await startBuiltServer(dataDir);
const url = server.url;

async function get(path, token) {
  const res = await fetch(`${url}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  const timing = res.headers.get("server-timing") ?? "";
  const app = Number(/app;dur=([\d.]+)/.exec(timing)?.[1] ?? Number.NaN);
  const db = Number(/db;dur=([\d.]+)/.exec(timing)?.[1] ?? 0);
  const statements = Number(/desc="(\d+) statements"/.exec(timing)?.[1] ?? 0);
  return { body, app, db, statements };
}

let failed = false;
try {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: seeded.email, password: seeded.password }),
  }).then((r) => r.json());
  const token = login.accessToken;
  const B = `/businesses/${seeded.businessId}`;
  const someLead = (await get(`${B}/leads?limit=1&status=qualified`, token)).body.data[0];
  const someContact = (await get(`${B}/contacts?limit=1&sort=name`, token)).body.data[0];
  const page2 = (await get(`${B}/contacts?sort=name&limit=50`, token)).body.nextCursor;
  const ids = (await get(`${B}/companies?limit=200`, token)).body.data.map((c) => c.id).join(",");
  const pipeline = (await get(`${B}/pipelines`, token)).body.data[0];
  const hopperPage2 = (await get(`${B}/contacts?q=hopper&sort=name&limit=20`, token)).body.nextCursor;
  const queries = [
    ["companies, newest first", `${B}/companies?sort=-createdAt`],
    ["companies by name, page 1", `${B}/companies?sort=name`],
    ["companies industry=Software by name", `${B}/companies?industry=Software&sort=name`],
    ["companies tag=vip", `${B}/companies?tag=vip`],
    ["companies created in a range", `${B}/companies?createdFrom=2020-01-01T00:00:00Z&createdTo=2030-01-01T00:00:00Z`],
    ["companies search q=zenith lumen", `${B}/companies?q=zenith%20lumen`],
    ["companies search q=c4242 (domain)", `${B}/companies?q=c4242`],
    ["companies search q=example (every company), by name", `${B}/companies?q=example&sort=name&limit=20`],
    ["contacts by name, page 2", `${B}/contacts?sort=name&limit=50&cursor=${encodeURIComponent(page2)}`],
    ["contacts of one company", `${B}/contacts?companyId=${someContact.companyId}`],
    ["contacts search q=hopper (20k matches)", `${B}/contacts?q=hopper&limit=20`],
    ["contacts search q=hopper, by name", `${B}/contacts?q=hopper&sort=name&limit=20`],
    ["contacts search q=hopper, by name, page 2", `${B}/contacts?q=hopper&sort=name&limit=20&cursor=${encodeURIComponent(hopperPage2)}`],
    ["contacts search q=hopper, by name desc", `${B}/contacts?q=hopper&sort=-name&limit=20`],
    ["contacts search q=grace (first names), by name", `${B}/contacts?q=grace&sort=name&limit=20`],
    ["contacts search q=grace.hopper1 (email)", `${B}/contacts?q=grace.hopper1&limit=20`],
    ["contacts search q=example (every contact)", `${B}/contacts?q=example&limit=20`],
    ["leads search q=renewal (50k matches), by score", `${B}/leads?q=renewal&sort=-score&limit=20`],
    ["leads search q=renewal 4242 (few matches), by score", `${B}/leads?q=renewal%204242&sort=-score&limit=20`],
    ["leads status=qualified, updated desc", `${B}/leads?status=qualified&sort=-updatedAt`],
    ["leads by score desc", `${B}/leads?sort=-score`],
    ["leads ownerId + status", `${B}/leads?ownerId=${someLead.ownerId}&status=new`],
    ["activities of one company", `${B}/activities?companyId=${someContact.companyId}`],
    ["activities type=task by due date", `${B}/activities?type=task&sort=dueAt`],
    ["deals stage=…, open", `${B}/deals?stageId=${pipeline.stages[0].id}&status=open`],
    ["lead ?include=company,contacts,activities", `${B}/leads/${someLead.id}?include=company,contacts,activities`],
    ["company ?include=contacts,leads,deals,activities", `${B}/companies/${someContact.companyId}?include=contacts,leads,deals,activities`],
    ["batch get 200 companies", `${B}/companies?ids=${ids}`],
    ["leads page with include=company,contact", `${B}/leads?limit=50&include=company,contact`],
    ["pipeline summary", `${B}/pipelines/${pipeline.id}/summary`],
  ];
  const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const rows = [];
  for (const [name, path] of queries) {
    for (let i = 0; i < 5; i++) await get(path, token);
    const app = [];
    const db = [];
    let statements = 0;
    let count = 0;
    for (let i = 0; i < runs; i++) {
      const r = await get(path, token);
      app.push(r.app);
      db.push(r.db);
      statements = r.statements;
      count = Array.isArray(r.body.data) ? r.body.data.length : 1;
    }
    app.sort((a, b) => a - b);
    db.sort((a, b) => a - b);
    const row = { name, rows: count, statements, appP50: q(app, 0.5), appP95: q(app, 0.95), dbP50: q(db, 0.5), dbP95: q(db, 0.95) };
    if (row.appP50 > target) failed = true;
    rows.push(row);
  }
  console.log(`CRM benchmark: ${JSON.stringify(seeded.counts)}, ${runs} runs each; server time in ms (Server-Timing)`);
  console.log("| query | rows | statements | app p50 | app p95 | db p50 | db p95 |\n|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.rows} | ${r.statements} | ${r.appP50.toFixed(2)} | ${r.appP95.toFixed(2)} | ${r.dbP50.toFixed(2)} | ${r.dbP95.toFixed(2)} |`);
  }
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);
