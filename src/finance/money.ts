import { currencyExponent } from "../platform/currencies.js";
import { unprocessable } from "../platform/problem.js";

/**
 * Money arithmetic, pure and exact. Amounts are integer counts of a currency's minor unit; decimals
 * (quantities, tax rates, exchange rates) travel as strings and are parsed into a scaled integer, never
 * into a binary float. Products are computed with bigint, so nothing overflows on the way.
 *
 * The one rounding rule: half away from zero, applied once per invoice line (net, then tax on the
 * rounded net) and once per currency conversion. Remainders are never dropped: `allocate` spreads a
 * total over parts so that the parts always add up to the total exactly.
 */

/** The largest amount of one posting, line or payment, in minor units (10^13: sums of many stay exact in IEEE doubles). */
export const MAX_AMOUNT = 10_000_000_000_000;

/** value = units / 10^scale; units ≥ 0 unless parsed with allowNegative. */
export interface Decimal {
  units: bigint;
  scale: number;
}

export interface DecimalLimits {
  /** Most digits after the point. */
  maxScale: number;
  /** Most digits before the point. */
  maxIntegerDigits: number;
  allowNegative?: boolean;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses a plain decimal string ("12", "0.5", "8.875") exactly. No exponents, signs other than a
 * leading minus (when allowed), spaces, or separators. Trailing zeros after the point are accepted and
 * dropped ("1.50" = "1.5"), so they never count against maxScale.
 */
export function parseDecimal(text: string, limits: DecimalLimits): Decimal | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fractionRaw = ""] = match;
  if (sign && !limits.allowNegative) return undefined;
  const fraction = fractionRaw.replace(/0+$/, "");
  const integer = whole!.replace(/^0+(?=\d)/, "");
  if (integer.length > limits.maxIntegerDigits || fraction.length > limits.maxScale) return undefined;
  let units = BigInt(integer + fraction);
  if (sign && units !== 0n) units = -units;
  return { units, scale: fraction.length };
}

/** The shortest exact decimal string of a value ("1.5", "0", "-0.25"). */
export function formatDecimal(value: Decimal): string {
  const negative = value.units < 0n;
  let digits = (negative ? -value.units : value.units).toString();
  if (value.scale > 0) {
    digits = digits.padStart(value.scale + 1, "0");
    const point = digits.length - value.scale;
    const fraction = digits.slice(point).replace(/0+$/, "");
    digits = fraction ? `${digits.slice(0, point)}.${fraction}` : digits.slice(0, point);
  }
  return negative && digits !== "0" ? `-${digits}` : digits;
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** numerator / denominator rounded half away from zero; denominator > 0. */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError("denominator must be positive");
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let quotient = n / denominator;
  if ((n % denominator) * 2n >= denominator) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** amount × decimal, rounded half away from zero. */
export function multiplyRounded(amount: bigint, factor: Decimal): bigint {
  return divideRounded(amount * factor.units, pow10(factor.scale));
}

export interface LineAmounts {
  /** quantity × unit price, rounded once. */
  net: bigint;
  /** net × taxRate / 100, rounded once, on the already rounded net. */
  tax: bigint;
}

/** An invoice line: the rounding rule applied exactly twice (net, then tax). */
export function lineAmounts(quantity: Decimal, unitPrice: bigint, taxRatePercent: Decimal): LineAmounts {
  const net = multiplyRounded(unitPrice, quantity);
  const tax = divideRounded(net * taxRatePercent.units, pow10(taxRatePercent.scale) * 100n);
  return { net, tax };
}

/**
 * Splits total over parts in proportion to weights, exactly: each part gets its floor share and the
 * leftover minor units go, one each, to the largest remainders (earlier parts first on ties). The
 * parts always sum to total. Weights are ≥ 0 with a positive sum; total may be negative.
 */
export function allocate(total: bigint, weights: readonly bigint[]): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (weights.length === 0 || sum <= 0n || weights.some((w) => w < 0n)) throw new RangeError("weights must be ≥ 0 with a positive sum");
  const negative = total < 0n;
  const t = negative ? -total : total;
  const parts = weights.map((w) => (t * w) / sum);
  const remainders = weights.map((w, i) => ({ i, r: (t * w) % sum }));
  let left = t - parts.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; left > 0n; k++, left--) parts[remainders[k]!.i]! += 1n;
  return negative ? parts.map((p) => -p) : parts;
}

/**
 * Converts an amount of one currency's minor units into another's at `rate` (one major unit of
 * `from` = rate major units of `to`), rounded half away from zero.
 */
export function convert(amount: bigint, from: string, to: string, rate: Decimal): bigint {
  const shift = currencyExponent(to) - currencyExponent(from);
  const numerator = amount * rate.units * (shift > 0 ? pow10(shift) : 1n);
  const denominator = pow10(rate.scale) * (shift < 0 ? pow10(-shift) : 1n);
  return divideRounded(numerator, denominator);
}

/** A major-unit decimal string ("12.34") as minor units of the currency, exactly, or undefined. */
export function parseMoney(text: string, currency: string): bigint | undefined {
  const exponent = currencyExponent(currency);
  const value = parseDecimal(text, { maxScale: exponent, maxIntegerDigits: 15, allowNegative: true });
  if (!value) return undefined;
  return value.units * pow10(exponent - value.scale);
}

/** Minor units as a major-unit decimal string with the currency's full precision ("12.30", "-0.05", "1000"). */
export function formatMoney(amount: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(exponent + 1, "0");
  const point = digits.length - exponent;
  const text = exponent > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : digits;
  return negative ? `-${text}` : text;
}

/**
 * The 422 for a figure past 2^53 − 1 minor units, beyond which it is not exact as a JSON number (decision
 * 0020). The ledger refuses postings that would take its totals there, but a figure computed across
 * businesses, or translated into a currency worth less per minor unit, can still pass it.
 */
const beyondExact = () =>
  unprocessable(
    "A figure would pass 9,007,199,254,740,991 minor units, beyond which it is not exact as a JSON number. A portfolio can be viewed in another currency or over fewer businesses.",
    [{ path: "amount", message: "beyond 2^53 − 1 minor units" }],
  );

/** A bigint that must fit in a safe JavaScript integer (stored and sent as a number), or the 422. */
export function toSafeNumber(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw beyondExact();
  return n;
}

/**
 * The exact sum of safe integers, or the 422: each partial sum is checked, so none is ever rounded (a sum
 * of safe integers is exact exactly when it is itself a safe integer).
 */
export function addExact(...terms: number[]): number {
  let total = 0;
  for (const term of terms) {
    total += term;
    if (!Number.isSafeInteger(total)) throw beyondExact();
  }
  return total;
}

/** The exact sum of the lines' amounts, or the 422. */
export const sumExact = (lines: readonly { amount: number }[]): number => lines.reduce((total, l) => addExact(total, l.amount), 0);

/** True when an amount fits the ledger's bound. */
export const withinLimit = (value: bigint): boolean => value >= -BigInt(MAX_AMOUNT) && value <= BigInt(MAX_AMOUNT);
