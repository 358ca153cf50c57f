import { TZDate, tzOffset } from '@date-fns/tz';
import { addMonths, format } from 'date-fns';
import { seededRandom as random } from './testing/random';
import { addCalendarMonths, localDay, localMonth, subCalendarMonths } from './time';

// The program calendar's fast path (offsets remembered per quarter hour, month arithmetic on
// the local wall time) against date-fns with TZDate, the reference it replaced: the same
// answer for every instant, in zones with and without daylight saving, with half- and
// quarter-hour offsets, and right at offset changes.
const zones = [
  'Asia/Shanghai',
  'UTC',
  'America/New_York',
  'Europe/London',
  'Australia/Lord_Howe', // a 30-minute daylight-saving shift
  'Asia/Kathmandu', // +05:45
  'America/St_Johns', // −03:30, with daylight saving
  'Pacific/Chatham', // +12:45 / +13:45
];

const reference = {
  addMonths: (ms: number, months: number, zone: string) =>
    Date.prototype.toISOString.call(addMonths(new TZDate(ms, zone), months)),
  day: (ms: number, zone: string) => format(new TZDate(ms, zone), 'yyyy-MM-dd'),
  month: (ms: number, zone: string) => format(new TZDate(ms, zone), 'yyyy-MM'),
};

/** Instants spread over 2000–2040, and instants within two days of offset changes. */
function instants(zone: string, next: () => number): number[] {
  const from = Date.UTC(2000, 0, 1);
  const span = Date.UTC(2040, 0, 1) - from;
  const spread = Array.from({ length: 400 }, () => from + Math.floor(next() * span));
  const changes: number[] = [];
  for (let ms = from; ms < from + span && changes.length < 30; ms += 6 * 3_600_000) {
    if (tzOffset(zone, new Date(ms)) !== tzOffset(zone, new Date(ms + 6 * 3_600_000))) {
      changes.push(ms);
    }
  }
  const near = changes.flatMap((ms) =>
    Array.from({ length: 8 }, () => ms + Math.floor((next() - 0.5) * 4 * 86_400_000)),
  );
  return [...spread, ...near];
}

describe('the program calendar', () => {
  it.each(zones)('%s: local day and month as date-fns with TZDate', (zone) => {
    const next = random(7);
    for (const ms of instants(zone, next)) {
      const instant = new Date(ms).toISOString();
      expect([instant, localDay(instant, zone)]).toEqual([instant, reference.day(ms, zone)]);
      expect([instant, localMonth(instant, zone)]).toEqual([instant, reference.month(ms, zone)]);
    }
  });

  it.each(zones)('%s: calendar months added and subtracted as date-fns with TZDate', (zone) => {
    const next = random(11);
    for (const ms of instants(zone, next)) {
      const instant = new Date(ms).toISOString();
      const months = Math.floor(next() * 49) - 24;
      expect([instant, months, addCalendarMonths(instant, months, zone)]).toEqual([
        instant,
        months,
        reference.addMonths(ms, months, zone),
      ]);
      expect([instant, months, subCalendarMonths(instant, months, zone)]).toEqual([
        instant,
        months,
        reference.addMonths(ms, -months, zone),
      ]);
    }
  });

  it.each(zones)('%s: months that land at an offset change, as date-fns with TZDate', (zone) => {
    // Start k months before an instant near a change, so the answer falls at the change,
    // where a local time can be missing (spring) or happen twice (autumn).
    const next = random(13);
    for (const near of instants(zone, next).slice(400)) {
      const months = 1 + Math.floor(next() * 12);
      const start = reference.addMonths(near, -months, zone);
      expect([start, months, addCalendarMonths(start, months, zone)]).toEqual([
        start,
        months,
        reference.addMonths(Date.parse(start), months, zone),
      ]);
    }
  });

  it('clamps to the last day of a shorter month, keeping the local time of day', () => {
    // 31 January 10:00 in Shanghai, plus one month: 29 February 10:00 (2024 is a leap year).
    expect(addCalendarMonths('2024-01-31T02:00:00.000Z', 1, 'Asia/Shanghai')).toBe(
      '2024-02-29T02:00:00.000Z',
    );
    // The last moment of a Shanghai day is already the next day in UTC terms.
    expect(localDay('2024-03-01T15:59:59.999Z', 'Asia/Shanghai')).toBe('2024-03-01');
    expect(localDay('2024-03-01T16:00:00.000Z', 'Asia/Shanghai')).toBe('2024-03-02');
  });
});
