/**
 * RFC 4180 CSV, both ways, with no I/O. Parsing reports the first broken quote with its line instead of
 * guessing; writing quotes what needs quoting and defuses cells a spreadsheet would run as a formula.
 */
export interface ParsedCsv {
  rows: string[][];
}
export interface CsvError {
  line: number;
  message: string;
}

/** Parses CSV text (CRLF or LF, a UTF-8 BOM allowed). Throws a CsvError-shaped object on broken quoting. */
export function parseCsv(input: string, maxRows: number): { rows: string[][] } | { error: CsvError } {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let line = 1;
  let rowLine = 1;
  let i = 0;
  let quoted = false;
  let fieldStarted = false;
  const endField = () => {
    row.push(field);
    field = "";
    fieldStarted = false;
  };
  const endRow = () => {
    endField();
    if (!(row.length === 1 && row[0] === "")) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        const next = text[i];
        if (next !== undefined && next !== "," && next !== "\r" && next !== "\n") {
          return { error: { line, message: "a closing quote must be followed by a comma or the end of the line" } };
        }
        continue;
      }
      if (ch === "\n") line += 1;
      field += ch;
      i += 1;
      continue;
    }
    if (ch === '"') {
      if (fieldStarted || field.length > 0) return { error: { line, message: "a quote inside an unquoted field (quote the whole field and double the quote)" } };
      quoted = true;
      fieldStarted = true;
      i += 1;
      continue;
    }
    if (ch === ",") {
      endField();
      i += 1;
      continue;
    }
    if (ch === "\r" || ch === "\n") {
      endRow();
      if (rows.length > maxRows) return { error: { line, message: `more than ${maxRows - 1} data rows` } };
      i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line += 1;
      rowLine = line;
      continue;
    }
    field += ch;
    fieldStarted = true;
    i += 1;
  }
  if (quoted) return { error: { line: rowLine, message: "a quoted field is never closed" } };
  if (field.length > 0 || fieldStarted || row.length > 0) endRow();
  if (rows.length > maxRows) return { error: { line, message: `more than ${maxRows - 1} data rows` } };
  return { rows };
}

/** Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: formula-like text gets a leading apostrophe; quoting per RFC 4180 when needed. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (cells: readonly unknown[]) => `${cells.map(csvCell).join(",")}\r\n`;
