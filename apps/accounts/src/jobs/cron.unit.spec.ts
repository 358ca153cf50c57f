import { localMinute, parseCron } from './cron';

const at = (iso: string, zone = 'Asia/Shanghai') => localMinute(new Date(iso), zone);

describe('the jobs schedule (cron in program time)', () => {
  it('runs the default daily at 00:30 in the program time zone', () => {
    const daily = parseCron('30 0 * * *');
    expect(daily.matches(at('2026-03-01T16:30:00Z'))).toBe(true); // 00:30 in Shanghai
    expect(daily.matches(at('2026-03-01T00:30:00Z'))).toBe(false); // 08:30 in Shanghai
    expect(daily.matches(at('2026-03-01T00:30:00Z', 'UTC'))).toBe(true);
  });

  it('reads ranges, steps, lists and Sunday as 0 or 7', () => {
    const s = parseCron('*/15 8-10,22 * * 7');
    expect(s.matches({ minute: 45, hour: 9, day: 3, month: 5, weekday: 0 })).toBe(true);
    expect(s.matches({ minute: 50, hour: 9, day: 3, month: 5, weekday: 0 })).toBe(false);
    expect(s.matches({ minute: 0, hour: 22, day: 3, month: 5, weekday: 1 })).toBe(false);
    expect(
      parseCron('0 0 * * 1-5').matches({ minute: 0, hour: 0, day: 1, month: 1, weekday: 6 }),
    ).toBe(false);
  });

  it('matches either day field when both are restricted, as cron does', () => {
    const s = parseCron('0 0 1 * 1');
    expect(s.matches({ minute: 0, hour: 0, day: 1, month: 2, weekday: 3 })).toBe(true);
    expect(s.matches({ minute: 0, hour: 0, day: 9, month: 2, weekday: 1 })).toBe(true);
    expect(s.matches({ minute: 0, hour: 0, day: 9, month: 2, weekday: 2 })).toBe(false);
  });

  it('refuses what is not a schedule, naming the field', () => {
    expect(() => parseCron('61 0 * * *')).toThrow(/minute "61"/);
    expect(() => parseCron('0 0 * *')).toThrow(/five fields/);
    expect(() => parseCron('0 x * * *')).toThrow(/hour "x"/);
  });
});
