import type { RequestSpec } from "./closed-loop.js";
import { expectStatus } from "./http.js";
import type { ScenarioContext } from "./scenario.js";
import type { Check, LoadResult } from "./types.js";

/**
 * A business of its own for the ledger-write scenarios (payments, journal-entries), owned by a person of
 * its own registered in `prepare` — so that no other scenario's writes or checks meet these (the founder's
 * portfolio stays the seeded businesses) — with one issued invoice of 10^13 cents (any number of 1-cent
 * payments fits) and the accounts the entries post to.
 */
export interface LedgerBusiness {
  /** The owner's access token (15 minutes: longer than any scenario). */
  token: string;
  businessId: string;
  base: string;
  invoiceId: string;
  /** Account ids by code (1000 cash, 2000 payables and 6200 rent are used). */
  accounts: Record<string, string>;
}

export async function ledgerBusiness(ctx: ScenarioContext, name: string): Promise<LedgerBusiness> {
  const { http } = ctx;
  const email = `ledger-${name.toLowerCase().replace(/[^a-z]+/g, "-")}-${Date.now().toString(36)}@bench.example.com`;
  const owner = await http.post("/auth/register", { email, password: "a ledger bench passphrase", name: "Ledger bench" });
  expectStatus(owner, 201, "register the ledger-writes owner");
  const token = owner.body.accessToken as string;
  const created = await http.post("/businesses", { name, baseCurrency: "USD" }, { token });
  expectStatus(created, 201, "create the ledger-writes business");
  const base = `/businesses/${created.body.id}`;
  const list = await http.get(`${base}/accounts?limit=200`, { token });
  expectStatus(list, 200, "its accounts");
  const accounts: Record<string, string> = Object.fromEntries((list.body.data as Array<{ code: string; id: string }>).map((a) => [a.code, a.id]));
  for (const code of ["1000", "2000", "6200"]) if (!accounts[code]) throw new Error(`the new business has no account ${code}`);
  const customer = await http.post(`${base}/companies`, { name: "A customer" }, { token });
  expectStatus(customer, 201, "a customer");
  const invoice = await http.post(
    `${base}/invoices`,
    { customerId: customer.body.id, currency: "USD", issueDate: "2026-01-01", dueDate: "2026-01-31", lines: [{ description: "Large", quantity: "1000", unitPrice: 10_000_000_000, taxRate: "0" }] },
    { token },
  );
  expectStatus(invoice, 201, "an invoice of 10^13 cents");
  expectStatus(await http.post(`${base}/invoices/${invoice.body.id}/issue`, undefined, { token }), 200, "issue it");
  return { token, businessId: created.body.id, base, invoiceId: invoice.body.id, accounts };
}

/** The closed-loop request of a ledger-write scenario: a JSON POST with the business owner's token. */
export function ledgerPost(business: LedgerBusiness, path: string, body: object): RequestSpec {
  return {
    method: "POST",
    path: `/api/v1${business.base}${path}`,
    headers: { "content-type": "application/json", authorization: `Bearer ${business.token}` },
    body: JSON.stringify(body),
  };
}

/** Connections of a ledger-write load: --connections, else 32. */
export const ledgerConnections = (ctx: ScenarioContext): number => ctx.settings.connections ?? 32;

/**
 * One closed-loop load of `request` at ledgerConnections: a warm-up of 5 s (2 s in quick) when `warmUp`
 * names it — run from `prepare`, outside the /metrics window, because V8 is still optimising the write
 * path after thousands of them (scripts/bench-instructions.mjs) — else the measured run.
 */
export function ledgerLoad(ctx: ScenarioContext, request: RequestSpec, warmUp?: string): Promise<LoadResult> {
  const seconds = warmUp ? ctx.pick(5, 2) : ctx.settings.durationSeconds;
  return ctx.closedLoop({ connections: ledgerConnections(ctx), seconds, warmupSeconds: 0, requests: [request], label: warmUp });
}

/** An account's debit and credit in the trial balance (zero when it has none), and the balance's totals. */
export async function trialBalance(ctx: ScenarioContext, business: LedgerBusiness) {
  const res = await ctx.http.get(`${business.base}/reports/trial-balance`, { token: business.token });
  expectStatus(res, 200, "the trial balance");
  const line = (code: string) => (res.body.accounts as Array<{ code: string; debit: number; credit: number }>).find((a) => a.code === code) ?? { debit: 0, credit: 0 };
  return { totals: res.body.totals as { debit: number; credit: number }, line };
}

/**
 * Every acknowledged write is in the ledger: the ledger grew by at least the acknowledged count, and by
 * at most `connections` more (requests in flight when the load generator stopped may still commit).
 */
export function persistedCheck(name: string, grew: number, acknowledged: number, connections: number): Check {
  return {
    name,
    ok: grew >= acknowledged && grew <= acknowledged + connections,
    detail: `${grew} in the ledger for ${acknowledged} acknowledged (at most ${connections} more may have been in flight at the stop)`,
  };
}

export function balancedCheck(totals: { debit: number; credit: number }): Check {
  return { name: "the trial balance balances", ok: totals.debit === totals.credit, detail: `debits ${totals.debit}, credits ${totals.credit}` };
}
