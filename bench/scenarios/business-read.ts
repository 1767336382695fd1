import type { Scenario } from "../lib/scenario.js";

/**
 * Authenticated GET /api/v1/businesses/{id} across every seeded business, closed-loop, and its
 * throughput as a fraction of /health's (the foundation's target: ≥ 60 %). The two are measured side
 * by side — alternating slices of /health and the business read, same connections — so whatever else
 * the machine is doing weighs on both alike.
 */
const businessRead: Scenario = {
  name: "business-read",
  title: "Business read (authenticated)",
  description:
    "GET /api/v1/businesses/{id} with the founder's access token, each connection cycling through all seeded businesses; closed-loop at maximum throughput, interleaved with /health for the ratio.",
  writes: false,
  async run(ctx) {
    const connections = ctx.settings.connections ?? ctx.pick(100, 50);
    const seconds = ctx.settings.durationSeconds;
    const rounds = Math.max(1, Math.min(ctx.pick(4, 2), Math.floor(seconds)));
    const headers = { authorization: `Bearer ${ctx.dataset.founder.accessToken}` };
    const [health, load] = await ctx.closedLoopInterleaved(
      { label: "business-read: /health slice", connections, seconds, requests: [{ method: "GET", path: "/health" }] },
      {
        label: "business-read",
        connections,
        seconds,
        requests: ctx.dataset.businesses.map((b) => ({ method: "GET", path: `/api/v1/businesses/${b.id}`, headers })),
      },
      rounds,
    );
    return {
      load,
      ratioToHealth: health.throughput > 0 ? load.throughput / health.throughput : null,
      throughputMeaning: "successful requests/s",
      latencyMeaning: "send → response",
      steps: {
        "GET /health (interleaved slices)": {
          count: health.attempted,
          ok: health.ok,
          errorRate: health.errorRate,
          perSecond: Math.round(health.throughput * 10) / 10,
          latency: health.latency,
        },
        "GET /businesses/{id} (interleaved slices)": {
          count: load.attempted,
          ok: load.ok,
          errorRate: load.errorRate,
          perSecond: Math.round(load.throughput * 10) / 10,
          latency: load.latency,
        },
      },
      extra: { interleavedRounds: rounds, healthThroughputSideBySide: Math.round(health.throughput * 10) / 10 },
      notes: [
        `The ratio to /health uses /health measured in the same scenario, ${rounds} alternating slices each, ${connections} connections (not the separate health scenario). The server figures from /metrics for this scenario cover both kinds of slice.`,
      ],
    };
  },
};

export default businessRead;
