/**
 * Turns what a person typed into a safe FTS5 MATCH expression: every word (letters and digits, as the
 * unicode61 tokenizer splits them) becomes a quoted prefix query, all of them required. Operators,
 * quotes and column filters in the input are plain text, never FTS syntax. undefined: nothing searchable.
 */
export const MAX_SEARCH_WORDS = 8;

export function ftsQuery(input: string): string | undefined {
  const words = input.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!words || words.length === 0) return undefined;
  return [...new Set(words)]
    .slice(0, MAX_SEARCH_WORDS)
    .map((w) => `"${w.slice(0, 64)}"*`)
    .join(" ");
}
