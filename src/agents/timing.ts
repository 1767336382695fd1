/** Pure timing rules of the orchestrator: retry delays and schedules. */

/**
 * Exponential backoff with "equal jitter": half the exponential delay is fixed, the other half random,
 * so retries spread out but never come sooner than half the nominal delay. A provider's Retry-After
 * is a floor.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: number, retryAfterMs = 0): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + (exponential / 2) * Math.min(Math.max(random, 0), 1);
  return Math.ceil(Math.max(jittered, Math.min(retryAfterMs, Math.max(maxMs, retryAfterMs))));
}

/** `hourly`, `daily` (00:00 UTC), `weekly` (Monday 00:00 UTC) or `every <n> seconds|minutes|hours|days` (≥ 10 s, ≤ 366 days). */
export const SCHEDULE_PATTERN = /^(hourly|daily|weekly|every ([1-9]\d{0,7}) (seconds|minutes|hours|days))$/;

const UNIT_MS: Record<string, number> = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

export function isSchedule(value: string): boolean {
  const m = SCHEDULE_PATTERN.exec(value);
  if (!m) return false;
  if (m[2] === undefined) return true;
  const ms = Number(m[2]) * UNIT_MS[m[3]!]!;
  return ms >= 10_000 && ms <= 366 * 86_400_000;
}

/** The first run strictly after `afterMs`. */
export function nextRunMs(schedule: string, afterMs: number): number {
  const m = SCHEDULE_PATTERN.exec(schedule);
  if (!m) throw new Error(`not a schedule: ${schedule}`);
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  switch (m[1]) {
    case "hourly":
      return Math.floor(afterMs / HOUR) * HOUR + HOUR;
    case "daily":
      return Math.floor(afterMs / DAY) * DAY + DAY;
    case "weekly": {
      // 1970-01-01 was a Thursday; Mondays are 4 days later modulo 7
      const day = Math.floor(afterMs / DAY);
      const daysToMonday = (((4 - day) % 7) + 7) % 7 || 7;
      return (day + daysToMonday) * DAY;
    }
    default: {
      const every = Number(m[2]) * UNIT_MS[m[3]!]!;
      return Math.floor(afterMs / every) * every + every;
    }
  }
}

/** The budget period of a moment: its UTC calendar month. */
export function budgetPeriod(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}
