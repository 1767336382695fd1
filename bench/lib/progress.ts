/**
 * The progress display, on stderr. On a terminal one line is redrawn in place; elsewhere (CI logs) a
 * line is printed at most every few seconds, so logs stay readable.
 */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastPrinted = 0;
  private drawn = false;

  constructor(private readonly quietIntervalMs = 5_000) {}

  /** Replaces the live status line. */
  status(text: string): void {
    if (this.tty) {
      const width = process.stderr.columns || 120;
      process.stderr.write(`\r\x1b[K${text.slice(0, width - 1)}`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPrinted >= this.quietIntervalMs) {
      this.lastPrinted = now;
      process.stderr.write(`  … ${text}\n`);
    }
  }

  /** A permanent line (clears the live one first). */
  log(text: string): void {
    if (this.drawn) {
      process.stderr.write("\r\x1b[K");
      this.drawn = false;
    }
    process.stderr.write(`${text}\n`);
    this.lastPrinted = Date.now();
  }
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString("en-US"),
  num: (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }),
  ms: (n: number | null | undefined) => (n === null || n === undefined ? "—" : n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(n >= 10 ? 1 : 2)} ms`),
  pct: (n: number | null | undefined, digits = 2) => (n === null || n === undefined ? "—" : `${(n * 100).toFixed(digits)} %`),
};
