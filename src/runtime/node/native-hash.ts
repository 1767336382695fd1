import { createHash } from "node:crypto";

/** SHA-256 of a string's UTF-8 bytes as lower-case hex, from Node's native crypto. */
export const nodeSha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
