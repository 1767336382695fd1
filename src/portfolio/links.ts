import { findMemberBusiness } from "../businesses/store.js";
import type { BusinessScope } from "../http/context.js";
import type { Db } from "../platform/sql.js";

/**
 * Why `otherBusinessId` may not be marked as the other side of an inter-company record of `scope`'s
 * business, or undefined when it may: it must be another business the acting person belongs to. An
 * API key acts inside one business only, so it cannot name another. A deleted business is no business. The message never tells a business
 * that exists from one that does not (no leak of other businesses).
 */
export function linkProblem(core: Db, scope: Pick<BusinessScope, "businessId" | "actor">, otherBusinessId: string): string | undefined {
  if (otherBusinessId === scope.businessId) return "a business cannot be linked to itself";
  if (scope.actor.type !== "user") return "only a person who belongs to both businesses can link them";
  if (!findMemberBusiness(core, otherBusinessId, scope.actor.id)) return "not a business you belong to";
  return undefined;
}
