import type { ScenarioResult } from "./types.js";

/** Small, dependency-free SVG charts of what this run measured (nothing else is drawn). */

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const FONT = `font-family="system-ui, -apple-system, Segoe UI, sans-serif"`;
const COLORS = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#b279a2"];

function svg(width: number, height: number, body: string, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">
<title>${esc(title)}</title>
<rect width="${width}" height="${height}" fill="#fff"/>
<text x="12" y="20" font-size="15" font-weight="600">${esc(title)}</text>
${body}
</svg>
`;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const label = (n: number) => (n === 0 ? "0" : n >= 1000 ? `${Math.round(n).toLocaleString("en-US")}` : n >= 10 ? n.toFixed(0) : n >= 1 ? n.toFixed(1) : n.toFixed(2));

/** Horizontal grouped bars of p50 / p95 / p99 per scenario, on a log scale (ms). */
export function latencyChart(results: ScenarioResult[]): string | null {
  const rows = results.filter((r) => r.latency);
  if (rows.length === 0) return null;
  const series = [
    { key: "p50", color: COLORS[0]! },
    { key: "p95", color: COLORS[1]! },
    { key: "p99", color: COLORS[2]! },
  ] as const;
  const left = 150;
  const width = 760;
  const plot = width - left - 70;
  const rowH = 46;
  const top = 48;
  const height = top + rows.length * rowH + 40;
  const values = rows.flatMap((r) => series.map((s) => r.latency![s.key]));
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...values))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, lo * 10)));
  const x = (v: number) => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plot;
  let body = "";
  for (let t = lo; t <= hi * 1.0001; t *= 10) {
    body += `<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${height - 34}" stroke="#ddd"/><text x="${x(t)}" y="${height - 20}" text-anchor="middle" fill="#555">${label(t)} ms</text>`;
  }
  rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    body += `<text x="${left - 8}" y="${y0 + 22}" text-anchor="end">${esc(r.name)}</text>`;
    series.forEach((s, j) => {
      const v = r.latency![s.key];
      const y = y0 + 4 + j * 13;
      body += `<rect x="${left}" y="${y}" width="${Math.max(1, x(v) - left)}" height="11" fill="${s.color}"/><text x="${x(v) + 4}" y="${y + 10}" font-size="10" fill="#333">${label(v)}</text>`;
    });
  });
  series.forEach((s, j) => {
    body += `<rect x="${left + j * 70}" y="30" width="10" height="10" fill="${s.color}"/><text x="${left + j * 70 + 14}" y="39">${s.key}</text>`;
  });
  return svg(width, height, body, "Latency percentiles per scenario (log scale)");
}

/** Horizontal bars of throughput per scenario (what each scenario counts is in report.md). */
export function throughputChart(results: ScenarioResult[]): string | null {
  if (results.length === 0) return null;
  const left = 150;
  const width = 760;
  const plot = width - left - 90;
  const rowH = 28;
  const top = 40;
  const height = top + results.length * rowH + 36;
  const max = niceMax(Math.max(...results.map((r) => r.throughput)));
  const x = (v: number) => left + (v / max) * plot;
  let body = "";
  for (let i = 0; i <= 4; i++) {
    const t = (max / 4) * i;
    body += `<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${height - 30}" stroke="#ddd"/><text x="${x(t)}" y="${height - 16}" text-anchor="middle" fill="#555">${label(t)}</text>`;
  }
  results.forEach((r, i) => {
    const y = top + i * rowH;
    body += `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(r.name)}</text><rect x="${left}" y="${y + 3}" width="${Math.max(1, x(r.throughput) - left)}" height="18" fill="${COLORS[0]}"/><text x="${x(r.throughput) + 4}" y="${y + 16}" fill="#333">${label(r.throughput)}/s</text>`;
  });
  return svg(width, height, body, "Throughput per scenario (successful requests/s; realtime-events: writes/s)");
}

/** One small line chart per scenario: successful responses per second over the measured run. */
export function timelineChart(results: ScenarioResult[]): string | null {
  const rows = results.filter((r) => r.perSecond.length > 1);
  if (rows.length === 0) return null;
  const width = 760;
  const rowH = 90;
  const top = 36;
  const left = 150;
  const plot = width - left - 20;
  const height = top + rows.length * rowH + 10;
  let body = "";
  rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    const h = rowH - 26;
    const max = niceMax(Math.max(...r.perSecond.map((w) => w.throughput), 1));
    const tMax = Math.max(...r.perSecond.map((w) => w.t));
    const px = (t: number) => left + (t / tMax) * plot;
    const py = (v: number) => y0 + h - (v / max) * h;
    const points = r.perSecond.map((w) => `${px(w.t).toFixed(1)},${py(w.throughput).toFixed(1)}`).join(" ");
    body += `<text x="${left - 8}" y="${y0 + h / 2}" text-anchor="end">${esc(r.name)}</text>`;
    body += `<line x1="${left}" y1="${y0 + h}" x2="${left + plot}" y2="${y0 + h}" stroke="#999"/><line x1="${left}" y1="${y0}" x2="${left}" y2="${y0 + h}" stroke="#999"/>`;
    body += `<text x="${left + 4}" y="${y0 + 10}" font-size="10" fill="#555">${label(max)}/s</text><text x="${left + plot}" y="${y0 + h + 14}" font-size="10" text-anchor="end" fill="#555">${label(tMax)} s</text>`;
    body += `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${points}"/>`;
  });
  return svg(width, height, body, "Successful responses per second during each scenario");
}
