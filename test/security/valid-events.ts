// Valid inputs for the security specs to mutate (no Nest, no broker: unit tests import it).

/** One valid CloudEvent of every inbound type, for `memberId` (JSON-ready). */
export function validEvents(memberId: string, time = '2026-11-26T10:00:00+08:00') {
  const envelope = (type: string, id: string) => ({
    specversion: '1.0',
    id,
    source: 'pos/store-12',
    type,
    time,
    subject: memberId,
    datacontenttype: 'application/json',
  });
  return [
    {
      ...envelope('purchase.completed', 'e-1'),
      data: {
        memberId,
        orderId: 'o-1',
        amountMinor: 129_900,
        currency: 'CNY',
        storeId: 's-1',
        channel: 'offline',
        items: [{ sku: 'A', category: 'c', quantity: 2, unitPriceMinor: 100 }],
      },
    },
    { ...envelope('member.signed_up', 'e-2'), data: { memberId, birthday: '02-29' } },
    { ...envelope('member.profile_completed', 'e-3'), data: { memberId, birthday: '12-31' } },
    {
      ...envelope('purchase.refunded', 'e-4'),
      data: { memberId, orderId: 'o-1', refundId: 'r-1', amountMinor: 100 },
    },
    { ...envelope('content.shared', 'e-5'), data: { memberId, shareId: 'sh-1', channel: 'x' } },
    { ...envelope('review.posted', 'e-6'), data: { memberId, reviewId: 'rv-1', orderId: 'o-1' } },
    { ...envelope('member.checked_in', 'e-7'), data: { memberId } },
  ] as Array<Record<string, unknown> & { data: Record<string, unknown> }>;
}
