import type { RateUsed } from "./conversion.js";

/** A rate used from → to, as the stored pair (to → from when `inverse`), dated 2026-01-01; for the unit tests. */
export const used = (from: string, to: string, rate: string, inverse = false): RateUsed => ({
  from,
  to,
  base: inverse ? to : from,
  quote: inverse ? from : to,
  rate,
  date: "2026-01-01",
  inverse,
});
