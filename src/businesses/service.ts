import type { BusinessScope } from "../http/context.js";
import type { ChangeRecorder } from "../http/business-write.js";
import * as identity from "../identity/store.js";
import { randomBytes, sha256Hex } from "../platform/crypto.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { newId } from "../platform/ids.js";
import { conflict, forbidden, notFound, unprocessable } from "../platform/problem.js";
import type { Db } from "../platform/sql.js";
import { can, covers, type Role } from "./roles.js";
import * as store from "./store.js";

export const businessView = (row: store.MemberBusinessRow) => ({
  id: row.id,
  name: row.name,
  baseCurrency: row.base_currency,
  role: row.role,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const memberView = (row: store.MemberRow) => ({
  userId: row.user_id,
  email: row.email,
  name: row.name,
  role: row.role,
  joinedAt: row.created_at,
  updatedAt: row.updated_at,
});

export const apiKeyView = (row: store.ApiKeyRow) => ({
  id: row.id,
  name: row.name,
  role: row.role as Exclude<Role, "owner">,
  createdBy: row.created_by,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** A new business as its creator (its owner) will see it; registered by `registerBusiness`. */
export function newBusiness(input: { name: string; baseCurrency: string }, at: string): store.MemberBusinessRow {
  return { id: newId("biz"), name: input.name, base_currency: input.baseCurrency, created_at: at, updated_at: at, role: "owner" };
}

/** Registers the business and its first owner in the core database, and audits both in the business's own. */
export function registerBusiness(core: Db, rec: ChangeRecorder, row: store.MemberBusinessRow, ownerId: string) {
  store.insertBusiness(core, { ...row, created_by: ownerId });
  store.insertMembership(core, row.id, ownerId, "owner", row.created_at);
  rec.record({ action: "business.created", targetType: "business", targetId: row.id, changes: { name: row.name, baseCurrency: row.base_currency } });
  rec.record({ action: "member.added", targetType: "member", targetId: ownerId, changes: { role: "owner" } });
  return businessView(row);
}

/** The business as admitted for this request (read from the core database, or from its generation cache). */
export function scopedBusiness(scope: BusinessScope) {
  return businessView({
    id: scope.businessId,
    name: scope.name,
    base_currency: scope.baseCurrency,
    role: scope.role,
    created_at: scope.createdAt,
    updated_at: scope.updatedAt,
  });
}

export function currentBusiness(core: Db, scope: BusinessScope) {
  const row = store.findBusiness(core, scope.businessId);
  if (!row) throw notFound("No such business.");
  return businessView({ ...row, role: scope.role });
}

export function updateBusiness(core: Db, scope: BusinessScope, rec: ChangeRecorder, input: { name?: string; baseCurrency?: string }) {
  const before = currentBusiness(core, scope);
  if (input.baseCurrency !== undefined && input.baseCurrency !== before.baseCurrency) {
    throw unprocessable("The base currency is fixed when a business is created: its ledger is kept in it.", [
      { path: "baseCurrency", message: "cannot change" },
    ]);
  }
  if (input.name === undefined || input.name === before.name) return before;
  store.updateBusinessName(core, scope.businessId, input.name, rec.at);
  rec.record({
    action: "business.updated",
    targetType: "business",
    targetId: scope.businessId,
    changes: { name: { from: before.name, to: input.name } },
  });
  return currentBusiness(core, scope);
}

export function deleteBusiness(core: Db, scope: BusinessScope, rec: ChangeRecorder): void {
  rec.record({ action: "business.deleted", targetType: "business", targetId: scope.businessId, changes: {} });
  // the database file stays: nothing is ever lost, and the business simply stops being reachable
  store.markBusinessDeleted(core, scope.businessId, rec.at);
}

function requireMember(core: Db, businessId: string, userId: string): store.MemberRow {
  const member = store.findMember(core, businessId, userId);
  if (!member) throw notFound("No such member.");
  return member;
}

export function addMember(core: Db, scope: BusinessScope, rec: ChangeRecorder, input: { email: string; role: Role }) {
  if (input.role === "owner" && !can(scope.role, "owners:manage")) throw forbidden("Only an owner can add an owner.");
  const user = identity.findUserByEmail(core, input.email);
  if (!user) throw unprocessable("No user has this email; they must register first.", [{ path: "email", message: "no such user" }]);
  if (store.findMember(core, scope.businessId, user.id)) throw conflict("This user is already a member.");
  store.insertMembership(core, scope.businessId, user.id, input.role, rec.at);
  rec.record({ action: "member.added", targetType: "member", targetId: user.id, changes: { email: user.email, role: input.role } });
  return memberView(requireMember(core, scope.businessId, user.id));
}

export function currentMember(core: Db, scope: BusinessScope, userId: string) {
  return memberView(requireMember(core, scope.businessId, userId));
}

export function changeMemberRole(core: Db, scope: BusinessScope, rec: ChangeRecorder, userId: string, role: Role) {
  const member = requireMember(core, scope.businessId, userId);
  if (member.role === role) return memberView(member);
  if ((member.role === "owner" || role === "owner") && !can(scope.role, "owners:manage")) {
    throw forbidden("Only an owner can make or unmake an owner.");
  }
  if (member.role === "owner" && store.countOwners(core, scope.businessId) === 1) {
    throw unprocessable("A business always keeps at least one owner; make someone else owner first.");
  }
  store.updateMemberRole(core, scope.businessId, userId, role, rec.at);
  rec.record({ action: "member.role_changed", targetType: "member", targetId: userId, changes: { role: { from: member.role, to: role } } });
  revokeKeysOfCreator(core, scope, rec, userId, role);
  return memberView(requireMember(core, scope.businessId, userId));
}

/** Members with members:manage remove others; anyone may leave, except the last owner. */
export function removeMember(core: Db, scope: BusinessScope, rec: ChangeRecorder, userId: string): void {
  const member = requireMember(core, scope.businessId, userId);
  const leaving = scope.actor.type === "user" && scope.actor.id === userId;
  if (!leaving && !can(scope.role, "members:manage")) throw forbidden("Your role does not allow removing members.");
  if (!leaving && member.role === "owner" && !can(scope.role, "owners:manage")) throw forbidden("Only an owner can remove an owner.");
  if (member.role === "owner" && store.countOwners(core, scope.businessId) === 1) {
    throw unprocessable("A business always keeps at least one owner; make someone else owner first.");
  }
  store.deleteMembership(core, scope.businessId, userId);
  rec.record({ action: "member.removed", targetType: "member", targetId: userId, changes: { email: member.email, role: member.role } });
  revokeKeysOfCreator(core, scope, rec, userId, undefined);
}

/**
 * API keys follow their creator (decision 0012): when a member is removed (`role` undefined) every key they
 * created in this business is revoked; when their role changes, the keys whose role their new one does not
 * cover. Each revocation is audited like one by hand, by whoever changed the membership.
 */
function revokeKeysOfCreator(core: Db, scope: BusinessScope, rec: ChangeRecorder, userId: string, role: Role | undefined): void {
  for (const key of store.listActiveApiKeysCreatedBy(core, scope.businessId, userId)) {
    if (role !== undefined && covers(role, key.role)) continue;
    store.revokeApiKey(core, key.id, rec.at);
    rec.record({
      action: "api_key.revoked",
      targetType: "api_key",
      targetId: key.id,
      changes: { name: key.name, reason: role === undefined ? "creator_removed" : "creator_role_changed" },
    });
  }
}

/** The key is `cf_<keyId>_<64 hex>`; only the SHA-256 of the secret part is kept. */
export function createApiKey(core: Db, scope: BusinessScope, rec: ChangeRecorder, input: { name: string; role: Exclude<Role, "owner"> }) {
  if (scope.actor.type !== "user") throw forbidden("API keys cannot create API keys.");
  const id = newId("key");
  const secret = bytesToHex(randomBytes(32));
  const row: store.ApiKeyRow = {
    id,
    business_id: scope.businessId,
    name: input.name,
    role: input.role,
    secret_hash: sha256Hex(secret),
    created_by: scope.actor.id,
    created_at: rec.at,
    revoked_at: null,
  };
  store.insertApiKey(core, row);
  rec.record({ action: "api_key.created", targetType: "api_key", targetId: id, changes: { name: input.name, role: input.role } });
  return { ...apiKeyView(row), key: `cf_${id}_${secret}` };
}

export function currentApiKey(core: Db, scope: BusinessScope, keyId: string) {
  const key = store.findApiKey(core, scope.businessId, keyId);
  if (!key) throw notFound("No such API key.");
  return apiKeyView(key);
}

export function revokeApiKey(core: Db, scope: BusinessScope, rec: ChangeRecorder, keyId: string): void {
  const key = store.findApiKey(core, scope.businessId, keyId);
  if (!key) throw notFound("No such API key.");
  if (key.revoked_at) return;
  store.revokeApiKey(core, keyId, rec.at);
  rec.record({ action: "api_key.revoked", targetType: "api_key", targetId: keyId, changes: { name: key.name } });
}
