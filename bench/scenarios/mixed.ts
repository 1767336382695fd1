import { type AuditState, auditChecks, auditSnapshot, WriteLedger } from "../lib/integrity.js";
import type { OpenRequest } from "../lib/open-loop.js";
import { prng, type Scenario, weighted } from "../lib/scenario.js";

/**
 * Traffic weighted like a signed-in team using the product: mostly reads of business records,
 * member lists, the caller's profile and business list, audit pages, integrations reading through
 * API keys, and 5 % writes (renames). Open-loop at a constant arrival rate over many connections,
 * each connection one user with its own keep-alive socket. Sign-ins are measured in auth-flow, not
 * here (one PBKDF2 per session, ~120 ms of CPU, would be a different experiment).
 */
const mixed: Scenario<Map<string, AuditState>> = {
  name: "mixed",
  title: "Mixed workload",
  description:
    "Open-loop weighted mix (95 % reads, 5 % writes) at a constant arrival rate over up to 1,250 connections; latency from each request's scheduled time.",
  writes: true,
  prepare: (ctx) =>
    auditSnapshot(
      ctx.http,
      ctx.dataset.founder.accessToken,
      ctx.dataset.businesses.map((b) => b.id),
    ),
  async run(ctx, before) {
    const connections = ctx.settings.connections ?? ctx.pick(1_250, 100);
    const rate = ctx.settings.rate ?? ctx.pick(10_000, 1_000);
    const { founder, businesses } = ctx.dataset;
    const user = { authorization: `Bearer ${founder.accessToken}` };
    const ids = businesses.map((b) => b.id);
    const tag = Date.now().toString(36);
    const random = prng(1250);
    const business = () => businesses[Math.floor(random() * businesses.length)]!;

    type Make = (i: number) => OpenRequest;
    const mix: Array<{ weight: number; value: Make }> = [
      { weight: 30, value: () => ({ kind: "GET /businesses/{id}", method: "GET", path: `/api/v1/businesses/${business().id}`, headers: user }) },
      { weight: 15, value: () => ({ kind: "GET /businesses/{id}/members", method: "GET", path: `/api/v1/businesses/${business().id}/members`, headers: user }) },
      { weight: 10, value: () => ({ kind: "GET /me", method: "GET", path: "/api/v1/me", headers: user }) },
      { weight: 10, value: () => ({ kind: "GET /businesses", method: "GET", path: "/api/v1/businesses", headers: user }) },
      {
        weight: 15,
        value: () => {
          const b = business();
          return { kind: "GET /businesses/{id} (API key)", method: "GET", path: `/api/v1/businesses/${b.id}`, headers: { authorization: `Bearer ${b.apiKey}` } };
        },
      },
      { weight: 10, value: () => ({ kind: "GET /businesses/{id}/audit", method: "GET", path: `/api/v1/businesses/${business().id}/audit?limit=20`, headers: user }) },
      { weight: 5, value: () => ({ kind: "GET /businesses/{id}/api-keys", method: "GET", path: `/api/v1/businesses/${business().id}/api-keys`, headers: user }) },
      {
        weight: 5,
        value: (i) => {
          const b = business();
          return {
            kind: "PATCH /businesses/{id}",
            method: "PATCH",
            path: `/api/v1/businesses/${b.id}`,
            headers: { ...user, "content-type": "application/json" },
            body: JSON.stringify({ name: `${b.name.slice(0, 150)} · ${tag}.${i}` }),
            tag: b.id,
          };
        },
      },
    ];

    const ledger = new WriteLedger();
    const load = await ctx.openLoop({
      connections,
      phases: [{ name: "mixed", rate, seconds: ctx.settings.durationSeconds }],
      next: (i) => weighted(mix, random)(i),
      onComplete: (request, status) => {
        if (request.method === "PATCH") ledger.record(request.tag as string, status);
      },
    });
    const after = await auditSnapshot(ctx.http, founder.accessToken, ids);
    return {
      load,
      throughputMeaning: "successful requests/s (offered at a constant rate)",
      latencyMeaning: "scheduled time → response (no coordinated omission)",
      steps: load.kinds,
      extra: {
        offeredRate: rate,
        connectionsServed: load.connectionsServed,
        acknowledgedWrites: ledger.totalAcknowledged,
        maxBacklog: load.maxBacklog,
      },
      checks: auditChecks(before, after, ledger),
    };
  },
};

export default mixed;
