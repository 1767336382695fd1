import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/** The portable SHA-256 of a string's UTF-8 bytes, as lower-case hex. */
export const portableSha256Hex = (text: string): string => bytesToHex(sha256(utf8ToBytes(text)));

let digestHex = portableSha256Hex;

/**
 * A runtime may hand in its native SHA-256 (Node: node:crypto, ~10× faster on an audit entry); it must
 * give the same digests as the portable one (src/runtime/node/native-hash.test.ts checks Node's).
 */
export function useNativeSha256(native: (text: string) => string): void {
  digestHex = native;
}

/**
 * SHA-256 synchronously: audit hashing and token lookups happen inside synchronous SQL transactions,
 * where WebCrypto's promise-based digest cannot be awaited.
 */
export function sha256Hex(text: string): string {
  return digestHex(text);
}

const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

/**
 * Fills `bytes` with cryptographically random bytes. Small requests are served from a pool refilled
 * 4 KiB at a time: a write creates several ids, and one call into the system's generator per id was a
 * measurable share of a payment's CPU time.
 */
export function fillRandom(bytes: Uint8Array<ArrayBuffer>): void {
  const length = bytes.length;
  if (length > 256) {
    crypto.getRandomValues(bytes);
    return;
  }
  if (poolOffset + length > POOL_SIZE) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  for (let i = 0; i < length; i++) {
    bytes[i] = pool[poolOffset + i]!;
    // spent bytes are zeroed so no later reader of the pool could see them again
    pool[poolOffset + i] = 0;
  }
  poolOffset += length;
}

/** `length` cryptographically random bytes (see fillRandom). */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  fillRandom(bytes);
  return bytes;
}

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** An opaque secret with 256 bits of entropy. */
export function randomToken(): string {
  return base64url(randomBytes(32));
}

/** Compares two strings in time that depends only on their length. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
