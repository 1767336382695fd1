import type { AppDeps } from "../http/context.js";
import { randomToken, sha256Hex } from "../platform/crypto.js";
import { newId } from "../platform/ids.js";
import { conflict, tooManyRequests, unauthorized } from "../platform/problem.js";
import { cacheScope, GenerationCache } from "../platform/generation-cache.js";
import { FailureWindow } from "../platform/rate-limit.js";
import type { Db } from "../platform/sql.js";
import { isoNow } from "../platform/time.js";
import { decoyHash, hashPassword, needsRehash, verifyPassword } from "./passwords.js";
import * as store from "./store.js";
import { AccessTokenVerifier, signAccessToken } from "./tokens.js";

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

export interface IssuedSession {
  user: PublicUser;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const publicUser = (row: store.UserRow): PublicUser => ({ id: row.id, email: row.email, name: row.name, createdAt: row.created_at });

export type Identity = ReturnType<typeof createIdentity>;

export function createIdentity(deps: Pick<AppDeps, "jwtKey" | "config" | "core" | "metrics">) {
  const { config } = deps;
  const verifier = new AccessTokenVerifier(deps.jwtKey);
  const sessions = new GenerationCache<store.SessionRow | undefined>(deps.core);
  deps.metrics.trackCache("sessions", sessions);
  const windowMs = config.loginWindowSeconds * 1000;
  const failuresByAccount = new FailureWindow(config.loginFailuresPerAccount, windowMs);
  const failuresByAddress = new FailureWindow(config.loginFailuresPerAddress, windowMs);

  async function startSession(db: Db, user: store.UserRow): Promise<IssuedSession> {
    const now = Date.now();
    const sessionId = newId("ses", now);
    const refreshToken = randomToken();
    const expiresAt = isoNow(now + config.refreshTokenDays * 86_400_000);
    db.transaction(() => {
      store.insertSession(db, { id: sessionId, userId: user.id, createdAt: isoNow(now), expiresAt });
      store.insertRefreshToken(db, sha256Hex(refreshToken), sessionId, isoNow(now));
    });
    // committed just now, in this synchronous run: the first request with the new token finds it
    // remembered instead of reading it back (a sign-in is followed by requests that use it)
    if (!db.connection.inTransaction) {
      sessions.prime(sessionId, { id: sessionId, user_id: user.id, expires_at: expiresAt, revoked_at: null }, cacheScope.session(sessionId));
    }
    return {
      user: publicUser(user),
      accessToken: await signAccessToken(deps.jwtKey, user.id, sessionId, config.accessTokenSeconds),
      refreshToken,
      expiresIn: config.accessTokenSeconds,
    };
  }

  return {
    async register(db: Db, input: { email: string; password: string; name: string }): Promise<IssuedSession> {
      if (store.findUserByEmail(db, input.email)) throw conflict("An account with this email already exists.");
      const passwordHash = await hashPassword(input.password);
      const user: store.UserRow = {
        id: newId("usr"),
        email: input.email,
        name: input.name,
        password_hash: passwordHash,
        created_at: isoNow(),
        updated_at: isoNow(),
      };
      try {
        store.insertUser(db, user);
      } catch (error) {
        // two registrations for one email raced through the hashing above
        if (String(error).includes("UNIQUE")) throw conflict("An account with this email already exists.");
        throw error;
      }
      return startSession(db, user);
    },

    async login(db: Db, input: { email: string; password: string }, address: string): Promise<IssuedSession> {
      const accountKey = `account:${input.email}`;
      const addressKey = `address:${address}`;
      const wait = Math.max(failuresByAccount.blockedFor(accountKey), failuresByAddress.blockedFor(addressKey));
      if (wait > 0) throw tooManyRequests(wait, "Too many failed sign-ins; try again later.");

      const user = store.findUserByEmail(db, input.email);
      // the same work whether or not the account exists: no enumeration by message or timing
      const valid = await verifyPassword(input.password, user?.password_hash ?? (await decoyHash()));
      if (!user || !valid) {
        failuresByAccount.fail(accountKey);
        failuresByAddress.fail(addressKey);
        throw unauthorized("Invalid email or password.");
      }
      failuresByAccount.clear(accountKey);
      if (needsRehash(user.password_hash)) store.updatePasswordHash(db, user.id, await hashPassword(input.password), isoNow());
      return startSession(db, user);
    },

    /** A refresh token works once; presenting a used one revokes its whole family (the session). */
    async refresh(db: Db, refreshToken: string): Promise<IssuedSession> {
      const tokenHash = sha256Hex(refreshToken);
      const now = Date.now();
      const next = randomToken();
      const outcome = db.transaction(() => {
        const token = store.findRefreshToken(db, tokenHash);
        if (!token) return { error: "The refresh token is not valid." };
        const session = store.findSession(db, token.session_id)!;
        if (session.revoked_at) return { error: "This session has ended." };
        if (Date.parse(session.expires_at) <= now) return { error: "This session has expired." };
        if (!store.useRefreshToken(db, tokenHash, isoNow(now))) {
          store.revokeSession(db, session.id, "refresh token reused", isoNow(now));
          return { error: "This refresh token was already used; the session has been revoked." };
        }
        store.insertRefreshToken(db, sha256Hex(next), session.id, isoNow(now));
        return { session };
      });
      if (!outcome.session) throw unauthorized(outcome.error);
      const user = store.findUserById(db, outcome.session.user_id)!;
      return {
        user: publicUser(user),
        accessToken: await signAccessToken(deps.jwtKey, user.id, outcome.session.id, config.accessTokenSeconds),
        refreshToken: next,
        expiresIn: config.accessTokenSeconds,
      };
    },

    logout(db: Db, refreshToken: string): void {
      const token = store.findRefreshToken(db, sha256Hex(refreshToken));
      if (token) store.revokeSession(db, token.session_id, "logout", isoNow());
    },

    /** Access tokens are short-lived, and the session behind one is checked on every request, so logout and reuse detection take effect at once. */
    async authenticateAccessToken(db: Db, token: string): Promise<{ userId: string; sessionId: string }> {
      const claims = await verifier.verify(token);
      const session = sessions.get(
        claims.sessionId,
        () => store.findSession(db, claims.sessionId),
        () => cacheScope.session(claims.sessionId),
      );
      if (!session || session.revoked_at || session.user_id !== claims.userId) throw unauthorized("This session has ended.");
      return claims;
    },

    publicUser,
  };
}
