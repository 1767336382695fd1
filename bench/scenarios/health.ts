import type { Scenario } from "../lib/scenario.js";

/** The baseline every other figure is compared with: GET /health, no credentials, no database. */
const health: Scenario = {
  name: "health",
  title: "Health (baseline)",
  description: "GET /health closed-loop at maximum throughput: the server's ceiling for a request that does no work.",
  writes: false,
  async run(ctx) {
    const load = await ctx.closedLoop({
      connections: ctx.settings.connections ?? ctx.pick(100, 50),
      seconds: ctx.settings.durationSeconds,
      requests: [{ method: "GET", path: "/health" }],
    });
    return { load, ratioToHealth: 1, throughputMeaning: "successful requests/s", latencyMeaning: "send → response" };
  },
};

export default health;
