import * as businesses from "../businesses/store.js";
import { today } from "../finance/ledger.js";
import type { AppDeps } from "../http/context.js";
import { Db, DbMeter } from "../platform/sql.js";
import { portfolioCache } from "./figures-cache.js";
import { businessFigures, periodOf, readBusiness } from "./service.js";

/** The most businesses one sign-in warms up (the first ones by id); the rest are computed on first view. */
export const WARM_UP_MAX_BUSINESSES = 25;

/**
 * After a sign-in, computes the person's business figures into the portfolio cache in the background, so
 * that their first GET /portfolio is answered from it. Never delays the sign-in: the work is handed to
 * the runtime's `background` hook, one business per task (yielding between them), at most
 * WARM_UP_MAX_BUSINESSES, skipping a business whose figures are already cached. Errors are counted,
 * logged and swallowed. Cache lookups of the warm-up count as neither hits nor misses.
 */
export function warmUpPortfolio(deps: AppDeps, userId: string): void {
  const cache = portfolioCache(deps.metrics);
  const meter = new DbMeter();
  const core = new Db(deps.core, meter);
  const caller = { userId, requestId: "portfolio-warm-up" };
  deps.background(() => {
    if (deps.stopping.aborted) return;
    let ids: string[];
    try {
      ids = businesses.listMemberBusinesses(core, userId, "", WARM_UP_MAX_BUSINESSES).map((r) => r.id);
    } catch (error) {
      deps.logger.warn({ err: (error as Error).message, userId }, "portfolio warm-up: could not list businesses");
      return;
    }
    let next = 0;
    const step = (): void => {
      const businessId = ids[next++];
      if (businessId === undefined || deps.stopping.aborted) return;
      try {
        // read again at the moment of work: a business removed or deleted meanwhile is skipped, never reopened
        const row = businesses.findMemberBusiness(core, businessId, userId);
        if (row) {
          const asOf = today();
          readBusiness(deps, meter, caller, row, (scope) => {
            if (cache.holds(row.id, asOf, scope.db)) {
              cache.warmUps.inc({ outcome: "cached" });
              return;
            }
            cache.store(row.id, asOf, scope.db, businessFigures(scope, periodOf(asOf)));
            cache.warmUps.inc({ outcome: "computed" });
          });
        }
      } catch (error) {
        cache.warmUps.inc({ outcome: "failed" });
        deps.logger.warn({ err: (error as Error).message, userId, businessId }, "portfolio warm-up failed for a business");
      }
      if (next < ids.length) deps.background(step);
    };
    step();
  });
}
