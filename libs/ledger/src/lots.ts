import type { LotLine } from './events';
import type { LotKind, ProgramVersion } from './program';
import type { Lot } from './state';
import { addCalendarMonths, addHours, type Instant } from './time';

/**
 * When a lot earned at `earnedAt` reaches its expiry instant: standard lots after 24 calendar
 * months (same local time, clamped to the month's end), promotional lots after 30 × 24 hours.
 */
export function lotExpiresAt(
  kind: LotKind,
  earnedAt: Instant,
  program: ProgramVersion,
  timeZone: string,
): Instant {
  return kind === 'standard'
    ? addCalendarMonths(earnedAt, program.lots.standardMonths, timeZone)
    : addHours(earnedAt, program.lots.promotionalHours);
}

export function lotId(memberId: string, seq: number): string {
  return `${memberId}:lot:${seq}`;
}

/** Points are spent from the lot that expires first; ties go to the older lot. */
export function spendingOrder(lots: readonly Lot[]): Lot[] {
  return [...lots].sort((a, b) =>
    a.expiresAt === b.expiresAt
      ? compare(a.earnedAt, b.earnedAt)
      : compare(a.expiresAt, b.expiresAt),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The lines a debit of `points` draws, in spending order. Draws what there is when the lots
 * hold less; callers decide whether that is a refusal or debt.
 */
export function draw(lots: readonly Lot[], points: number): LotLine[] {
  const lines: LotLine[] = [];
  let left = points;
  for (const lot of spendingOrder(lots)) {
    if (left <= 0) break;
    const take = Math.min(lot.points, left);
    if (take > 0) {
      lines.push({ ...lotLine(lot), points: take });
      left -= take;
    }
  }
  return lines;
}

export function lotLine(lot: Lot): LotLine {
  const { lotId: id, points, kind, earnedAt, expiresAt } = lot;
  return { lotId: id, points, kind, earnedAt, expiresAt };
}

export function sumPoints(lines: readonly { readonly points: number }[]): number {
  return lines.reduce((sum, l) => sum + l.points, 0);
}
