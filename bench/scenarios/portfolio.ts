import { expectStatus, timingMsOf } from "../lib/http.js";
import type { Scenario } from "../lib/scenario.js";

/** The bench's own rates for its run: 1 unit of the currency in US dollars; any other currency gets 1.25. */
const USD_PER: Readonly<Record<string, string>> = {
  EUR: "1.08",
  GBP: "1.27",
  JPY: "0.0067",
  CAD: "0.73",
  AUD: "0.66",
  CHF: "1.13",
  SEK: "0.095",
  NOK: "0.094",
  DKK: "0.145",
  INR: "0.012",
  BRL: "0.18",
  MXN: "0.055",
  SGD: "0.74",
  KWD: "3.25",
};

const VIEWS_PER_WRITE = 4;

interface Prepared {
  businesses: number;
  missingRates: number;
  coldMs: number;
}

/**
 * The founder's view across every seeded business: each business read from its own database and
 * converted with the founder's rate table. The first request after the write scenarios is timed on its
 * own (every business changed since, so every figure is computed); the load that follows is what a
 * founder refreshing the view costs, served from the per-business cache until a business changes.
 */
const portfolio: Scenario<Prepared> = {
  name: "portfolio",
  title: "Portfolio",
  description:
    "GET /portfolio?currency=USD for the founder of every seeded business, closed-loop, with a new lead in the next business after every 4 views (so cached figures are invalidated as the team works); the first (cold) request after the write scenarios is timed separately.",
  writes: false,
  async prepare(ctx) {
    const token = ctx.dataset.founder.accessToken;
    const today = new Date().toISOString().slice(0, 10);
    for (const currency of new Set(ctx.dataset.businesses.map((b) => b.baseCurrency))) {
      if (currency === "USD") continue;
      const res = await ctx.http.post("/exchange-rates", { base: currency, quote: "USD", rate: USD_PER[currency] ?? "1.25", date: today }, { token });
      if (res.status !== 201 && res.status !== 200) throw new Error(`setting the ${currency} rate: ${res.status} ${res.text.slice(0, 200)}`);
    }
    const cold = await ctx.http.get("/portfolio?currency=USD", { token });
    expectStatus(cold, 200, "the first portfolio view");
    return { businesses: cold.body.businesses.length, missingRates: cold.body.missingRates.length, coldMs: cold.ms };
  },
  async run(ctx, prepared) {
    const headers = { authorization: `Bearer ${ctx.dataset.founder.accessToken}` };
    const view = { method: "GET", path: "/api/v1/portfolio?currency=USD", headers };
    // the team keeps working meanwhile: after every VIEWS_PER_WRITE views a new lead in the next business,
    // so each business's cached figures are invalidated in turn and the hit rate is earned, not given
    const requests = ctx.dataset.businesses.flatMap((b, i) => [
      ...Array.from({ length: VIEWS_PER_WRITE }, () => view),
      {
        method: "POST",
        path: `/api/v1/businesses/${b.id}/leads`,
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ title: `Portfolio bench lead ${i + 1}`, source: "bench" }),
      },
    ]);
    const load = await ctx.closedLoop({ connections: ctx.settings.connections ?? ctx.pick(50, 20), seconds: ctx.settings.durationSeconds, requests });
    // then the warm view on its own: one founder refreshing, server time from Server-Timing `app`, median of 31
    const warm: number[] = [];
    for (let i = 0; i < 31; i++) {
      const res = await ctx.http.get("/portfolio?currency=USD", { token: ctx.dataset.founder.accessToken });
      expectStatus(res, 200, "a warm portfolio view");
      warm.push(timingMsOf(res.headers["server-timing"], "app") ?? Number.NaN);
    }
    warm.sort((a, b) => a - b);
    return {
      load,
      throughputMeaning: `requests/s: ${VIEWS_PER_WRITE} portfolio views to 1 new lead in the next business`,
      latencyMeaning: "send → response, warm (each business's figures cached until it commits a change)",
      extra: {
        businessesInView: prepared.businesses,
        missingRates: prepared.missingRates,
        coldFirstViewMs: Math.round(prepared.coldMs * 100) / 100,
        warmViewServerMs: Math.round(warm[15]! * 1000) / 1000,
      },
      checks: [
        {
          name: "every seeded business is in the view, none missing a rate",
          ok: prepared.businesses === ctx.dataset.businesses.length && prepared.missingRates === 0,
          detail: `${prepared.businesses} of ${ctx.dataset.businesses.length} businesses, ${prepared.missingRates} missing rates`,
        },
      ],
    };
  },
};

export default portfolio;
