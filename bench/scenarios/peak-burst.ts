import { prng, type Scenario } from "../lib/scenario.js";

/**
 * A traffic spike: open-loop reads at a base rate, a step up to the peak rate, and back down. Latency
 * counts from each request's scheduled time, so any queue built up during the peak shows — in the
 * peak phase and in how quickly the recovery phase returns to the base phase's figures.
 */
const peakBurst: Scenario = {
  name: "peak-burst",
  title: "Peak burst",
  description:
    "Open-loop authenticated reads (business record and member lists across all businesses): base rate (peak/5), a step to the peak rate, then base again.",
  writes: false,
  async run(ctx) {
    const peak = ctx.settings.rate ?? ctx.pick(4_000, 1_500);
    const base = Math.max(1, Math.round(peak / 5));
    const seconds = ctx.settings.durationSeconds;
    const edge = Math.max(1, Math.round(seconds / 4));
    const phases = [
      { name: "base", rate: base, seconds: edge },
      { name: "peak", rate: peak, seconds: Math.max(1, seconds - 2 * edge) },
      { name: "recovery", rate: base, seconds: edge },
    ];
    const headers = { authorization: `Bearer ${ctx.dataset.founder.accessToken}` };
    const paths = ctx.dataset.businesses.flatMap((b) => [`/api/v1/businesses/${b.id}`, `/api/v1/businesses/${b.id}/members`]);
    const random = prng(7);
    const load = await ctx.openLoop({
      connections: ctx.settings.connections ?? ctx.pick(200, 100),
      phases,
      next: () => ({ method: "GET", path: paths[Math.floor(random() * paths.length)]!, headers }),
    });
    const p = load.phases;
    return {
      load,
      throughputMeaning: "successful requests/s over the whole run (peak phase: see steps)",
      latencyMeaning: "scheduled time → response, all phases",
      steps: p,
      extra: {
        baseRate: base,
        peakRate: peak,
        phaseSeconds: phases.map((ph) => `${ph.name} ${ph.seconds}s`).join(", "),
        peakPhaseP99: p.peak?.latency?.p99 ?? null,
        recoveryPhaseP99: p.recovery?.latency?.p99 ?? null,
        basePhaseP99: p.base?.latency?.p99 ?? null,
        maxBacklog: load.maxBacklog,
      },
    };
  },
};

export default peakBurst;
