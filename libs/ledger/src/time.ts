import { TZDate, tzOffset } from '@date-fns/tz';
import { addMonths } from 'date-fns';
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
  return new Date(ms).toISOString();
}

export function instantFromMs(ms: number): Instant {
  return new Date(ms).toISOString();
}

export function addHours(instant: Instant, hours: number): Instant {
  return instantFromMs(toMs(instant) + hours * HOUR_MS);
}

export function addDays(instant: Instant, days: number): Instant {
  return instantFromMs(toMs(instant) + days * DAY_MS);
}

// The program's calendar. Asking Intl for a zone's offset costs microseconds, and the ledger
// asks for every earn (expiry), every purchase (the tier window) and every monthly cap, so
// offsets are remembered per quarter hour of UTC time. Every zone's offset changes at most
// once within a quarter hour; a quarter hour whose two ends differ (it holds a transition) is
// never remembered and asked exactly each time.
const QUARTER_HOUR_MS = 900_000;
const offsetCache = new Map<string, Map<number, number>>();

/** The zone's UTC offset at `ms`, in milliseconds (Asia/Shanghai: 28,800,000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  let zone = offsetCache.get(timeZone);
  if (!zone) offsetCache.set(timeZone, (zone = new Map()));
  const quarter = Math.floor(ms / QUARTER_HOUR_MS);
  let minutes = zone.get(quarter);
  if (minutes === undefined) {
    const start = tzOffset(timeZone, new Date(quarter * QUARTER_HOUR_MS));
    const end = tzOffset(timeZone, new Date(quarter * QUARTER_HOUR_MS + QUARTER_HOUR_MS - 1));
    if (start !== end) return tzOffset(timeZone, new Date(ms)) * 60_000;
    if (zone.size >= 200_000) zone.clear();
    zone.set(quarter, (minutes = start));
  }
  return minutes * 60_000;
}

/**
 * Calendar months in the program's time zone, same local time of day, clamped to the last
 * day of a shorter month (31 January + 1 month = 29 February), as PostgreSQL and date-fns do.
 * Near an offset change (a day either side of the result's local time, where a local time
 * can be missing or twice) it is left to date-fns with TZDate, which the fast path equals
 * everywhere else (libs/ledger/src/time.unit.spec.ts).
 */
export function addCalendarMonths(instant: Instant, months: number, timeZone: string): Instant {
  const ms = toMs(instant);
  const local = new Date(ms + zoneOffsetMs(ms, timeZone));
  const day = local.getUTCDate();
  const target = new Date(local.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(local.getUTCMonth() + months);
  const daysInMonth = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(day, daysInMonth));
  const wall = target.getTime();
  const offset = zoneOffsetMs(wall - DAY_MS, timeZone);
  if (offset !== zoneOffsetMs(wall + DAY_MS, timeZone) || Number.isNaN(wall)) {
    return isoOf(addMonths(new TZDate(ms, timeZone), months));
  }
  return instantFromMs(wall - offset);
}

export function subCalendarMonths(instant: Instant, months: number, timeZone: string): Instant {
  return addCalendarMonths(instant, -months, timeZone);
}

/** The calendar day ("2024-03-01") of an instant in the program's time zone. */
export function localDay(instant: Instant, timeZone: string): string {
  return localIso(instant, timeZone).slice(0, 10);
}

/** The calendar month ("2024-03") of an instant in the program's time zone. */
export function localMonth(instant: Instant, timeZone: string): string {
  return localIso(instant, timeZone).slice(0, 7);
}

function localIso(instant: Instant, timeZone: string): string {
  const ms = toMs(instant);
  return new Date(ms + zoneOffsetMs(ms, timeZone)).toISOString();
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
