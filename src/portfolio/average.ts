import { daysBetween } from "../finance/ledger.js";
import { divideRounded, formatDecimal, toSafeNumber } from "../finance/money.js";
import { currencyExponent } from "../platform/currencies.js";
import { chooseRate, parseRate, type RateUsed, type StoredRate } from "./conversion.js";

/**
 * Exact translation rates for the consolidated statements, pure. A rate is a fraction num/den (bigint,
 * den > 0, reduced): how many major units of `to` one major unit of `from` is worth. A stored direct rate
 * u/10^s is that fraction; a stored inverse one is 10^s/u; the same currency is 1/1. The average rate of
 * a period is the arithmetic mean of the rate in force on each calendar day of the period, kept as an
 * exact fraction; every amount is translated with one rounding, half away from zero.
 */

export interface Ratio {
  num: bigint;
  den: bigint;
}

const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

export function ratio(num: bigint, den: bigint): Ratio {
  if (den <= 0n) throw new RangeError("denominator must be positive");
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/** The fraction a chosen rate stands for. */
export function ratioOf(used: RateUsed): Ratio {
  if (used.from === used.to) return { num: 1n, den: 1n };
  const rate = parseRate(used.rate);
  if (rate === undefined) throw new RangeError(`not a rate: ${used.rate}`);
  const pow = 10n ** BigInt(rate.scale);
  return used.inverse ? ratio(pow, rate.units) : ratio(rate.units, pow);
}

/** amount (minor units of `from`) × rate, in minor units of `to`, rounded once, half away from zero. */
export function translateAt(amount: number, from: string, to: string, rate: Ratio): number {
  if (from === to && rate.num === rate.den) return amount;
  const shift = currencyExponent(to) - currencyExponent(from);
  const numerator = BigInt(amount) * rate.num * (shift > 0 ? 10n ** BigInt(shift) : 1n);
  const denominator = rate.den * (shift < 0 ? 10n ** BigInt(-shift) : 1n);
  return toSafeNumber(divideRounded(numerator, denominator));
}

/** A rate as a decimal string for people, rounded half away from zero to `digits` decimals (amounts use the exact fraction). */
export function formatRatio(rate: Ratio, digits = 10): string {
  return formatDecimal({ units: divideRounded(rate.num * 10n ** BigInt(digits), rate.den), scale: digits });
}

/** One stretch of a period during which the same rate was in force. */
export interface RateSegment {
  from: string;
  to: string;
  days: number;
  rate: RateUsed;
}

const previousDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/**
 * The rate in force on each day of [from, to] as stretches, or undefined when some day of the period has
 * none (a business is then flagged, never translated at 1:1). The rate in force on a day is the one
 * `chooseRate` picks from the newest direct and the newest inverse rate dated on or before that day.
 * `direct` and `inverse` hold the pair's rates in either order: every one dated in (from, to] and at least
 * the newest one dated on or before `from`.
 */
export function rateSchedule(
  currencyFrom: string,
  currencyTo: string,
  from: string,
  to: string,
  direct: readonly StoredRate[],
  inverse: readonly StoredRate[],
): RateSegment[] | undefined {
  if (from > to) throw new RangeError("from is after to");
  if (currencyFrom === currencyTo) {
    return [{ from, to, days: daysBetween(from, to) + 1, rate: chooseRate(currencyFrom, currencyTo, undefined, undefined)! }];
  }
  const byDate = (a: StoredRate, b: StoredRate) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0);
  const d = [...direct].filter((r) => r.date <= to).sort(byDate);
  const v = [...inverse].filter((r) => r.date <= to).sort(byDate);
  const starts = [...new Set([from, ...d.map((r) => r.date), ...v.map((r) => r.date)].filter((x) => x >= from))].sort();
  const segments: RateSegment[] = [];
  let i = -1;
  let j = -1;
  for (let k = 0; k < starts.length; k++) {
    const day = starts[k]!;
    while (i + 1 < d.length && d[i + 1]!.date <= day) i++;
    while (j + 1 < v.length && v[j + 1]!.date <= day) j++;
    const used = chooseRate(currencyFrom, currencyTo, d[i], v[j]);
    if (used === undefined) return undefined;
    const end = k + 1 < starts.length ? previousDay(starts[k + 1]!) : to;
    const last = segments[segments.length - 1];
    if (last && last.rate.base === used.base && last.rate.quote === used.quote && last.rate.date === used.date && last.rate.rate === used.rate) {
      last.to = end;
      last.days = daysBetween(last.from, end) + 1;
    } else {
      segments.push({ from: day, to: end, days: daysBetween(day, end) + 1, rate: used });
    }
  }
  return segments;
}

/** Σ days × rate ÷ Σ days over the stretches: the mean of the daily rates, exactly. */
export function averageRate(segments: readonly RateSegment[]): Ratio {
  if (segments.length === 0) throw new RangeError("no days");
  let num = 0n;
  let den = 1n;
  let days = 0n;
  for (const s of segments) {
    const r = ratioOf(s.rate);
    // num/den + days·r.num/r.den
    num = num * r.den + BigInt(s.days) * r.num * den;
    den = den * r.den;
    const g = gcd(num, den);
    if (g > 1n) {
      num /= g;
      den /= g;
    }
    days += BigInt(s.days);
  }
  return ratio(num, den * days);
}
