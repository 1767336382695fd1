import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fractionalNumberPath } from "./json-numbers.js";

describe("fractionalNumberPath", () => {
  it("names the first number written with a fraction or an exponent", () => {
    expect(fractionalNumberPath('{"invoiceId":"inv_01ke","amount":1.0000000000000001,"date":"2026-01-02"}')).toBe("amount");
    expect(fractionalNumberPath('{"lines":[{"unitPrice":10},{"description":"a, \\"b\\" 1.5","unitPrice":1e3}]}')).toBe("lines.1.unitPrice");
    expect(fractionalNumberPath('{"a":{"b":[1,2,[3,-4.0]]}}')).toBe("a.b.2.1");
    expect(fractionalNumberPath("2.5")).toBe("body");
    expect(fractionalNumberPath('{"x":-0E0}')).toBe("x");
  });

  it("finds nothing where every number is an integer, whatever the strings hold", () => {
    expect(fractionalNumberPath('{"invoiceId":"inv_01ke9e","amount":-1500,"memo":"1.5e3 {[,]}","date":"2026-01-02"}')).toBeUndefined();
    expect(fractionalNumberPath('{"k\\"ey.1e":[1,2,{"z":0}]}')).toBeUndefined();
  });

  it("agrees with the parsed value on any JSON: integers written plainly pass, others are found", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, "\t", " \r\n"), (value, indent) => {
        // with and without whitespace between tokens
        const text = JSON.stringify(value, null, indent);
        // JSON.stringify writes an integer-valued number as digits, anything else with `.` or `e`
        const hasFraction = /[0-9][.eE]/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'));
        expect(fractionalNumberPath(text) !== undefined).toBe(hasFraction);
      }),
      { numRuns: 2000 },
    );
  });
});
