/**
 * Business refusals. Each carries the contract's reason code (CONTRACT.md sections 3, 5 and 7),
 * so the edges map it to a DLQ reason or an HTTP 422/404 without string matching.
 */
export type RefusalReason =
  | 'invalid'
  | 'already_enrolled'
  | 'self_referral'
  | 'unknown_referrer'
  | 'unknown_member'
  | 'unknown_order'
  | 'refund_exceeds_order'
  | 'below_minimum'
  | 'insufficient_points'
  | 'transfer_limit'
  | 'daily_transfer_limit'
  | 'self_transfer'
  | 'unknown_reservation'
  | 'reservation_not_held';

export abstract class LedgerRefusal extends Error {
  abstract readonly reason: RefusalReason;
}

export class InvalidCommand extends LedgerRefusal {
  readonly reason = 'invalid' as const;
}
export class AlreadyEnrolled extends LedgerRefusal {
  readonly reason = 'already_enrolled' as const;
}
export class SelfReferral extends LedgerRefusal {
  readonly reason = 'self_referral' as const;
}
export class UnknownReferrer extends LedgerRefusal {
  readonly reason = 'unknown_referrer' as const;
}
export class UnknownMember extends LedgerRefusal {
  readonly reason = 'unknown_member' as const;
}
export class UnknownOrder extends LedgerRefusal {
  readonly reason = 'unknown_order' as const;
}
export class RefundExceedsOrder extends LedgerRefusal {
  readonly reason = 'refund_exceeds_order' as const;
}
export class BelowMinimum extends LedgerRefusal {
  readonly reason = 'below_minimum' as const;
}
export class InsufficientPoints extends LedgerRefusal {
  readonly reason = 'insufficient_points' as const;
}
export class TransferLimit extends LedgerRefusal {
  readonly reason = 'transfer_limit' as const;
}
export class DailyTransferLimit extends LedgerRefusal {
  readonly reason = 'daily_transfer_limit' as const;
}
export class SelfTransfer extends LedgerRefusal {
  readonly reason = 'self_transfer' as const;
}
export class UnknownReservation extends LedgerRefusal {
  readonly reason = 'unknown_reservation' as const;
}
export class ReservationNotHeld extends LedgerRefusal {
  readonly reason = 'reservation_not_held' as const;
}
