import { sha256Hex } from "./crypto.js";
import { newId } from "./ids.js";
import { ConnectionMemo, type Db } from "./sql.js";

export interface Actor {
  type: "user" | "api_key" | "system";
  id: string;
}

export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actorType: string;
  actorId: string;
  action: string;
  targetType: string;
  targetId: string;
  changes: unknown;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

interface AuditRow {
  seq: number;
  id: string;
  at: string;
  actor_type: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  changes: string;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

const GENESIS = "0".repeat(64);

/** Every stored field but the hash, in column order; the hash covers them as a JSON array so no delimiter is ambiguous. */
function hashedFields(row: Omit<AuditRow, "hash">) {
  return [
    row.seq,
    row.id,
    row.at,
    row.actor_type,
    row.actor_id,
    row.action,
    row.target_type,
    row.target_id,
    row.changes,
    row.request_id,
    row.prev_hash,
  ] as const;
}

function entryHash(row: Omit<AuditRow, "hash">): string {
  return sha256Hex(JSON.stringify(hashedFields(row)));
}

/** The last entry of each database's chain: appending needs it, and only appendAudit writes the log. */
const heads = new ConnectionMemo<{ seq: number; hash: string }>();

function chainHead(db: Db): { seq: number; hash: string } {
  return (
    heads.get(db.connection) ??
    heads.set(db.connection, db.get<{ seq: number; hash: string }>("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1") ?? { seq: 0, hash: GENESIS })
  );
}

export function appendAudit(
  db: Db,
  entry: {
    at: string;
    actor: Actor;
    action: string;
    targetType: string;
    targetId: string;
    changes: unknown;
    /** `changes` already serialised by the caller */
    changesJson?: string;
    requestId: string | null;
  },
): void {
  const last = chainHead(db);
  const row = {
    seq: last.seq + 1,
    id: newId("aud"),
    at: entry.at,
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    changes: entry.changesJson ?? JSON.stringify(entry.changes ?? {}),
    request_id: entry.requestId,
    prev_hash: last.hash,
  };
  const hash = entryHash(row);
  db.run(
    `INSERT INTO audit_log (seq, id, at, actor_type, actor_id, action, target_type, target_id, changes, request_id, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ...hashedFields(row),
    hash,
  );
  heads.set(db.connection, { seq: row.seq, hash });
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    at: row.at,
    actorType: row.actor_type,
    actorId: row.actor_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    changes: JSON.parse(row.changes),
    requestId: row.request_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function listAudit(db: Db, afterSeq: number, limit: number): AuditEntry[] {
  return db
    .all<AuditRow>("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit)
    .map(toAuditEntry);
}

/** Recomputes the whole chain: any edited, removed or reordered entry breaks it. */
export function verifyAudit(db: Db): { valid: boolean; entries: number; firstInvalidSeq?: number } {
  let prev = GENESIS;
  let expectedSeq = 1;
  let entries = 0;
  const pageSize = 1000;
  for (;;) {
    const rows = db.all<AuditRow>("SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?", expectedSeq, pageSize);
    for (const row of rows) {
      const { hash, ...rest } = row;
      if (row.seq !== expectedSeq || row.prev_hash !== prev || entryHash(rest) !== hash) {
        return { valid: false, entries, firstInvalidSeq: row.seq };
      }
      prev = hash;
      expectedSeq += 1;
      entries += 1;
    }
    if (rows.length < pageSize) return { valid: true, entries };
  }
}
