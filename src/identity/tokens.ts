import { errors, jwtVerify, SignJWT } from "jose";
import { unauthorized } from "../platform/problem.js";

const ISSUER = "coreflow360";
const AUDIENCE = "coreflow360-api";

export interface AccessClaims {
  userId: string;
  sessionId: string;
  expiresAtMs: number;
}

export async function signAccessToken(key: Uint8Array, userId: string, sessionId: string, seconds: number): Promise<string> {
  return new SignJWT({ sid: sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${seconds}s`)
    .sign(key);
}

/**
 * Verifies signature, algorithm (HS256 only, so `alg: none` and key confusion fail), issuer, audience
 * and expiry. Verified tokens are remembered until they expire, because an HMAC check per request
 * would cost more than the rest of an authenticated read.
 */
export class AccessTokenVerifier {
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    private readonly key: Uint8Array,
    private readonly maxEntries = 50_000,
  ) {}

  async verify(token: string): Promise<AccessClaims> {
    const now = Date.now();
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.expiresAtMs > now) return cached;
      this.verified.delete(token);
      throw unauthorized("The access token has expired.");
    }
    let claims: AccessClaims;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE });
      if (typeof payload.sub !== "string" || typeof payload.sid !== "string" || typeof payload.exp !== "number") {
        throw unauthorized("The access token is malformed.");
      }
      claims = { userId: payload.sub, sessionId: payload.sid, expiresAtMs: payload.exp * 1000 };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthorized("The access token has expired.");
      throw unauthorized("The access token is not valid.");
    }
    if (this.verified.size >= this.maxEntries) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, claims);
    return claims;
  }
}
