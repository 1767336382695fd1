import type { Http } from "./http.js";
import type { Check } from "./types.js";

export interface AuditState {
  valid: boolean;
  entries: number;
}

/** GET /businesses/{id}/audit/verify for each business: the chain's validity and its length. */
export async function auditSnapshot(http: Http, token: string, businessIds: readonly string[]): Promise<Map<string, AuditState>> {
  const out = new Map<string, AuditState>();
  for (const id of businessIds) {
    const res = await http.get(`/businesses/${id}/audit/verify`, { token });
    if (res.status !== 200) throw new Error(`audit/verify for ${id} answered ${res.status}: ${res.text.slice(0, 200)}`);
    out.set(id, { valid: res.body.valid === true, entries: Number(res.body.entries) });
  }
  return out;
}

/**
 * Writes whose outcome the client knows (acknowledged with 2xx, or refused) and those it does not
 * (timed out or the connection failed: they may or may not have committed).
 */
export class WriteLedger {
  /** Audit entries the acknowledged writes must have appended, per business. */
  readonly acknowledged = new Map<string, number>();
  /** Audit entries the writes of unknown outcome may have appended, per business. */
  readonly unknown = new Map<string, number>();
  refused = 0;
  /** Acknowledged writes (differs from the entries when a write appends several, e.g. an invoice issue). */
  acknowledgedWrites = 0;

  /** `entries`: the audit entries one such write appends (1 for most writes). */
  record(businessId: string, status: number | null, entries = 1): void {
    if (status === null) this.unknown.set(businessId, (this.unknown.get(businessId) ?? 0) + entries);
    else if (status < 300) {
      this.acknowledged.set(businessId, (this.acknowledged.get(businessId) ?? 0) + entries);
      this.acknowledgedWrites += 1;
    } else this.refused += 1;
  }

  get totalAcknowledged(): number {
    let n = 0;
    for (const v of this.acknowledged.values()) n += v;
    return n;
  }

  get totalUnknown(): number {
    let n = 0;
    for (const v of this.unknown.values()) n += v;
    return n;
  }
}

/**
 * The persisted-state checks after a write scenario: every business's audit log grew by exactly the
 * writes acknowledged to it (each write here appends one entry), and every chain still verifies.
 */
export function auditChecks(before: Map<string, AuditState>, after: Map<string, AuditState>, writes: WriteLedger): Check[] {
  let grown = 0;
  const mismatches: string[] = [];
  const invalid: string[] = [];
  for (const [id, b] of before) {
    const a = after.get(id);
    if (!a) {
      mismatches.push(`${id}: missing after the run`);
      continue;
    }
    if (!a.valid) invalid.push(id);
    const delta = a.entries - b.entries;
    grown += delta;
    const acked = writes.acknowledged.get(id) ?? 0;
    const unknown = writes.unknown.get(id) ?? 0;
    if (delta < acked || delta > acked + unknown) mismatches.push(`${id}: +${delta} entries for ${acked} acknowledged${unknown ? ` (+${unknown} unknown)` : ""}`);
  }
  const unknownNote = writes.totalUnknown ? `, ${writes.totalUnknown} entries of writes with unknown outcome (timed out) allowed either way` : "";
  const entriesNote = writes.acknowledgedWrites !== writes.totalAcknowledged ? ` (${writes.totalAcknowledged} entries expected)` : "";
  return [
    {
      name: "audit log grew by exactly the acknowledged writes",
      ok: mismatches.length === 0,
      detail:
        mismatches.length === 0
          ? `${before.size} businesses: +${grown} audit entries for ${writes.acknowledgedWrites} acknowledged writes${entriesNote}${unknownNote}`
          : `mismatch in ${mismatches.length} businesses: ${mismatches.slice(0, 5).join("; ")}`,
    },
    {
      name: "audit chains verify",
      ok: invalid.length === 0,
      detail: invalid.length === 0 ? `GET /audit/verify valid for all ${after.size} businesses` : `invalid chain in ${invalid.join(", ")}`,
    },
  ];
}
