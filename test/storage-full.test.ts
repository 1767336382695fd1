import { afterEach, describe, expect, it } from "vitest";
import { allPages, type Client, client, createBusiness, createCustomer, registerUser } from "./support/api.js";
import { issueInvoice } from "./support/portfolio.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

// A business's storage quota (BUSINESS_MAX_MB) fails writes exactly as a full disk does (SQLITE_FULL).
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    removeDataDir(s.dataDir);
  }
});

const filler = (i: number, j: number) => ({
  name: `Storage filler ${i}-${j} ${"x".repeat(150)}`,
  address: { street: "y".repeat(200), city: "Lisbon", region: "z".repeat(100), postalCode: "1000-001", country: "PT" },
});

async function accountId(api: Client, token: string, businessId: string, code: string): Promise<string> {
  const accounts = await allPages<{ id: string; code: string }>(api, `/businesses/${businessId}/accounts`, token);
  return accounts.find((a) => a.code === code)!.id;
}

describe("a full disk or storage quota", () => {
  it("refuses writes with 507 and keeps every acknowledged one and nothing else; writes resume once there is room", async () => {
    const first = await startServer({ env: { BUSINESS_MAX_MB: "2", RATE_LIMIT_PER_SECOND: "0" } });
    servers.push(first);
    const api = client(first.url);
    const { token } = await registerUser(api);
    const businessId = await createBusiness(api, token);
    const base = `/businesses/${businessId}`;
    const rent = await accountId(api, token, businessId, "6200");
    const cash = await accountId(api, token, businessId, "1000");

    // an issued invoice paid a cent at a time alongside: a payment whose commit the quota refuses must
    // leave no trace, in the database or in what the server keeps of the invoice in memory
    const customer = await createCustomer(api, token, businessId);
    const invoice = await issueInvoice(api, token, businessId, customer, "USD", "2026-01-01", "2026-01-31", { description: "Work", quantity: "1", unitPrice: 1_000_000, taxRate: "0" });
    let paid = 0;

    const companies = new Set<string>();
    let entries = 0;
    const refusals: Array<{ status: number; type: string }> = [];
    // concurrent bulk creates, single creates and journal entries until the quota has refused a few
    for (let round = 0; round < 80 && refusals.length < 6; round++) {
      const answers = await Promise.all([
        api.post(`${base}/companies/bulk`, { items: Array.from({ length: 40 }, (_, j) => filler(round, j)) }, { token }),
        api.post(`${base}/companies`, filler(round, 100), { token }),
        ...Array.from({ length: 3 }, () =>
          api.post(`${base}/journal-entries`, { date: "2026-02-01", memo: "m".repeat(500), lines: [{ accountId: rent, debit: 100 }, { accountId: cash, credit: 100 }] }, { token }),
        ),
        ...Array.from({ length: 3 }, () => api.post(`${base}/payments`, { invoiceId: invoice, amount: 1, date: "2026-01-15" }, { token })),
      ]);
      answers.forEach((res, i) => {
        if (res.status === 201) {
          if (i === 0) for (const c of res.body.data) companies.add(c.id);
          else if (i === 1) companies.add(res.body.id);
          else if (i < 5) entries += 1;
          else paid += 1;
        } else {
          refusals.push({ status: res.status, type: res.body?.type ?? res.text });
          expect(res.headers.get("content-type")).toContain("application/problem+json");
        }
      });
    }
    expect(refusals.length).toBeGreaterThanOrEqual(6);
    expect(companies.size).toBeGreaterThan(0);
    expect(entries).toBeGreaterThan(0);
    expect(paid).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect(refusal.status).toBe(507);
      expect(refusal.type).toContain("storage-full");
    }

    // reads still work, and the books hold exactly what was acknowledged
    const check = async (apiNow: Client) => {
      const listed = await allPages<{ id: string; name: string }>(apiNow, `${base}/companies`, token);
      expect(new Set(listed.filter((c) => c.name.startsWith("Storage filler")).map((c) => c.id))).toEqual(companies);
      const trial = await apiNow.get(`${base}/reports/trial-balance`, { token });
      expect(trial.status).toBe(200);
      expect(trial.body.totals.debit).toBe(trial.body.totals.credit);
      expect(trial.body.accounts.find((a: { code: string }) => a.code === "6200")?.debit ?? 0).toBe(entries * 100);
      const payments = await allPages<{ amount: number }>(apiNow, `${base}/payments?invoiceId=${invoice}`, token);
      expect(payments).toHaveLength(paid);
      const billed = await apiNow.get(`${base}/invoices/${invoice}`, { token });
      expect(billed.body.amountPaid).toBe(paid);
      expect(billed.body.amountDue).toBe(1_000_000 - paid);
      const verify = await apiNow.get(`${base}/audit/verify`, { token });
      expect(verify.status).toBe(200);
      expect(verify.body.valid).toBe(true);
    };
    await check(api);
    expect(await first.stop()).toBe(0);

    // the same data directory without the quota: everything is there and writes work again
    const second = await startServer({ dataDir: first.dataDir, env: { RATE_LIMIT_PER_SECOND: "0" } });
    servers.push(second);
    const again = client(second.url);
    await check(again);
    const created = await again.post(`${base}/companies`, { name: "After the quota" }, { token });
    expect(created.status).toBe(201);
  }, 120_000);
});
