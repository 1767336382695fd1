import { hash } from "node:crypto";

/** SHA-256 of a string's UTF-8 bytes as lower-case hex, from Node's native crypto (one-shot: no Hash object per call). */
export const nodeSha256Hex = (text: string): string => hash("sha256", text, "hex");
