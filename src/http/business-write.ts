import { type ChangeRecorder, changeRecorder } from "../platform/changes.js";
import type { BusinessEvent } from "../platform/event-log.js";
import type { TypedResponse } from "hono";
import { isoNow } from "../platform/time.js";
import type { AppContext } from "./context.js";
import { idempotencyClaim, priorResponse, rememberResponse, replay } from "./idempotency.js";
import { etagOfText, jsonResponse } from "./resource.js";

export type { Change, ChangeRecorder } from "../platform/changes.js";

/**
 * The one way business state changes: the work, its audit entries, its events and its idempotency
 * record commit together in one transaction; events reach live subscribers and the answer reaches the
 * caller only after the commit. Writes to one business that arrive together share a commit (group
 * commit, src/platform/group-commit.ts), each in its own savepoint.
 */
export async function commitChange<T, S extends 200 | 201 | 202 | 204>(
  c: AppContext,
  status: S,
  work: (recorder: ChangeRecorder) => T,
  options: { coreWrites?: boolean } = {},
): Promise<Response & TypedResponse<T, S, "json">> {
  const scope = c.get("scope");
  const claim = idempotencyClaim(c);
  const at = isoNow();
  let events: BusinessEvent[] = [];

  // may run twice (a group commit runs the others of a batch again when one write fails): each run
  // starts its own list of events
  const change = () => {
    events = [];
    const prior = claim ? priorResponse(scope.db, claim) : undefined;
    if (prior) return { prior };
    const body = work(changeRecorder(scope.db, scope.actor, scope.requestId, at, events));
    const text = status === 204 || body === undefined ? "" : JSON.stringify(body);
    if (claim) rememberResponse(scope.db, claim, status, text);
    return { body, text };
  };
  // Work that also writes the core database (members, keys, the business itself) runs inside a core
  // transaction that commits after the business one: a crash between the two commits can leave an audit
  // entry for a change that did not happen, never a change without its audit entry. Such writes are
  // rare and commit on their own.
  const outcome = options.coreWrites
    ? c.get("coreDb").transaction(() => scope.db.transaction(change))
    : await c.get("deps").commits.run(scope.db, change);
  c.get("deps").bus.publish(scope.businessId, events);
  return respond() as Response & TypedResponse<T, S, "json">;

  function respond(): Response {
    if ("prior" in outcome && outcome.prior) return replay(outcome.prior);
    if (status === 204) return jsonResponse(null, 204);
    const text = outcome.text as string;
    return jsonResponse(text, status, status === 202 ? {} : { ETag: etagOfText(text) });
  }
}
