import { TZDate } from '@date-fns/tz';
import { addMonths, format, subMonths } from 'date-fns';
import { InvalidCommand } from './errors';

/**
 * An instant as an ISO 8601 string in UTC with milliseconds ("2024-03-01T02:00:00.000Z").
 * Every instant the ledger stores is normalised to this form, so instants compare as strings.
 * Time always comes from the command (event `time` or job `asOf`), never from the wall clock.
 */
export type Instant = string;

const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export function toMs(instant: Instant): number {
  return Date.parse(instant);
}

function isoOf(date: Date): Instant {
  // TZDate prints its own offset; the ledger keeps every instant in UTC.
  return Date.prototype.toISOString.call(date);
}

/** Normalises an RFC 3339 timestamp (any offset) to an Instant, refusing what is not one. */
export function toInstant(input: string, field = 'time'): Instant {
  const ms = Date.parse(input);
  if (typeof input !== 'string' || Number.isNaN(ms)) {
    throw new InvalidCommand(`${field} is not an RFC 3339 instant: ${String(input)}`);
  }
  return isoOf(new TZDate(ms, 'UTC'));
}

export function instantFromMs(ms: number): Instant {
  return isoOf(new TZDate(ms, 'UTC'));
}

export function addHours(instant: Instant, hours: number): Instant {
  return instantFromMs(toMs(instant) + hours * HOUR_MS);
}

export function addDays(instant: Instant, days: number): Instant {
  return instantFromMs(toMs(instant) + days * DAY_MS);
}

/**
 * Calendar months in the program's time zone, same local time of day, clamped to the last
 * day of a shorter month (31 January + 1 month = 29 February), as PostgreSQL and date-fns do.
 */
export function addCalendarMonths(instant: Instant, months: number, timeZone: string): Instant {
  return isoOf(addMonths(new TZDate(toMs(instant), timeZone), months));
}

export function subCalendarMonths(instant: Instant, months: number, timeZone: string): Instant {
  return isoOf(subMonths(new TZDate(toMs(instant), timeZone), months));
}

/** The calendar day ("2024-03-01") of an instant in the program's time zone. */
export function localDay(instant: Instant, timeZone: string): string {
  return format(new TZDate(toMs(instant), timeZone), 'yyyy-MM-dd');
}

/** The calendar month ("2024-03") of an instant in the program's time zone. */
export function localMonth(instant: Instant, timeZone: string): string {
  return format(new TZDate(toMs(instant), timeZone), 'yyyy-MM');
}

/**
 * A test for the window (t − months, t], calendar months in the time zone: the window start
 * is computed once, so it can filter a long history cheaply.
 */
export function windowBefore(
  t: Instant,
  months: number,
  timeZone: string,
): (at: Instant) => boolean {
  const start = subCalendarMonths(t, months, timeZone);
  return (at) => at <= t && at > start;
}
