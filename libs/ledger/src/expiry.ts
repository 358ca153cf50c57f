import { emit, enrolled, entryData, fact, type Decision } from './context';
import { formatDay, formatPoints } from './explain';
import { lotLine, spendingOrder } from './lots';
import type { ProgramVersion } from './program';
import type { EnrolledMember, Lot } from './state';
import { addCalendarMonths, DAY_MS, toMs, windowBefore, type Instant } from './time';

/** A purchase in the activity window (asOf − 12 months, asOf] keeps standard lots alive. */
export function activeAsOf(
  member: EnrolledMember,
  asOf: Instant,
  program: ProgramVersion,
  timeZone: string,
): boolean {
  const inWindow = windowBefore(asOf, program.lots.activityMonths, timeZone);
  return member.spend.some((s) => s.amountMinor > 0 && inWindow(s.at));
}

/**
 * Whether the expiry run as of t expires a lot: its instant is ≤ t and its rule allows it.
 * Promotional lots expire activity or not; a standard lot past its instant expires only once
 * the member has made no purchase in the last 12 months.
 */
export function expiresInRun(
  lot: Lot,
  member: EnrolledMember,
  asOf: Instant,
  program: ProgramVersion,
  timeZone: string,
): boolean {
  if (lot.expiresAt > asOf) return false;
  return lot.kind === 'promotional' || !activeAsOf(member, asOf, program, timeZone);
}

/**
 * When a lot will expire if nothing else happens: its instant, or for a standard lot of a
 * member who keeps buying, 12 months after the last purchase, whichever is later.
 */
export function expectedExpiry(
  lot: Lot,
  member: EnrolledMember,
  program: ProgramVersion,
  timeZone: string,
): Instant {
  if (lot.kind === 'promotional' || member.lastPurchaseAt === null) return lot.expiresAt;
  const inactiveFrom = addCalendarMonths(
    member.lastPurchaseAt,
    program.lots.activityMonths,
    timeZone,
  );
  return inactiveFrom > lot.expiresAt ? inactiveFrom : lot.expiresAt;
}

/**
 * The expiry run as of t: one `expire` entry per lot it expires, then `points.expiring_soon`
 * reminders for lots expiring within 30, 15 and 7 days, each threshold announced once per lot
 * (again if a purchase moved the lot's expected expiry).
 */
export function runExpiry(d: Decision): void {
  const asOf = d.time;
  const start = enrolled(d);
  for (const lot of spendingOrder(start.lots)) {
    if (!expiresInRun(lot, start, asOf, d.program, d.timeZone)) continue;
    const why =
      lot.kind === 'promotional'
        ? 'promotional lots last 30 days'
        : 'standard lot past 24 months, no purchase in the last 12 months';
    emit(d, {
      type: 'PointsExpired',
      data: entryData(d, {
        points: -lot.points,
        ruleId: lot.kind === 'promotional' ? 'expiry.promotional' : 'expiry.standard',
        lots: [lotLine(lot)],
        explanation: `${formatPoints(lot.points)} points earned ${formatDay(lot.earnedAt, d.timeZone)} expired (due ${formatDay(lot.expiresAt, d.timeZone)}: ${why})`,
      }),
    });
  }
  announceExpiringSoon(d);
}

function announceExpiringSoon(d: Decision): void {
  const member = enrolled(d);
  const thresholds = [...d.program.expiringSoonDays].sort((a, b) => a - b);
  const due = new Map<number, { lotId: string; points: number; expiresAt: Instant }[]>();
  for (const lot of spendingOrder(member.lots)) {
    const expiresAt = expectedExpiry(lot, member, d.program, d.timeZone);
    const left = toMs(expiresAt) - toMs(d.time);
    if (left <= 0) continue;
    const within = thresholds.find((days) => left <= days * DAY_MS);
    if (within === undefined) continue;
    const last = member.reminders[lot.lotId];
    if (last && last.expiresAt === expiresAt && last.withinDays <= within) continue;
    due.set(within, [
      ...(due.get(within) ?? []),
      { lotId: lot.lotId, points: lot.points, expiresAt },
    ]);
  }
  for (const within of [...due.keys()].sort((a, b) => b - a)) {
    const lots = due.get(within) ?? [];
    const points = lots.reduce((sum, l) => sum + l.points, 0);
    emit(d, { type: 'PointsExpiringSoon', data: { ...fact(d), withinDays: within, points, lots } });
  }
}
