import { AccountsEvent } from './accounts-event';

/** Point flows of CONTRACT.md section 7, and sales, as counted on one day. */
export interface Flows {
  issued: number;
  reversed: number;
  redeemed: number;
  expired: number;
  salesMinor: number;
}

export const noFlows = (): Flows => ({
  issued: 0,
  reversed: 0,
  redeemed: 0,
  expired: 0,
  salesMinor: 0,
});

/**
 * What one accounts event adds to the flows. Ledger entry `points` are signed as the member
 * sees them, so debits are negated here:
 * - issued: earned and partner-credited points (a capped entry moves none). An earn entry that
 *   paid off debt is issued whole; the payoff that follows it is the reversal finally taken.
 * - reversed: what a refund actually took, plus debt paid off later (`points.debt_paid_off`);
 *   debt that is never paid off is never counted.
 * - redeemed: points-only and cash-offset redemptions, confirmed reservations (their
 *   `redeemedPoints`: the confirming entry itself moves 0), partner debits. A reservation is
 *   still outstanding (it is in `reserved`); a release moves nothing out.
 * - Transfers move points between members and are none of these.
 * - sales: purchases at their amount, gross of refunds (as issued is gross of reversals).
 */
export function flowsOf(event: AccountsEvent): Partial<Flows> {
  const points = event.data.points ?? 0;
  switch (event.type) {
    case 'points.earned':
    case 'points.partner_credited':
      return { issued: points };
    case 'points.reversed':
    case 'points.debt_paid_off':
      return { reversed: -points };
    case 'points.redeemed':
    case 'points.partner_debited':
      return { redeemed: -points };
    case 'points.reservation_confirmed':
      return { redeemed: event.data.redeemedPoints ?? 0 };
    case 'points.expired':
      return { expired: -points };
    case 'purchase.recorded':
      return { salesMinor: event.data.amountMinor ?? 0 };
    default:
      return {};
  }
}

/** Points a member holds in reservations: a reserve takes them from the balance into it. */
export function reservedDeltaOf(event: AccountsEvent): number {
  switch (event.type) {
    case 'points.reserved':
    case 'points.reservation_released':
      return -(event.data.points ?? 0);
    case 'points.reservation_confirmed':
      return -(event.data.redeemedPoints ?? 0);
    default:
      return 0;
  }
}

export function addFlows(into: Flows, more: Partial<Flows>): Flows {
  into.issued += more.issued ?? 0;
  into.reversed += more.reversed ?? 0;
  into.redeemed += more.redeemed ?? 0;
  into.expired += more.expired ?? 0;
  into.salesMinor += more.salesMinor ?? 0;
  return into;
}

export function hasFlow(flows: Partial<Flows>): boolean {
  return Object.values(flows).some((n) => n !== 0);
}
