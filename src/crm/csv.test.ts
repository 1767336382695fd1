import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvCell, csvLine, parseCsv } from "./csv.js";

const cellText = fc.string({ unit: fc.constantFrom("a", "b", ",", '"', "\r", "\n", " ", "=", "+", "-", "@", "\t", "é", "1"), maxLength: 12 });
const defused = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

describe("CSV", () => {
  it("round-trips any table through csvLine and parseCsv (formula-like cells defused)", () => {
    fc.assert(
      fc.property(fc.array(fc.array(cellText, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (table) => {
        const width = table[0]!.length;
        const rows = table.map((r) => [...r.slice(0, width), ...Array(Math.max(0, width - r.length)).fill("x")]);
        const text = rows.map(csvLine).join("");
        const parsed = parseCsv(text, 100);
        expect("rows" in parsed).toBe(true);
        if ("rows" in parsed) {
          // a row whose only cell is empty is a blank line, which CSV readers skip
          expect(parsed.rows).toEqual(rows.map((r) => r.map(defused)));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never lets a cell start with a formula character unless it is quoted text after an apostrophe", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const cell = csvCell(s);
        const unquoted = cell.startsWith('"') ? cell.slice(1) : cell;
        expect(/^[=+\-@\t\r]/.test(unquoted)).toBe(false);
      }),
    );
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(null)).toBe("");
    expect(csvCell(true)).toBe("true");
  });

  it("reports broken quoting with its line, and accepts LF, CRLF and a BOM", () => {
    expect(parseCsv('a,b\n"c,d\n', 10)).toEqual({ error: { line: 2, message: "a quoted field is never closed" } });
    expect(parseCsv('a,b\nc"d,e\n', 10)).toMatchObject({ error: { line: 2 } });
    expect(parseCsv('a,b\n"c"d,e\n', 10)).toMatchObject({ error: { line: 2 } });
    expect(parseCsv("\ufeffa,b\r\nc,d\n\ne,f", 10)).toEqual({ rows: [["a", "b"], ["c", "d"], ["e", "f"]] });
    expect(parseCsv('a,"multi\nline"\nx,y\n', 10)).toEqual({ rows: [["a", "multi\nline"], ["x", "y"]] });
    expect(parseCsv("a\nb\nc\nd\n", 3)).toMatchObject({ error: { message: "more than 2 data rows" } });
    expect(parseCsv("a,,\n", 3)).toEqual({ rows: [["a", "", ""]] });
  });
});
