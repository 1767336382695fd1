import type { Scenario } from "../lib/scenario.js";

/**
 * A founder switching between all their businesses: each connection cycles through every seeded
 * business's record and member list. The portfolio view gets its own scenario (see PLANNED).
 */
const multiBusiness: Scenario = {
  name: "multi-business",
  title: "Multi-business switching",
  description:
    "GET /businesses/{id} and GET /businesses/{id}/members for every seeded business in turn, closed-loop at maximum throughput (every business database stays in use).",
  writes: false,
  async run(ctx) {
    const headers = { authorization: `Bearer ${ctx.dataset.founder.accessToken}` };
    const requests = ctx.dataset.businesses.flatMap((b) => [
      { method: "GET", path: `/api/v1/businesses/${b.id}`, headers },
      { method: "GET", path: `/api/v1/businesses/${b.id}/members`, headers },
    ]);
    const load = await ctx.closedLoop({ connections: ctx.settings.connections ?? ctx.pick(100, 50), seconds: ctx.settings.durationSeconds, requests });
    return {
      load,
      throughputMeaning: "successful requests/s",
      latencyMeaning: "send → response",
      extra: { businessesCycled: ctx.dataset.businesses.length },
    };
  },
};

export default multiBusiness;
