import { type Actor, appendAudit } from "./audit.js";
import { appendEvent, type BusinessEvent } from "./event-log.js";
import type { Db } from "./sql.js";

export interface Change {
  /** `<thing>.<verb>`, e.g. `member.added`; also the event's type. */
  action: string;
  targetType: string;
  targetId: string;
  /** The changed fields (`{ field: { from, to } }`) or the created record's fields. */
  changes: Record<string, unknown>;
}

export interface ChangeRecorder {
  db: Db;
  at: string;
  /** Appends the audit entry and the event for one change, inside the current transaction. */
  record(change: Change): void;
}

/**
 * Records changes made by `actor` into the caller's open transaction: an audit entry and an event each.
 * The events are collected in `events`, to be published once the transaction has committed.
 */
export function changeRecorder(db: Db, actor: Actor, requestId: string | null, at: string, events: BusinessEvent[]): ChangeRecorder {
  const actorJson = JSON.stringify(actor);
  return {
    db,
    at,
    record(change) {
      // serialised once for both: the event's data is exactly JSON.stringify({ changes, actor })
      const changesJson = JSON.stringify(change.changes);
      // named fields, not `...change` followed by more: a spread so followed is promoted by V8 (decision 0009)
      appendAudit(db, {
        at,
        actor,
        requestId,
        action: change.action,
        targetType: change.targetType,
        targetId: change.targetId,
        changes: change.changes,
        changesJson,
      });
      events.push(
        appendEvent(db, {
          at,
          type: change.action,
          subjectType: change.targetType,
          subjectId: change.targetId,
          data: { changes: change.changes, actor },
          dataJson: `{"changes":${changesJson},"actor":${actorJson}}`,
        }),
      );
    },
  };
}
