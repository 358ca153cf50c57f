import type { ReceiveTransfer, TransferPoints } from '../commands';
import { emit, enrolled, entryData, type Decision } from '../context';
import {
  BelowMinimum,
  DailyTransferLimit,
  InsufficientPoints,
  SelfTransfer,
  TransferLimit,
} from '../errors';
import type { LotLine, PointsTransferredOut } from '../events';
import { formatPoints } from '../explain';
import { draw, lotId, sumPoints } from '../lots';
import { balanceOf } from '../state';
import { localDay, toInstant } from '../time';
import { requireInteger, requirePositiveInteger } from './validate';
import { keyedHas } from '../keyed';

/**
 * Transfer out: at most 10,000 points per transfer and 20,000 per sender per calendar day.
 * The sender's lots move, soonest-expiring first, keeping their expiry; the event carries them
 * so the recipient's `ReceiveTransfer` (same transfer id) can recreate them.
 */
export function decideTransferOut(d: Decision, command: TransferPoints): void {
  const member = enrolled(d);
  if (keyedHas(member.transfersOut, command.transferId)) return;
  requireInteger(command.points, 'points');
  const limits = d.program.transfers;
  if (command.points < 1) throw new BelowMinimum('a transfer moves at least 1 point');
  if (command.toMemberId === member.memberId) {
    throw new SelfTransfer('a member cannot transfer points to themselves');
  }
  if (command.points > limits.maxPerTransfer) {
    throw new TransferLimit(`at most ${formatPoints(limits.maxPerTransfer)} points per transfer`);
  }
  const day = localDay(d.time, d.timeZone);
  const today = member.transferredOutToday?.day === day ? member.transferredOutToday.points : 0;
  if (today + command.points > limits.maxPerDay) {
    throw new DailyTransferLimit(
      `at most ${formatPoints(limits.maxPerDay)} points a day; ${formatPoints(today)} already sent on ${day}`,
    );
  }
  const balance = balanceOf(member);
  if (command.points > balance) {
    throw new InsufficientPoints(`${command.points} points asked, ${balance} available`);
  }
  emit(d, {
    type: 'PointsTransferredOut',
    data: {
      ...entryData(d, {
        points: -command.points,
        ruleId: 'transfer',
        lots: draw(member.lots, command.points),
        explanation: `${formatPoints(command.points)} points transferred to ${command.toMemberId}`,
      }),
      transferId: command.transferId,
      toMemberId: command.toMemberId,
      day,
    },
  });
}

/** The recipient's command for a sender's transfer-out event. */
export function receiveTransferCommandFor(
  senderId: string,
  event: PointsTransferredOut,
): ReceiveTransfer {
  return {
    type: 'ReceiveTransfer',
    memberId: event.data.toMemberId,
    fromMemberId: senderId,
    transferId: event.data.transferId,
    time: event.data.occurredAt,
    sourceEventId: event.data.sourceEventId,
    lots: event.data.lots.map(({ points, kind, earnedAt, expiresAt }) => ({
      points,
      kind,
      earnedAt,
      expiresAt,
    })),
  };
}

/** Transferred-in lots move as they are: same kind and expiry; they pay off no debt. */
export function decideTransferIn(d: Decision, command: ReceiveTransfer): void {
  const member = enrolled(d);
  if (keyedHas(member.transfersIn, command.transferId)) return;
  const lots: LotLine[] = command.lots.map((l, i) => {
    requirePositiveInteger(l.points, 'lots.points');
    return {
      lotId: lotId(member.memberId, member.lotSeq + i + 1),
      points: l.points,
      kind: l.kind,
      earnedAt: toInstant(l.earnedAt, 'lots.earnedAt'),
      expiresAt: toInstant(l.expiresAt, 'lots.expiresAt'),
    };
  });
  const points = sumPoints(lots);
  requirePositiveInteger(points, 'points');
  emit(d, {
    type: 'PointsTransferredIn',
    data: {
      ...entryData(d, {
        points,
        ruleId: 'transfer',
        lots,
        balanceAfter: balanceOf(member) + points,
        explanation: `${formatPoints(points)} points received from ${command.fromMemberId}, keeping their expiry dates`,
      }),
      transferId: command.transferId,
      fromMemberId: command.fromMemberId,
    },
  });
}
