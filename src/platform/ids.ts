import { randomBytes } from "./crypto.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/**
 * Opaque, URL-safe ids that sort by creation time (48-bit milliseconds + 80 random bits, like a ULID),
 * so primary-key order is also creation order and pagination cursors stay cheap.
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(10);
  let rest = "";
  // 80 bits -> 16 base32 characters, 5 bits at a time
  let buffer = 0;
  let bits = 0;
  for (const byte of random) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      rest += ALPHABET[(buffer >> bits) & 31];
    }
  }
  return `${prefix}_${time}${rest}`;
}
