import type { EntryData, LedgerEvent, LotLine } from './events';
import { keyedGet, keyedSet } from './keyed';
import { newMember, type EnrolledMember, type Lifetime, type Lot, type MemberState } from './state';

/**
 * evolve(state, event) → state. Pure and total: everything it needs is in the event, so a
 * replay gives the same state whatever the program or time zone is today.
 */
export function evolve(state: MemberState, event: LedgerEvent): MemberState {
  if (event.type === 'MemberEnrolled') {
    return state.status === 'unknown'
      ? newMember(event.data.memberId, event.data.occurredAt)
      : state;
  }
  if (event.type === 'MemberSignedUp') {
    const base =
      state.status === 'unknown' ? newMember(event.data.memberId, event.data.occurredAt) : state;
    return {
      ...base,
      signedUpAt: event.data.occurredAt,
      referrerId: event.data.referrerId,
      birthday: event.data.birthday ?? base.birthday,
    };
  }
  if (state.status === 'unknown') {
    throw new Error(`${event.type} cannot apply to a member who was never enrolled`);
  }
  return evolveMember(state, event);
}

function evolveMember(s: EnrolledMember, event: LedgerEvent): EnrolledMember {
  switch (event.type) {
    case 'MemberEnrolled':
    case 'MemberSignedUp':
      return s;
    case 'ProfileCompleted':
      return {
        ...s,
        birthday: event.data.birthday ?? s.birthday,
        firstProfileCompletedAt: s.firstProfileCompletedAt ?? event.data.occurredAt,
      };
    case 'PurchaseRecorded': {
      const { orderId, amountMinor, points, occurredAt } = event.data;
      return {
        ...s,
        orders: keyedSet(s.orders, orderId, {
          amountMinor,
          points,
          refundedMinor: 0,
          reversedPoints: 0,
          occurredAt,
        }),
        spend: [...s.spend, { at: occurredAt, amountMinor }],
        firstPurchaseAt: s.firstPurchaseAt ?? occurredAt,
        lastPurchaseAt:
          s.lastPurchaseAt && s.lastPurchaseAt > occurredAt ? s.lastPurchaseAt : occurredAt,
      };
    }
    case 'PurchaseRefunded': {
      const { orderId, refundId, amountMinor, refundedMinor, reversedPoints, occurredAt } =
        event.data;
      return {
        ...s,
        orders: keyedSet(s.orders, orderId, {
          ...keyedGet(s.orders, orderId)!,
          refundedMinor,
          reversedPoints,
        }),
        refunds: keyedSet(s.refunds, refundId, true),
        spend: [...s.spend, { at: occurredAt, amountMinor: -amountMinor }],
      };
    }
    case 'ShareRecorded':
      return event.data.rewarded ? { ...s, shares: bump(s.shares, event.data.day) } : s;
    case 'CheckedIn':
      return event.data.rewarded ? { ...s, checkIns: bump(s.checkIns, event.data.day) } : s;
    case 'ReviewRecorded':
      return event.data.first ? { ...s, firstReviewAt: event.data.occurredAt } : s;
    case 'NewMemberPackCompleted':
      return { ...s, newMemberPackGranted: true };
    case 'ReferrerBonusDue':
      return s;
    case 'PointsExpiringSoon':
      return remember(s, event.data);
    case 'TierChanged':
    case 'TierHoldRenewed':
      return { ...s, tier: event.data.tier, tierHeldUntil: event.data.heldUntil };
    case 'PointsEarned': {
      const month = event.data.behaviourMonth;
      const next = credit(entry(s, event.data), event.data.lots, { earned: event.data.points });
      if (month === null) return next;
      const sameMonth = s.behaviourThisMonth?.month === month;
      const before = sameMonth && s.behaviourThisMonth ? s.behaviourThisMonth.points : 0;
      return { ...next, behaviourThisMonth: { month, points: before + event.data.points } };
    }
    case 'PointsCapped':
      return entry(s, event.data);
    case 'PartnerPointsCredited':
      return {
        ...credit(entry(s, event.data), event.data.lots, { earned: event.data.points }),
        partnerMessages: keyedSet(s.partnerMessages, event.data.messageId, true),
      };
    case 'PointsTransferredIn':
      return {
        ...credit(entry(s, event.data), event.data.lots, { transferredIn: event.data.points }),
        transfersIn: keyedSet(s.transfersIn, event.data.transferId, true),
      };
    case 'DebtPaidOff':
      return count(
        { ...entry(s, event.data), debt: event.data.debtAfter },
        {
          reversed: -event.data.points,
        },
      );
    case 'PointsReversed':
      return count(
        {
          ...debit(entry(s, event.data), event.data.lots),
          debt: s.debt + event.data.debtIncurred,
        },
        { reversed: -event.data.points },
      );
    case 'PointsReserved':
      return {
        ...debit(entry(s, event.data), event.data.lots),
        reservations: keyedSet(s.reservations, event.data.redemptionId, {
          points: -event.data.points,
          lots: event.data.lots,
          status: 'held',
        }),
      };
    case 'ReservationConfirmed':
      return count(
        {
          ...entry(s, event.data),
          reservations: keyedSet(s.reservations, event.data.redemptionId, {
            ...keyedGet(s.reservations, event.data.redemptionId)!,
            status: 'confirmed',
          }),
        },
        { redeemed: event.data.redeemedPoints },
      );
    case 'ReservationReleased':
      return {
        ...restore(entry(s, event.data), event.data.lots),
        reservations: keyedSet(s.reservations, event.data.redemptionId, {
          ...keyedGet(s.reservations, event.data.redemptionId)!,
          status: 'released',
        }),
      };
    case 'PointsRedeemed':
      return count(
        {
          ...debit(entry(s, event.data), event.data.lots),
          redemptions: keyedSet(s.redemptions, event.data.redemptionId, true),
        },
        { redeemed: -event.data.points },
      );
    case 'PartnerPointsDebited':
      return count(
        {
          ...debit(entry(s, event.data), event.data.lots),
          partnerMessages: keyedSet(s.partnerMessages, event.data.messageId, true),
        },
        { redeemed: -event.data.points },
      );
    case 'PointsExpired':
      return count(debit(entry(s, event.data), event.data.lots), { expired: -event.data.points });
    case 'PointsTransferredOut': {
      const { day, transferId, points } = event.data;
      const today = s.transferredOutToday?.day === day ? s.transferredOutToday.points : 0;
      return count(
        {
          ...debit(entry(s, event.data), event.data.lots),
          transfersOut: keyedSet(s.transfersOut, transferId, true),
          transferredOutToday: { day, points: today - points },
        },
        { transferredOut: -points },
      );
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

function entry(s: EnrolledMember, _data: EntryData): EnrolledMember {
  return { ...s, entrySeq: s.entrySeq + 1 };
}

function bump(current: { day: string; count: number } | null, day: string) {
  return { day, count: current?.day === day ? current.count + 1 : 1 };
}

function count(s: EnrolledMember, add: Partial<Lifetime>): EnrolledMember {
  const lifetime = { ...s.lifetime };
  for (const key of Object.keys(add) as (keyof Lifetime)[]) {
    lifetime[key] += add[key] ?? 0;
  }
  return { ...s, lifetime };
}

/** New lots, in the order the lines list them. */
function credit(s: EnrolledMember, lines: readonly LotLine[], add: Partial<Lifetime>) {
  const created: Lot[] = lines.filter((l) => l.points > 0).map((l) => ({ ...l }));
  return count({ ...s, lots: [...s.lots, ...created], lotSeq: s.lotSeq + lines.length }, add);
}

/** Takes each line's points from its lot; emptied lots (and their reminders) are dropped. */
function debit(s: EnrolledMember, lines: readonly LotLine[]): EnrolledMember {
  const take = new Map<string, number>();
  for (const l of lines) take.set(l.lotId, (take.get(l.lotId) ?? 0) + l.points);
  const lots = s.lots
    .map((lot) =>
      take.has(lot.lotId) ? { ...lot, points: lot.points - (take.get(lot.lotId) ?? 0) } : lot,
    )
    .filter((lot) => lot.points > 0);
  const reminders = { ...s.reminders };
  for (const id of take.keys()) if (!lots.some((l) => l.lotId === id)) delete reminders[id];
  return { ...s, lots, reminders };
}

/** Puts released points back into the lots they were reserved from (recreating emptied ones). */
function restore(s: EnrolledMember, lines: readonly LotLine[]): EnrolledMember {
  let lots = [...s.lots];
  for (const line of lines) {
    const at = lots.findIndex((l) => l.lotId === line.lotId);
    if (at >= 0) lots[at] = { ...lots[at], points: lots[at].points + line.points };
    else lots = [...lots, { ...line }];
  }
  return { ...s, lots };
}

function remember(
  s: EnrolledMember,
  data: { withinDays: number; lots: readonly { lotId: string; expiresAt: string }[] },
): EnrolledMember {
  const reminders = { ...s.reminders };
  for (const l of data.lots)
    reminders[l.lotId] = { expiresAt: l.expiresAt, withinDays: data.withinDays };
  return { ...s, reminders };
}
