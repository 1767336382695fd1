// Statements over a large ledger: node scripts/build.mjs && node scripts/bench-ledger.mjs [--postings 1000000]
// Creates a business through the API, stops the server, writes `postings` balanced postings (two per
// entry, over two years, across the whole chart) straight into its database file in one transaction —
// with the ledger's daily and lifetime totals computed from them, as the posting code keeps them — then starts the
// server again and times the trial balance and the balance sheet by their Server-Timing `app` duration
// (median of 30). Exit 1 if a statement does not balance or the trial balance disagrees with a sum over
// the postings themselves; the figures are printed, not judged.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiCaller, numberArg, startBuiltServer } from "./built-server.mjs";

const postings = numberArg("postings", 1_000_000);
const dataDir = mkdtempSync(join(tmpdir(), "coreflow-bench-ledger-"));
const asOf = "2025-12-31";

async function timed(url, path, token) {
  const res = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
  return { body, ms: Number(/app;dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "")?.[1]) };
}

const failures = [];
try {
  let server = await startBuiltServer(dataDir);
  const call = apiCaller(server.url);
  const { accessToken: token } = await call("POST", "/auth/register", { email: `ledger-${Date.now()}@example.com`, password: "correct horse battery staple", name: "Ledger" });
  const business = (await call("POST", "/businesses", { name: "Large ledger", baseCurrency: "USD" }, token)).id;
  await server.stop();

  const db = new Database(join(dataDir, "businesses", `${business}.db`));
  const accounts = db.prepare("SELECT id FROM accounts ORDER BY code").all().map((a) => a.id);
  const started = performance.now();
  db.transaction(() => {
    const entry = db.prepare("INSERT INTO journal_entries (id, date, memo, source_type, created_at, created_by) VALUES (?, ?, NULL, 'manual', ?, 'bench') RETURNING seq");
    const line = db.prepare("INSERT INTO postings (entry_seq, account_id, date, currency, debit, credit, base_debit, base_credit) VALUES (?, ?, ?, 'USD', ?, ?, ?, ?)");
    for (let i = 0; i < postings / 2; i++) {
      const date = new Date(Date.UTC(2024, 0, 1) + (i % 730) * 86_400_000).toISOString().slice(0, 10);
      const { seq } = entry.get(`jnl_bench${String(i).padStart(12, "0")}`, date, new Date().toISOString());
      const amount = 1 + (i % 137);
      const debit = accounts[i % accounts.length];
      let credit = accounts[(i * 7 + 3) % accounts.length];
      if (credit === debit) credit = accounts[(i + 1) % accounts.length];
      line.run(seq, debit, date, amount, 0, amount, 0);
      line.run(seq, credit, date, 0, amount, 0, amount);
    }
    db.exec(`INSERT INTO ledger_daily (account_id, date, currency, debit, credit, base_debit, base_credit)
             SELECT account_id, date, currency, sum(debit), sum(credit), sum(base_debit), sum(base_credit) FROM postings GROUP BY account_id, date, currency`);
    db.exec(`INSERT INTO ledger_totals (currency, debit) SELECT currency, sum(debit) FROM postings GROUP BY currency
             UNION ALL SELECT '*', sum(base_debit) FROM postings`);
  })();
  // each account's net straight from the postings, to hold the report against
  const expected = new Map(
    db
      .prepare("SELECT account_id, sum(base_debit) - sum(base_credit) AS net FROM postings WHERE date <= ? GROUP BY account_id HAVING net <> 0")
      .all(asOf)
      .map((r) => [r.account_id, r.net]),
  );
  db.close();
  console.log(`wrote ${postings.toLocaleString("en-US")} postings in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  server = await startBuiltServer(dataDir);
  try {
    for (const [name, path] of [
      ["trial balance", `/businesses/${business}/reports/trial-balance?asOf=${asOf}`],
      ["balance sheet", `/businesses/${business}/reports/balance-sheet?asOf=${asOf}`],
    ]) {
      const times = [];
      let last;
      for (let i = 0; i < 30; i++) {
        last = await timed(server.url, path, token);
        times.push(last.ms);
      }
      times.sort((a, b) => a - b);
      console.log(`${name.padEnd(14)} over ${postings.toLocaleString("en-US")} postings: median ${times[15].toFixed(2)} ms, max ${times[29].toFixed(2)} ms (server time)`);
      if (name === "trial balance") {
        const { debit, credit } = last.body.totals;
        if (debit !== credit) failures.push(`trial balance does not balance: ${debit} ≠ ${credit}`);
        const reported = new Map(last.body.accounts.map((a) => [a.accountId, a.debit - a.credit]));
        const agrees = reported.size === expected.size && [...expected].every(([id, net]) => reported.get(id) === net);
        if (!agrees) failures.push("the trial balance disagrees with the postings' per-account nets");
      } else if (!last.body.balanced) failures.push("the balance sheet does not balance");
    }
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`FAILED:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
