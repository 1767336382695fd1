import { base64url, fromBase64url, randomBytes, timingSafeEqual } from "../platform/crypto.js";

/**
 * PBKDF2-SHA-256 at OWASP's 2023 count, through WebCrypto: it runs on Workers too, and on Node the
 * derivation happens on libuv's thread pool, never on the event loop. The stored string carries its
 * parameters (`pbkdf2-sha256$<iterations>$<salt>$<hash>`), so the count can be raised later and old
 * hashes still verify (and are re-hashed on the next login).
 */
export const PASSWORD_ITERATIONS = 600_000;
const ALGORITHM = "pbkdf2-sha256";

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PASSWORD_ITERATIONS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, iterations);
  return `${ALGORITHM}$${iterations}$${base64url(salt)}$${base64url(hash)}`;
}

export function needsRehash(stored: string): boolean {
  const [algorithm, iterations] = stored.split("$");
  return algorithm !== ALGORITHM || Number(iterations) < PASSWORD_ITERATIONS;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [algorithm, iterationsText, saltText, hashText] = stored.split("$");
  const iterations = Number(iterationsText);
  if (algorithm !== ALGORITHM || !Number.isInteger(iterations) || !saltText || !hashText) return false;
  const hash = await derive(password, fromBase64url(saltText), iterations);
  return timingSafeEqual(base64url(hash), hashText);
}

/**
 * Verifying against this when the email is unknown makes a failed login cost the same whatever the
 * reason, so timing does not reveal which emails have accounts.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(base64url(randomBytes(16)));
  return decoy;
}
