/** The contract's five roles and what each may do inside a business. */
export const ROLES = ["owner", "admin", "accountant", "sales", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Roles an API key may carry: a key never owns a business. */
export const API_KEY_ROLES = ["admin", "accountant", "sales", "viewer"] as const;

export type Permission =
  | "business:read"
  | "business:update"
  | "business:delete"
  | "members:manage"
  | "owners:manage"
  | "api-keys:manage"
  | "audit:read"
  | "crm:read"
  | "crm:write"
  | "finance:read"
  | "finance:write"
  | "finance:reopen"
  | "agents:read"
  | "agents:run"
  | "agents:approve";

const READ: Permission[] = ["business:read", "crm:read", "finance:read", "agents:read"];

const MATRIX: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set<Permission>([
    ...READ,
    "business:update",
    "business:delete",
    "members:manage",
    "owners:manage",
    "api-keys:manage",
    "audit:read",
    "crm:write",
    "finance:write",
    "finance:reopen",
    "agents:run",
    "agents:approve",
  ]),
  // everything except deleting the business or changing who owns it
  admin: new Set<Permission>([
    ...READ,
    "business:update",
    "members:manage",
    "api-keys:manage",
    "audit:read",
    "crm:write",
    "finance:write",
    "finance:reopen",
    "agents:run",
    "agents:approve",
  ]),
  // an accountant locks the books further, but reopening a closed period takes an owner or admin
  accountant: new Set<Permission>([...READ, "audit:read", "finance:write", "agents:run", "agents:approve"]),
  sales: new Set<Permission>([...READ, "crm:write", "agents:run"]),
  viewer: new Set<Permission>(READ),
};

export function can(role: Role, permission: Permission): boolean {
  return MATRIX[role].has(permission);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * Whether `holder` may do everything `other` may: a role is at or below another when its permissions are a
 * subset of the other's. Accountant and sales are not comparable (each writes what the other cannot).
 */
export function covers(holder: Role, other: Role): boolean {
  for (const permission of MATRIX[other]) if (!MATRIX[holder].has(permission)) return false;
  return true;
}
