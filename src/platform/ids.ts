import { fillRandom } from "./crypto.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case
const DIGITS = Array.from(ALPHABET, (c) => c.charCodeAt(0));

// scratch space, reused: a write makes several ids, and building each from fresh arrays and string
// pieces was a measurable share of what a payment allocates
const codes: number[] = new Array(26).fill(0);
const random = new Uint8Array(10);

/** The first ten characters of every id: milliseconds since the epoch in base32, most significant first. */
function writeTime(ms: number): void {
  let t = Math.max(0, Math.min(Math.floor(ms), 32 ** 10 - 1));
  for (let i = 9; i >= 0; i--) {
    codes[i] = DIGITS[t % 32]!;
    t = Math.floor(t / 32);
  }
}

/**
 * Opaque, URL-safe ids that sort by creation time (48-bit milliseconds + 80 random bits, like a ULID),
 * so primary-key order is also creation order and pagination cursors stay cheap.
 */
export function newId(prefix: string, now = Date.now()): string {
  writeTime(now);
  fillRandom(random);
  // 80 bits -> 16 base32 characters, 5 bits at a time
  let buffer = 0;
  let bits = 0;
  let at = 10;
  for (let i = 0; i < 10; i++) {
    buffer = (buffer << 8) | random[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      codes[at++] = DIGITS[(buffer >> bits) & 31]!;
    }
  }
  return `${prefix}_${String.fromCharCode(...codes)}`;
}

/** The smallest id with this prefix made at or after `ms`: its time part followed by nothing. */
export function idFloorAt(prefix: string, ms: number): string {
  writeTime(ms);
  return `${prefix}_${String.fromCharCode(...codes.slice(0, 10))}`;
}
