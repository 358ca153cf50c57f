/**
 * Why an inbound message was not applied (CONTRACT.md section 3). The order of this list is
 * the contract's precedence: when several apply, the first wins.
 */
export const RejectionReasons = [
  'malformed',
  'invalid',
  'unknown_type',
  'unsupported_currency',
  'already_enrolled',
  'self_referral',
  'unknown_referrer',
  'unknown_member',
  'unknown_order',
  'refund_exceeds_order',
] as const;

export type RejectionReason = (typeof RejectionReasons)[number];

/** Reasons ingestion decides from the message alone; the rest need a member's state. */
export const StatelessReasons = [
  'malformed',
  'invalid',
  'unknown_type',
  'unsupported_currency',
] as const satisfies readonly RejectionReason[];

export interface Rejection {
  reason: RejectionReason;
  /** A sentence a person can act on, e.g. "data.amountMinor must be a positive integer". */
  detail: string;
}

/** The record on `loyalty.inbound.dlq.v1` for every inbound message that was not applied. */
export interface DeadLetter extends Rejection {
  /** The inbound message's bytes, base64. */
  original: string;
  key: string | null;
  topic: string;
  partition: number;
  offset: string;
  failedAt: string;
}

/** Where an inbound message was read, carried with its command so accounts can dead-letter it. */
export interface InboundOrigin {
  original: string;
  key: string | null;
  topic: string;
  partition: number;
  offset: string;
}
