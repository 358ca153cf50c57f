import { InboundEvent } from '@jifen/contracts';
import { LedgerCommand } from '@jifen/ledger';

/**
 * The ledger command for an inbound event that ingestion validated. `sourceEventId` is the
 * event's `source` and `id`, the pair that is unique upstream; it is copied into every ledger
 * entry the command produces.
 */
export function toLedgerCommand(
  event: InboundEvent,
  referrerEnrolled: (referrerId: string) => boolean,
): LedgerCommand {
  const base = { memberId: event.subject, sourceEventId: sourceEventId(event), time: event.time };
  switch (event.type) {
    case 'member.signed_up': {
      const { birthday, referrerId } = event.data;
      return {
        ...base,
        type: 'SignUp',
        ...(birthday !== undefined && { birthday }),
        ...(referrerId !== undefined && {
          referrerId,
          referrerEnrolled: referrerEnrolled(referrerId),
        }),
      };
    }
    case 'member.profile_completed':
      return {
        ...base,
        type: 'CompleteProfile',
        ...(event.data.birthday !== undefined && { birthday: event.data.birthday }),
      };
    case 'purchase.completed':
      return {
        ...base,
        type: 'RecordPurchase',
        orderId: event.data.orderId,
        amountMinor: event.data.amountMinor,
      };
    case 'purchase.refunded':
      return {
        ...base,
        type: 'RefundPurchase',
        orderId: event.data.orderId,
        refundId: event.data.refundId,
        amountMinor: event.data.amountMinor,
      };
    case 'content.shared':
      return { ...base, type: 'RecordShare', shareId: event.data.shareId };
    case 'review.posted':
      return { ...base, type: 'RecordReview', reviewId: event.data.reviewId };
    case 'member.checked_in':
      return { ...base, type: 'CheckIn' };
    default: {
      const unreachable: never = event;
      throw new Error(`no ledger command for ${JSON.stringify(unreachable)}`);
    }
  }
}

export function sourceEventId(event: Pick<InboundEvent, 'source' | 'id'>): string {
  return `${event.source}/${event.id}`;
}
