/** Helpers shared by the portfolio black-box tests (test/portfolio*.test.ts). */
import { afterAll, beforeAll, expect } from "vitest";
import { type Client, client } from "./api.js";
import { type RunningServer, removeDataDir, startServer } from "./server.js";

/**
 * Starts the built server (no rate limit) before this file's tests and stops it, removing its data,
 * after them. The client it returns is usable from beforeAll on (its methods are filled in then).
 */
export function serverForTests(): Client {
  const api = {} as Client;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
    Object.assign(api, client(server.url));
  });
  afterAll(async () => {
    if (!server) return;
    await server.stop();
    removeDataDir(server.dataDir);
  });
  return api;
}

/** The body of a response, once its status is the one expected. */
export async function ok(res: Promise<any>, status = 201) {
  const r = await res;
  expect(r.status, r.text).toBe(status);
  return r.body;
}

/** A business's account ids by system key, or by code for accounts without one. */
export async function accountsOf(api: Client, token: string, businessId: string): Promise<Record<string, string>> {
  const list = await ok(api.get(`/businesses/${businessId}/accounts?limit=200`, { token }), 200);
  const out: Record<string, string> = {};
  for (const a of list.data) out[a.systemKey ?? a.code] = a.id;
  return out;
}

/** An issued invoice of one line; returns its id. */
export async function issueInvoice(api: Client, token: string, businessId: string, customerId: string, currency: string, issueDate: string, dueDate: string, line: object) {
  const inv = await ok(api.post(`/businesses/${businessId}/invoices`, { customerId, currency, issueDate, dueDate, lines: [line] }, { token }));
  await ok(api.post(`/businesses/${businessId}/invoices/${inv.id}/issue`, undefined, { token }), 200);
  return inv.id as string;
}
