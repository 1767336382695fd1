/**
 * The path of the first number in a JSON text written with a fraction or an exponent (`1.5`, `1e3`,
 * `1.0000000000000001`), or undefined when every number is written as an integer. Amounts are integer
 * minor units and decimals travel as strings, so such a literal is always a mistake — and JSON.parse
 * would hide some of them (`1.0000000000000001` parses to 1). Expects valid JSON; on anything else it
 * returns whatever it found so far, and the parser refuses the text.
 */
export function fractionalNumberPath(text: string): string | undefined {
  // A number starts the text or follows `:`, `,` or `[` (and whitespace); one written with a fraction
  // or an exponent has `.`, `e` or `E` after its first digits. Where nothing looks like that — ids with
  // an `e` after a digit inside strings do not — there is nothing to find, without the walk below
  // (~1 µs a payment, more a journal entry); where something does (a string may hold `:1e`), the walk decides.
  if (!/(?:^|[:,[])\s*-?[0-9]+[.eE]/.test(text)) return undefined;
  const path: (string | number)[] = [];
  /** For each open container: true for an object (expecting a key next when its slot is a string). */
  const inObject: boolean[] = [];
  let expectKey = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (expectKey) {
        path[path.length - 1] = JSON.parse(text.slice(i, end + 1)) as string;
        expectKey = false;
      }
      i = end + 1;
    } else if (ch === "{" || ch === "[") {
      inObject.push(ch === "{");
      path.push(ch === "{" ? "" : 0);
      expectKey = ch === "{";
      i += 1;
    } else if (ch === "}" || ch === "]") {
      inObject.pop();
      path.pop();
      expectKey = false;
      i += 1;
    } else if (ch === ",") {
      if (inObject[inObject.length - 1]) expectKey = true;
      else path[path.length - 1] = (path[path.length - 1] as number) + 1;
      i += 1;
    } else if (ch === "-" || (ch >= "0" && ch <= "9")) {
      let end = i + 1;
      while (end < text.length && /[0-9.eE+-]/.test(text[end]!)) end += 1;
      if (/[.eE]/.test(text.slice(i, end))) return path.join(".") || "body";
      i = end;
    } else {
      i += 1;
    }
  }
  return undefined;
}
