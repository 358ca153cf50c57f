/**
 * A five-field cron expression (minute hour day-of-month month day-of-week) with `*`, numbers,
 * ranges `a-b`, steps `/n` and lists `a,b`; day of week 0–7 with 0 and 7 Sunday. As in cron,
 * when both day fields are restricted a day matching either one matches.
 */
export interface CronSchedule {
  matches(time: LocalMinute): boolean;
}

export interface LocalMinute {
  minute: number;
  hour: number;
  day: number;
  month: number;
  /** 0 = Sunday. */
  weekday: number;
}

const fields = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`"${expression}" does not have five fields`);
  const [minute, hour, day, month, weekday] = parts.map((part, i) => parseField(part, fields[i]));
  if ((weekday.values as Set<number>).has(7)) weekday.values.add(0);
  return {
    matches: (t) => {
      if (!minute.values.has(t.minute) || !hour.values.has(t.hour) || !month.values.has(t.month)) {
        return false;
      }
      const dayOk = day.values.has(t.day);
      const weekdayOk = weekday.values.has(t.weekday);
      if (day.star || weekday.star) return dayOk && weekdayOk;
      return dayOk || weekdayOk;
    },
  };
}

function parseField(
  text: string,
  field: (typeof fields)[number],
): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw new Error(`${field.name} "${item}" is not a cron field`);
    const from = match[1] === '*' ? field.min : Number(match[2]);
    const to = match[1] === '*' ? field.max : match[3] !== undefined ? Number(match[3]) : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    const end =
      match[4] !== undefined && match[3] === undefined && match[1] !== '*' ? field.max : to;
    if (from < field.min || end > field.max || from > end || step < 1) {
      throw new Error(`${field.name} "${item}" is outside ${field.min}-${field.max}`);
    }
    for (let v = from; v <= end; v += step) values.add(v);
  }
  return { values, star: text === '*' };
}

/** The wall-clock minute of `instant` in `timeZone`. */
export function localMinute(instant: Date, timeZone: string): LocalMinute {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      minute: 'numeric',
      hour: 'numeric',
      day: 'numeric',
      month: 'numeric',
      weekday: 'short',
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return {
    minute: Number(parts.minute),
    hour: Number(parts.hour),
    day: Number(parts.day),
    month: Number(parts.month),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday),
  };
}
