import { type ChangeRecorder, changeRecorder } from "../platform/changes.js";
import type { BusinessEvent } from "../platform/event-log.js";
import type { TypedResponse } from "hono";
import { isoNow } from "../platform/time.js";
import type { AppContext } from "./context.js";
import { idempotencyClaim, priorResponse, rememberResponse, replay, type StoredAnswer } from "./idempotency.js";
import { problemResponse } from "./errors.js";
import { ProblemError } from "../platform/problem.js";
import { etagOfText, jsonResponse } from "./resource.js";

export type { Change, ChangeRecorder } from "../platform/changes.js";

/**
 * The one way business state changes: the work, its audit entries, its events and its idempotency
 * record commit together in one transaction; events reach live subscribers and the answer reaches the
 * caller only after the commit. Writes to one business that arrive together share a commit (group
 * commit, src/platform/group-commit.ts).
 *
 * With an Idempotency-Key, the key's first answer is kept whatever it was: a refusal by the work (a 4xx
 * problem: an overpayment, a missing record) is stored in place of the work's effects, which a savepoint
 * undoes when the work wrote before refusing, so a repeat gets that refusal even if the state has
 * changed since (decision 0004).
 * `stored`: what a repeat is answered with, when it must differ from the first answer (a secret shown once).
 */
export async function commitChange<T, S extends 200 | 201 | 202 | 204>(
  c: AppContext,
  status: S,
  work: (recorder: ChangeRecorder) => T,
  options: { coreWrites?: boolean; stored?: (body: T) => unknown } = {},
): Promise<Response & TypedResponse<T, S, "json">> {
  const scope = c.get("scope");
  const claim = idempotencyClaim(c);
  const at = isoNow();
  let events: BusinessEvent[] = [];

  const run = () => work(changeRecorder(scope.db, scope.actor, scope.requestId, at, events));
  const business = scope.db.connection;
  // may run twice (a group commit runs the whole batch again when one write fails after writing): each
  // run starts its own list of events. Keyed work runs without a savepoint of its own in the batch's first
  // run, as every write does: a savepoint makes SQLite copy each page the work touches and writes the
  // ledger's deferred totals per write. A refusal before any write has nothing to undo and is kept; one
  // after a write is let through, and in the isolated run the work's own savepoint undoes its writes and
  // the refusal is kept.
  const change = (isolated = false): { prior: StoredAnswer } | { body: T; text: string } | { refused: ProblemError } => {
    events = [];
    if (!claim) return answer(run());
    const prior = priorResponse(scope.db, claim);
    if (prior) return { prior };
    const generation = business.generation;
    let body: T;
    try {
      if (!isolated) body = run();
      // the work's own writes, in both databases when it writes the core one
      else body = options.coreWrites ? c.get("coreDb").connection.savepoint(() => business.savepoint(run)) : business.savepoint(run);
    } catch (error) {
      if (!(error instanceof ProblemError) || error.status >= 500) throw error;
      if (!isolated && business.generation !== generation) throw error;
      events = [];
      rememberResponse(scope.db, claim, error.status, JSON.stringify(error.toProblem()));
      return { refused: error };
    }
    const answered = answer(body);
    const kept = options.stored && body !== undefined ? JSON.stringify(options.stored(body)) : answered.text;
    rememberResponse(scope.db, claim, status, kept);
    return answered;
  };
  // Work that also writes the core database (members, keys, the business itself) runs inside a core
  // transaction that commits after the business one: a crash between the two commits can leave an audit
  // entry for a change that did not happen, never a change without its audit entry. Such writes are
  // rare and commit on their own, isolated.
  const outcome = options.coreWrites
    ? c.get("coreDb").transaction(() => scope.db.transaction(() => change(true)))
    : await c.get("deps").commits.run(scope.db, change);
  c.get("deps").bus.publish(scope.businessId, events);
  return respond() as Response & TypedResponse<T, S, "json">;

  function answer(body: T) {
    return { body, text: status === 204 || body === undefined ? "" : JSON.stringify(body) };
  }

  function respond(): Response {
    if ("prior" in outcome) return replay(outcome.prior);
    if ("refused" in outcome) return problemResponse(outcome.refused);
    if (status === 204) return jsonResponse(null, 204);
    const text = outcome.text;
    return jsonResponse(text, status, status === 202 ? {} : { ETag: etagOfText(text) });
  }
}
