import { addMonths } from 'date-fns';
import { TZDate } from '@date-fns/tz';

describe('toolchain', () => {
  it('adds calendar months in the program time zone, clamping to the month end', () => {
    const earned = new TZDate(2024, 0, 31, 10, 0, 0, 'Asia/Shanghai');
    expect(addMonths(earned, 1).toISOString()).toBe('2024-02-29T10:00:00.000+08:00');
  });
});
