import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { portableSha256Hex } from "../../platform/crypto.js";
import { nodeSha256Hex } from "./native-hash.js";

describe("Node's native SHA-256", () => {
  it("gives the portable implementation's digest for any string, including non-ASCII and lone surrogates", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 600 }), (text) => {
        expect(nodeSha256Hex(text)).toBe(portableSha256Hex(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("matches the published test vector", () => {
    expect(nodeSha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(portableSha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
