import { RATE_LIMITS } from "../finance/ledger.js";
import { convert, type Decimal, divideRounded, parseDecimal, toSafeNumber } from "../finance/money.js";
import { currencyExponent } from "../platform/currencies.js";

/**
 * Currency translation for the portfolio, pure. A stored rate says 1 `base` = `rate` `quote`; a
 * business in `from` is translated into `to` with the pair (from, to) as stored, or with the pair
 * (to, from) divided through. Each amount is rounded once, half away from zero.
 */

export interface StoredRate {
  base: string;
  quote: string;
  date: string;
  rate: string;
}

/** The rate a figure was translated with, as the response states it. */
export interface RateUsed {
  from: string;
  to: string;
  /** The stored rate: 1 `base` = `rate` `quote`. */
  base: string;
  quote: string;
  rate: string;
  date: string | null;
  /** True when the stored pair was (to, from) and amounts were divided by the rate. */
  inverse: boolean;
}

export const parseRate = (text: string): Decimal | undefined => {
  const value = parseDecimal(text, RATE_LIMITS);
  return value !== undefined && value.units > 0n ? value : undefined;
};

/**
 * The rate to translate `from` into `to`: identity for the same currency; else the newest of the direct
 * and the inverse pair (the direct one on equal dates); undefined when neither exists.
 */
export function chooseRate(from: string, to: string, direct: StoredRate | undefined, inverse: StoredRate | undefined): RateUsed | undefined {
  if (from === to) return { from, to, base: from, quote: to, rate: "1", date: null, inverse: false };
  const useInverse = inverse !== undefined && (direct === undefined || inverse.date > direct.date);
  const chosen = useInverse ? inverse : direct;
  if (chosen === undefined) return undefined;
  return { from, to, base: chosen.base, quote: chosen.quote, rate: chosen.rate, date: chosen.date, inverse: useInverse };
}

/** amount (minor units of `from`) ÷ rate, in minor units of `to`: the inverse of `convert`. */
export function convertInverse(amount: bigint, from: string, to: string, rate: Decimal): bigint {
  if (rate.units <= 0n) throw new RangeError("rate must be positive");
  const shift = currencyExponent(to) - currencyExponent(from);
  const numerator = amount * 10n ** BigInt(rate.scale) * (shift > 0 ? 10n ** BigInt(shift) : 1n);
  const denominator = rate.units * (shift < 0 ? 10n ** BigInt(-shift) : 1n);
  return divideRounded(numerator, denominator);
}

/** One amount translated with a chosen rate. */
export function translate(amount: number, used: RateUsed): number {
  if (used.from === used.to) return amount;
  const rate = parseRate(used.rate);
  if (rate === undefined) throw new RangeError(`not a rate: ${used.rate}`);
  const value = BigInt(amount);
  return toSafeNumber(used.inverse ? convertInverse(value, used.from, used.to, rate) : convert(value, used.from, used.to, rate));
}
