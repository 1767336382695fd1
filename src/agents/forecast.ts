/**
 * Cash forecast, pure: opening cash, plus open receivables expected on their due date shifted by the
 * customer's own lateness, minus the recent daily outflow — a daily series with a 90 % band.
 * Amounts are base-currency minor units; dates are YYYY-MM-DD (UTC).
 */

export interface Receivable {
  invoiceId: string;
  customerId: string;
  dueDate: string;
  amountDue: number;
}

export interface PaidInvoice {
  customerId: string;
  dueDate: string;
  paidDate: string;
}

export interface ForecastPoint {
  date: string;
  expected: number;
  low: number;
  high: number;
}

export interface Forecast {
  openingCash: number;
  dailyOutflow: number;
  receivables: { invoiceId: string; amountDue: number; expectedDate: string; daysLate: number; basis: "customer" | "business" | "none" }[];
  series: ForecastPoint[];
  lowestExpected: ForecastPoint;
  firstBelowZero: string | null;
}

const DAY = 86_400_000;
const Z90 = 1.645;
const dayNumber = (date: string) => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY);
const dateOf = (n: number) => new Date(n * DAY).toISOString().slice(0, 10);

function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.length > 1 ? xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, sd: Math.sqrt(variance) };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export function forecastCash(input: {
  today: string;
  openingCash: number;
  receivables: Receivable[];
  paid: PaidInvoice[];
  /** Cash paid out per day over the recent past, one number per day (zeros included). */
  dailyOutflows: number[];
  horizonDays: number;
}): Forecast {
  const today = dayNumber(input.today);
  const lateness = (p: PaidInvoice) => dayNumber(p.paidDate) - dayNumber(p.dueDate);
  const all = input.paid.map(lateness);
  const business = all.length >= 2 ? meanSd(all) : undefined;
  const perCustomer = new Map<string, number[]>();
  for (const p of input.paid) {
    const list = perCustomer.get(p.customerId);
    if (list) list.push(lateness(p));
    else perCustomer.set(p.customerId, [lateness(p)]);
  }

  const receivables = input.receivables.map((r) => {
    const own = perCustomer.get(r.customerId);
    const stats = own && own.length >= 2 ? meanSd(own) : business;
    const basis: "customer" | "business" | "none" = own && own.length >= 2 ? "customer" : business ? "business" : "none";
    const mean = stats?.mean ?? 0;
    // at least a few days of uncertainty, more without history
    const sd = Math.max(stats?.sd ?? 0, basis === "none" ? 14 : 3);
    const expected = Math.max(today + 1, dayNumber(r.dueDate) + Math.round(mean));
    return { ...r, expectedDay: expected, sd, basis, daysLate: Math.round(mean) };
  });

  const outflow = input.dailyOutflows.length > 0 ? meanSd(input.dailyOutflows) : { mean: 0, sd: 0 };
  const series: ForecastPoint[] = [];
  for (let d = 1; d <= input.horizonDays; d++) {
    const day = today + d;
    let expected = input.openingCash - outflow.mean * d;
    let variance = outflow.sd ** 2 * d;
    for (const r of receivables) {
      // overdue receivables are spread from tomorrow on; the rest around their expected day
      const p = normalCdf((day - r.expectedDay + 0.5) / r.sd);
      expected += r.amountDue * p;
      variance += r.amountDue ** 2 * p * (1 - p);
    }
    const spread = Z90 * Math.sqrt(variance);
    series.push({ date: dateOf(day), expected: Math.round(expected), low: Math.round(expected - spread), high: Math.round(expected + spread) });
  }
  const lowestExpected = series.reduce((lo, p) => (p.expected < lo.expected ? p : lo), series[0]!);
  return {
    openingCash: input.openingCash,
    dailyOutflow: Math.round(outflow.mean),
    receivables: receivables.map((r) => ({ invoiceId: r.invoiceId, amountDue: r.amountDue, expectedDate: dateOf(r.expectedDay), daysLate: r.daysLate, basis: r.basis })),
    series,
    lowestExpected,
    firstBelowZero: series.find((p) => p.expected < 0)?.date ?? null,
  };
}
