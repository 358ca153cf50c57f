import { Topics } from '@jifen/contracts';
import { OutboxEntry, PendingEvent } from '@jifen/event-store';
import { LedgerEvent, toLedgerEntry } from '@jifen/ledger';

/**
 * The versioned contract of `loyalty.accounts.events.v1` (key = member id). Consumers
 * (redemption, analytics) read these, never the ledger's internal events, so the inside can
 * change without breaking them. Every message carries an `eventId` unique across the topic,
 * on which consumers de-duplicate.
 */
export interface AccountsIntegrationEvent {
  eventId: string;
  type: AccountsEventType;
  memberId: string;
  occurredAt: string;
  /** The member stream's position of the domain event: per member, strictly increasing. */
  streamPosition: number;
  data: Record<string, unknown>;
}

export const AccountsEventTypes = {
  MemberEnrolled: 'member.enrolled',
  MemberSignedUp: 'member.signed_up',
  PurchaseRecorded: 'purchase.recorded',
  PurchaseRefunded: 'purchase.refunded',
  TierChanged: 'tier.changed',
  PointsExpiringSoon: 'points.expiring_soon',
  PointsEarned: 'points.earned',
  PointsCapped: 'points.capped',
  PartnerPointsCredited: 'points.partner_credited',
  DebtPaidOff: 'points.debt_paid_off',
  PointsReversed: 'points.reversed',
  PointsReserved: 'points.reserved',
  ReservationConfirmed: 'points.reservation_confirmed',
  ReservationReleased: 'points.reservation_released',
  PointsRedeemed: 'points.redeemed',
  PartnerPointsDebited: 'points.partner_debited',
  PointsExpired: 'points.expired',
  PointsTransferredOut: 'points.transferred_out',
  PointsTransferredIn: 'points.transferred_in',
} as const satisfies Partial<Record<LedgerEvent['type'], string>>;

export type AccountsEventType = (typeof AccountsEventTypes)[keyof typeof AccountsEventTypes];

/**
 * Maps one domain event of a member stream to its integration event, or to nothing for facts
 * that concern no one outside accounts (check-ins, shares, reviews, profile, renewals).
 */
export function toIntegrationEvent(
  memberId: string,
  streamPosition: number,
  event: LedgerEvent,
): AccountsIntegrationEvent | undefined {
  if (!(event.type in AccountsEventTypes)) return undefined;
  const type = AccountsEventTypes[event.type as keyof typeof AccountsEventTypes];
  const base = { eventId: `member-${memberId}/${streamPosition}`, type, memberId, streamPosition };
  const data = event.data as unknown as Record<string, unknown>;
  const entry = toLedgerEntry(event);
  // A ledger entry as members see it (GET /members/{id}/ledger), keeping the ids that tie it
  // to an order, refund, redemption, transfer or partner message.
  if (entry) return { ...base, occurredAt: entry.occurredAt, data: { ...data, ...entry } };
  return { ...base, occurredAt: String(data.occurredAt), data };
}

/**
 * The outbox entry of a member-stream event about to be appended, or nothing. It names the
 * stored event (stream id and position), which the relay publishes as the `stream-id` and
 * `stream-position` headers.
 */
export function integrationOutboxEntry(event: PendingEvent<LedgerEvent>): OutboxEntry | undefined {
  const memberId = event.streamId.slice('member-'.length);
  const integration = toIntegrationEvent(memberId, event.streamPosition, event as LedgerEvent);
  return (
    integration && {
      topic: Topics.accountsEvents,
      key: memberId,
      type: integration.type,
      payload: integration,
      streamId: event.streamId,
      streamPosition: event.streamPosition,
    }
  );
}
