/**
 * The versioned contract of `loyalty.redemption.events.v1` (key = member id), published by the
 * redemption service through its outbox. Consumers (analytics) de-duplicate on `eventId`.
 * A redemption is counted once, when it is confirmed; requested, released and refused tell the
 * rest of its story. Analytics (docs/analytics.md) keeps one row per `redemptionId` from
 * `redemption.confirmed` for the item figures; point flows come from the ledger, never from here.
 */
export type RedemptionEventType =
  'redemption.requested' | 'redemption.confirmed' | 'redemption.released' | 'redemption.refused';

export interface RedemptionEventData {
  redemptionId: string;
  mode: 'points' | 'points_plus_cash' | 'cash_offset';
  /** Null for a cash offset. */
  itemId: string | null;
  /** The item's category; `cash_offset` for a cash offset. */
  category: string;
  /** The order a cash offset pays; null otherwise. */
  orderId: string | null;
  points: number;
  /** Cash the member pays beside the points (points + cash); 0 otherwise. */
  cashMinor: number;
  /** What one unit costs the merchant; for a cash offset, the points' value (1 fen each). */
  unitCostMinor: number;
  quantity: number;
  /** For released and refused: why (e.g. payment_failed, payment_timeout, insufficient_points). */
  reason?: string;
}

export interface RedemptionEvent {
  /** `redemption/<redemptionId>/<type>`: unique across the topic. */
  eventId: string;
  type: RedemptionEventType;
  memberId: string;
  occurredAt: string;
  data: RedemptionEventData;
}
