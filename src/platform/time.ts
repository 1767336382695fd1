/** RFC 3339 timestamp in UTC with millisecond precision. */
export function isoNow(now = Date.now()): string {
  return new Date(now).toISOString();
}
