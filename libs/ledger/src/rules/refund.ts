import type { RefundPurchase } from '../commands';
import { RefundExceedsOrder, UnknownOrder } from '../errors';
import { emit, enrolled, entryData, fact, type Decision } from '../context';
import { formatCny, formatPoints, pointsWord } from '../explain';
import { draw, sumPoints } from '../lots';
import { balanceOf } from '../state';
import { requirePositiveInteger } from './validate';
import { keyedGet, keyedHas } from '../keyed';

/**
 * What an order's refunds have reversed in total once `refundedMinor` of it is refunded:
 * floor(orderPoints × refundedSoFar / orderAmount), exact in big integers, so partial refunds
 * that sum to the order reverse exactly its points.
 */
export function reversedSoFar(
  orderPoints: number,
  refundedMinor: number,
  orderMinor: number,
): number {
  return Number((BigInt(orderPoints) * BigInt(refundedMinor)) / BigInt(orderMinor));
}

/**
 * A refund reverses its share of the order's points from available points (soonest-expiring
 * first); what cannot be taken becomes debt, paid off first by later credits. Referral
 * bonuses are not reversed, and refunds never downgrade a tier on their own.
 */
export function decideRefund(d: Decision, command: RefundPurchase): void {
  const member = enrolled(d);
  const order = keyedGet(member.orders, command.orderId);
  if (!order) throw new UnknownOrder(`order ${command.orderId} was never seen for this member`);
  if (keyedHas(member.refunds, command.refundId)) return;
  requirePositiveInteger(command.amountMinor, 'amountMinor');
  const refundedMinor = order.refundedMinor + command.amountMinor;
  if (refundedMinor > order.amountMinor) {
    throw new RefundExceedsOrder(
      `refunds of ${formatCny(refundedMinor)} would exceed order ${command.orderId} of ${formatCny(order.amountMinor)}`,
    );
  }
  const target = reversedSoFar(order.points, refundedMinor, order.amountMinor);
  const reverse = target - order.reversedPoints;
  emit(d, {
    type: 'PurchaseRefunded',
    data: {
      ...fact(d),
      orderId: command.orderId,
      refundId: command.refundId,
      amountMinor: command.amountMinor,
      refundedMinor,
      reversedPoints: target,
    },
  });
  if (reverse <= 0) return;
  const lots = draw(enrolled(d).lots, Math.min(reverse, balanceOf(d.state)));
  const taken = sumPoints(lots);
  const debtIncurred = reverse - taken;
  const debtNote =
    debtIncurred > 0 ? `; ${pointsWord(debtIncurred)} not available recorded as debt` : '';
  emit(d, {
    type: 'PointsReversed',
    data: {
      ...entryData(d, {
        points: -taken,
        ruleId: 'refund',
        lots,
        explanation: `Refund of ${formatCny(command.amountMinor)} on order ${command.orderId} (${formatCny(refundedMinor)} of ${formatCny(order.amountMinor)} refunded): ${formatPoints(order.points)} × ${formatCny(refundedMinor)} / ${formatCny(order.amountMinor)} = ${formatPoints(target)} reversed in all, ${pointsWord(reverse)} now${debtNote}`,
      }),
      orderId: command.orderId,
      refundId: command.refundId,
      debtIncurred,
    },
  });
}
