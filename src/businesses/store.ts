import { cacheScope, declareScope } from "../platform/generation-cache.js";
import type { Db } from "../platform/sql.js";
import type { Role } from "./roles.js";

export interface BusinessRow {
  id: string;
  name: string;
  base_currency: string;
  created_at: string;
  updated_at: string;
}

export interface MemberBusinessRow extends BusinessRow {
  role: Role;
}

export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export interface ApiKeyRow {
  id: string;
  business_id: string;
  name: string;
  role: Role;
  secret_hash: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

const LIVE_BUSINESS = "b.deleted_at IS NULL";

export function insertBusiness(db: Db, b: BusinessRow & { created_by: string }): void {
  db.run(
    "INSERT INTO businesses (id, name, base_currency, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    b.id,
    b.name,
    b.base_currency,
    b.created_by,
    b.created_at,
    b.updated_at,
  );
}

export const findBusiness = (db: Db, businessId: string) =>
  db.get<BusinessRow>(
    `SELECT b.id, b.name, b.base_currency, b.created_at, b.updated_at FROM businesses b WHERE b.id = ? AND ${LIVE_BUSINESS}`,
    businessId,
  );

/** The business as one member sees it; undefined when they are not a member or it was deleted. */
export const findMemberBusiness = (db: Db, businessId: string, userId: string) =>
  db.get<MemberBusinessRow>(
    `SELECT b.id, b.name, b.base_currency, b.created_at, b.updated_at, m.role
       FROM memberships m JOIN businesses b ON b.id = m.business_id
      WHERE m.business_id = ? AND m.user_id = ? AND ${LIVE_BUSINESS}`,
    businessId,
    userId,
  );

export const listMemberBusinesses = (db: Db, userId: string, afterId: string, limit: number) =>
  db.all<MemberBusinessRow>(
    `SELECT b.id, b.name, b.base_currency, b.created_at, b.updated_at, m.role
       FROM memberships m JOIN businesses b ON b.id = m.business_id
      WHERE m.user_id = ? AND m.business_id > ? AND ${LIVE_BUSINESS}
      ORDER BY m.business_id LIMIT ?`,
    userId,
    afterId,
    limit,
  );

export function updateBusinessName(db: Db, businessId: string, name: string, at: string): void {
  db.run("UPDATE businesses SET name = ?, updated_at = ? WHERE id = ?", name, at, businessId);
  declareScope(db, cacheScope.business(businessId));
}

export function markBusinessDeleted(db: Db, businessId: string, at: string): void {
  db.run("UPDATE businesses SET deleted_at = ?, updated_at = ? WHERE id = ?", at, at, businessId);
}

export function insertMembership(db: Db, businessId: string, userId: string, role: Role, at: string): void {
  db.run(
    "INSERT INTO memberships (business_id, user_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    businessId,
    userId,
    role,
    at,
    at,
  );
}

const MEMBER_COLUMNS = "m.user_id, u.email, u.name, m.role, m.created_at, m.updated_at";

export const findMember = (db: Db, businessId: string, userId: string) =>
  db.get<MemberRow>(
    `SELECT ${MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.business_id = ? AND m.user_id = ?`,
    businessId,
    userId,
  );

export const listMembers = (db: Db, businessId: string, afterUserId: string, limit: number) =>
  db.all<MemberRow>(
    `SELECT ${MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.business_id = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?`,
    businessId,
    afterUserId,
    limit,
  );

export function updateMemberRole(db: Db, businessId: string, userId: string, role: Role, at: string): void {
  db.run("UPDATE memberships SET role = ?, updated_at = ? WHERE business_id = ? AND user_id = ?", role, at, businessId, userId);
}

export function deleteMembership(db: Db, businessId: string, userId: string): void {
  db.run("DELETE FROM memberships WHERE business_id = ? AND user_id = ?", businessId, userId);
}

export const countOwners = (db: Db, businessId: string) =>
  db.get<{ n: number }>("SELECT count(*) AS n FROM memberships WHERE business_id = ? AND role = 'owner'", businessId)!.n;

export function insertApiKey(db: Db, key: Omit<ApiKeyRow, "revoked_at">): void {
  db.run(
    "INSERT INTO api_keys (id, business_id, name, role, secret_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    key.id,
    key.business_id,
    key.name,
    key.role,
    key.secret_hash,
    key.created_by,
    key.created_at,
  );
}

/** A key that still works: not revoked, and its business not deleted. */
export const findActiveApiKey = (db: Db, keyId: string) =>
  db.get<ApiKeyRow>(
    `SELECT k.* FROM api_keys k JOIN businesses b ON b.id = k.business_id
      WHERE k.id = ? AND k.revoked_at IS NULL AND ${LIVE_BUSINESS}`,
    keyId,
  );

export const findApiKey = (db: Db, businessId: string, keyId: string) =>
  db.get<ApiKeyRow>("SELECT * FROM api_keys WHERE business_id = ? AND id = ?", businessId, keyId);

export const listApiKeys = (db: Db, businessId: string, afterId: string, limit: number) =>
  db.all<ApiKeyRow>("SELECT * FROM api_keys WHERE business_id = ? AND id > ? ORDER BY id LIMIT ?", businessId, afterId, limit);

/** The keys one person created in one business that still work (not revoked). */
export const listActiveApiKeysCreatedBy = (db: Db, businessId: string, userId: string) =>
  db.all<ApiKeyRow>(
    "SELECT * FROM api_keys WHERE business_id = ? AND created_by = ? AND revoked_at IS NULL ORDER BY id",
    businessId,
    userId,
  );

export function revokeApiKey(db: Db, keyId: string, at: string): void {
  db.run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", at, keyId);
}
