import { PASSWORD } from "../lib/dataset.js";
import { runFlows } from "../lib/flow.js";
import type { Scenario } from "../lib/scenario.js";

/**
 * Sign-in as people do it: POST /auth/login → GET /me → GET /businesses, by a few virtual users in a
 * closed loop. Login is deliberately expensive (PBKDF2, 600,000 iterations, ~120 ms of CPU on the
 * server's thread pool), so logins/s is bounded by design; the report says so rather than hiding it.
 */
const authFlow: Scenario = {
  name: "auth-flow",
  title: "Authentication flow",
  description: "Virtual users loop login → me → businesses (the seeded founder and teammates, real passwords).",
  writes: false,
  async run(ctx) {
    const people = [ctx.dataset.founder, ...ctx.dataset.teammates];
    // not --connections: a thousand concurrent sign-ins would only measure the PBKDF2 queue
    const users = ctx.pick(8, 4);
    const result = await runFlows({
      origin: ctx.origin,
      users,
      seconds: ctx.settings.durationSeconds,
      signal: ctx.signal,
      flowName: "flow (login → me → businesses)",
      onTick: (live) => ctx.progress.status(`auth-flow  ${live.seconds.toFixed(0)}s  ${live.rate.toFixed(1)} req/s  errors ${live.errors}`),
      iteration: async (user, call) => {
        const person = people[user % people.length]!;
        const login = await call("POST /auth/login", "POST", "/auth/login", { body: { email: person.email, password: PASSWORD } });
        if (login.status !== 200) return false;
        const token = login.body.accessToken as string;
        const me = await call("GET /me", "GET", "/me", { token });
        if (me.status !== 200) return false;
        const list = await call("GET /businesses", "GET", "/businesses", { token });
        return list.status === 200;
      },
    });
    const steps = result.steps.summaries(result.load.durationSeconds);
    const logins = steps["POST /auth/login"];
    return {
      load: result.load,
      mode: "closed-loop flow",
      throughputMeaning: "successful requests/s (all three steps)",
      latencyMeaning: "send → response, all steps together (see the step table; login dominates)",
      steps,
      extra: {
        virtualUsers: users,
        completedFlows: result.completedFlows,
        flowsPerSecond: Math.round((result.completedFlows / result.load.durationSeconds) * 100) / 100,
        loginsPerSecond: logins ? logins.perSecond : null,
      },
      notes: [
        "Logins are slow by design: PBKDF2-SHA-256 at 600,000 iterations (~120 ms of CPU each, on the server's libuv thread pool), so logins/s is bounded by the cores, not by the HTTP stack.",
      ],
    };
  },
};

export default authFlow;
