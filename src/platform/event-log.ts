import { newId } from "./ids.js";
import type { Db } from "./sql.js";

/** One committed change, as subscribers and agents see it. */
export interface BusinessEvent {
  seq: number;
  id: string;
  at: string;
  type: string;
  subjectType: string;
  subjectId: string;
  data: unknown;
}

interface EventRow {
  seq: number;
  id: string;
  at: string;
  type: string;
  subject_type: string;
  subject_id: string;
  data: string;
}

export function appendEvent(
  db: Db,
  { dataJson, ...event }: { at: string; type: string; subjectType: string; subjectId: string; data: unknown; dataJson?: string },
): BusinessEvent {
  const id = newId("evt");
  // seq is the rowid: SQLite gives the next number (events are never deleted), one statement per event
  const { lastInsertRowid: seq } = db.run(
    "INSERT INTO events (id, at, type, subject_type, subject_id, data) VALUES (?, ?, ?, ?, ?, ?)",
    id,
    event.at,
    event.type,
    event.subjectType,
    event.subjectId,
    dataJson ?? JSON.stringify(event.data ?? null),
  );
  return { seq, id, ...event };
}

export function eventsAfter(db: Db, afterSeq: number, limit: number): BusinessEvent[] {
  return db
    .all<EventRow>("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit)
    .map((row) => ({
      seq: row.seq,
      id: row.id,
      at: row.at,
      type: row.type,
      subjectType: row.subject_type,
      subjectId: row.subject_id,
      data: JSON.parse(row.data),
    }));
}

export function lastEventSeq(db: Db): number {
  return db.get<{ seq: number }>("SELECT seq FROM events ORDER BY seq DESC LIMIT 1")?.seq ?? 0;
}

type Listener = (events: readonly BusinessEvent[]) => void;

/**
 * Live delivery of committed events inside this process. Events are published only after their
 * transaction commits; the log in the database stays the source of truth for resuming.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  subscribe(businessId: string, listener: Listener): () => void {
    let set = this.listeners.get(businessId);
    if (!set) {
      set = new Set();
      this.listeners.set(businessId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(businessId);
    };
  }

  publish(businessId: string, events: readonly BusinessEvent[]): void {
    if (events.length === 0) return;
    const set = this.listeners.get(businessId);
    if (!set) return;
    for (const listener of set) listener(events);
  }

  subscriberCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
