/**
 * What analytics reads of `loyalty.accounts.events.v1`: the versioned integration events the
 * accounts service publishes (its `integration-events.ts`), and only the fields used here.
 * Types analytics does not know (`command.completed`, reminders, ...) are skipped.
 */
export interface AccountsEvent {
  eventId: string;
  type: string;
  memberId: string;
  occurredAt: string;
  streamPosition: number;
  data: {
    /** Ledger entries: signed, what the entry did to the available balance. */
    points?: number;
    balanceAfter?: number;
    ruleId?: string;
    /** `points.reservation_confirmed`: the reserved points that became redeemed. */
    redeemedPoints?: number;
    /** `purchase.recorded` */
    amountMinor?: number;
    /** `tier.changed` */
    tier?: string;
    /** `member.signed_up` */
    controlGroup?: boolean;
  };
}

/** Ledger entries: each carries `points` and `balanceAfter`. */
export const ledgerEntryTypes = new Set([
  'points.earned',
  'points.capped',
  'points.partner_credited',
  'points.debt_paid_off',
  'points.reversed',
  'points.reserved',
  'points.reservation_confirmed',
  'points.reservation_released',
  'points.redeemed',
  'points.partner_debited',
  'points.expired',
  'points.transferred_out',
  'points.transferred_in',
]);
