import { ApiError } from '@jifen/platform';

export interface Period {
  from: string | null;
  to: string | null;
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar day "YYYY-MM-DD" that exists (no 2025-02-30), or a 400 naming the parameter. */
export function parseDay(name: string, value: unknown): string | null {
  if (value === undefined || value === '') return null;
  const ok =
    typeof value === 'string' &&
    dayPattern.test(value) &&
    // Not toISOString() alone: month 13 is an Invalid Date, on which it throws (a 500).
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
  if (!ok) {
    throw new ApiError(
      400,
      'invalid',
      `${name} must be a date as YYYY-MM-DD, not "${String(value)}"`,
    );
  }
  return value;
}

/** `from`/`to`, inclusive program-time-zone days; either may be left out (open end). */
export function parsePeriod(query: { from?: unknown; to?: unknown }): Period {
  const from = parseDay('from', query.from);
  const to = parseDay('to', query.to);
  if (from && to && from > to) {
    throw new ApiError(400, 'invalid_period', `from (${from}) is after to (${to})`);
  }
  return { from, to };
}

/** An integer query parameter within bounds, or its default; a 400 otherwise. */
export function parseInteger(
  name: string,
  value: unknown,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ApiError(400, 'invalid', `${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** An RFC 3339 instant, or the fallback; a 400 otherwise. */
export function parseInstant(name: string, value: unknown, fallback: Date): Date {
  if (value === undefined || value === '') return fallback;
  const ms =
    typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new ApiError(400, 'invalid', `${name} must be an RFC 3339 instant`);
  return new Date(ms);
}
