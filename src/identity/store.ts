import { cacheScope, declareScope } from "../platform/generation-cache.js";
import type { Db } from "../platform/sql.js";

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: string;
  updated_at: string;
}

export interface SessionRow {
  id: string;
  user_id: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface RefreshTokenRow {
  token_hash: string;
  session_id: string;
  used_at: string | null;
}

export const findUserByEmail = (db: Db, email: string) => db.get<UserRow>("SELECT * FROM users WHERE email = ?", email);
export const findUserById = (db: Db, id: string) => db.get<UserRow>("SELECT * FROM users WHERE id = ?", id);

export function insertUser(db: Db, user: Omit<UserRow, "updated_at">): void {
  db.run(
    "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    user.id,
    user.email,
    user.name,
    user.password_hash,
    user.created_at,
    user.created_at,
  );
}

export function updatePasswordHash(db: Db, userId: string, hash: string, at: string): void {
  db.run("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", hash, at, userId);
}

export function insertSession(db: Db, session: { id: string; userId: string; createdAt: string; expiresAt: string }): void {
  db.run(
    "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
    session.id,
    session.userId,
    session.createdAt,
    session.expiresAt,
  );
  declareScope(db, cacheScope.session(session.id));
}

export const findSession = (db: Db, id: string) =>
  db.get<SessionRow>("SELECT id, user_id, expires_at, revoked_at FROM sessions WHERE id = ?", id);

export function revokeSession(db: Db, id: string, reason: string, at: string): void {
  db.run("UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL", at, reason, id);
  declareScope(db, cacheScope.session(id));
}

export function insertRefreshToken(db: Db, tokenHash: string, sessionId: string, at: string): void {
  db.run("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES (?, ?, ?)", tokenHash, sessionId, at);
  declareScope(db, cacheScope.refreshTokens);
}

export const findRefreshToken = (db: Db, tokenHash: string) =>
  db.get<RefreshTokenRow>("SELECT token_hash, session_id, used_at FROM refresh_tokens WHERE token_hash = ?", tokenHash);

/** Marks a refresh token used; returns false when another request used it first. */
export function useRefreshToken(db: Db, tokenHash: string, at: string): boolean {
  const used = db.run("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", at, tokenHash).changes === 1;
  declareScope(db, cacheScope.refreshTokens);
  return used;
}
