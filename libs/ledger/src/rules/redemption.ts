import type {
  ConfirmReservation,
  RedeemPoints,
  ReleaseReservation,
  ReservePoints,
} from '../commands';
import { emit, enrolled, entryData, type Decision } from '../context';
import {
  BelowMinimum,
  InsufficientPoints,
  ReservationNotHeld,
  UnknownReservation,
} from '../errors';
import { formatCny, formatPoints } from '../explain';
import { draw } from '../lots';
import { balanceOf, type EnrolledMember } from '../state';
import { requireInteger } from './validate';
import { keyedGet, keyedHas } from '../keyed';

/** At least 100 points per redemption, and never more than the available balance. */
function checkRedeemable(d: Decision, member: EnrolledMember, points: number): void {
  requireInteger(points, 'points');
  const minimum = d.program.redemptionMinimumPoints;
  if (points < minimum) throw new BelowMinimum(`a redemption takes at least ${minimum} points`);
  const balance = balanceOf(member);
  if (points > balance) {
    throw new InsufficientPoints(`${points} points asked, ${balance} available`);
  }
}

/** Points + cash: points leave the balance for `reserved` until confirmed or released. */
export function decideReserve(d: Decision, command: ReservePoints): void {
  const member = enrolled(d);
  if (keyedHas(member.reservations, command.redemptionId)) return;
  checkRedeemable(d, member, command.points);
  emit(d, {
    type: 'PointsReserved',
    data: {
      ...entryData(d, {
        points: -command.points,
        ruleId: 'redemption',
        lots: draw(member.lots, command.points),
        explanation: `${formatPoints(command.points)} points reserved for redemption ${command.redemptionId}`,
      }),
      redemptionId: command.redemptionId,
    },
  });
}

function heldReservation(member: EnrolledMember, redemptionId: string) {
  const reservation = keyedGet(member.reservations, redemptionId);
  if (!reservation) throw new UnknownReservation(`no reservation ${redemptionId}`);
  return reservation;
}

/** Confirming redeems the reserved points: a `redeem` entry of 0 points on the balance. */
export function decideConfirm(d: Decision, command: ConfirmReservation): void {
  const reservation = heldReservation(enrolled(d), command.redemptionId);
  if (reservation.status === 'confirmed') return;
  if (reservation.status === 'released') {
    throw new ReservationNotHeld(`reservation ${command.redemptionId} was released`);
  }
  emit(d, {
    type: 'ReservationConfirmed',
    data: {
      ...entryData(d, {
        points: 0,
        ruleId: 'redemption',
        lots: reservation.lots,
        explanation: `${formatPoints(reservation.points)} reserved points redeemed for redemption ${command.redemptionId}`,
      }),
      redemptionId: command.redemptionId,
      redeemedPoints: reservation.points,
    },
  });
}

/** Releasing puts the reserved points back into the lots they came from. */
export function decideRelease(d: Decision, command: ReleaseReservation): void {
  const reservation = heldReservation(enrolled(d), command.redemptionId);
  if (reservation.status === 'released') return;
  if (reservation.status === 'confirmed') {
    throw new ReservationNotHeld(`reservation ${command.redemptionId} was confirmed`);
  }
  emit(d, {
    type: 'ReservationReleased',
    data: {
      ...entryData(d, {
        points: reservation.points,
        ruleId: 'redemption',
        lots: reservation.lots,
        explanation: `${formatPoints(reservation.points)} reserved points released: redemption ${command.redemptionId} was not paid`,
      }),
      redemptionId: command.redemptionId,
    },
  });
}

/** Points only and cash offsets: one `redeem` entry. */
export function decideRedeem(d: Decision, command: RedeemPoints): void {
  const member = enrolled(d);
  if (keyedHas(member.redemptions, command.redemptionId)) return;
  checkRedeemable(d, member, command.points);
  emit(d, {
    type: 'PointsRedeemed',
    data: {
      ...entryData(d, {
        points: -command.points,
        ruleId: 'redemption',
        lots: draw(member.lots, command.points),
        explanation: `${formatPoints(command.points)} points redeemed (worth ${formatCny(command.points)}) for redemption ${command.redemptionId}`,
      }),
      redemptionId: command.redemptionId,
    },
  });
}
