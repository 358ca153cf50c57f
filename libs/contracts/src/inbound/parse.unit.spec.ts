import { MaxInboundBytes, parseInbound } from './parse';

const purchase = (data: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: 'evt-1',
  source: 'pos/store-12',
  type: 'purchase.completed',
  time: '2026-11-26T10:00:00+08:00',
  subject: 'm-1',
  datacontenttype: 'application/json',
  data: { memberId: 'm-1', orderId: 'o-1', amountMinor: 129900, currency: 'CNY', ...data },
  ...envelope,
});

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));
const rejection = (value: unknown) => {
  const result = parseInbound(Buffer.isBuffer(value) ? value : bytes(value));
  if (result.ok) throw new Error('expected a rejection');
  return result.rejection;
};

describe('parseInbound', () => {
  it('accepts a valid purchase and keeps its fields', () => {
    const result = parseInbound(
      bytes(purchase({ items: [{ sku: 'A', quantity: 2, unitPriceMinor: 100 }] })),
    );
    expect(result).toMatchObject({
      ok: true,
      event: { type: 'purchase.completed', id: 'evt-1', source: 'pos/store-12', subject: 'm-1' },
    });
    expect(result.ok && result.event.data).toMatchObject({ amountMinor: 129900, currency: 'CNY' });
  });

  it.each([
    ['no body', Buffer.alloc(0), 'the message has no body'],
    ['not JSON', Buffer.from([0xff, 0x00, 0x7b]), 'the message is not JSON'],
    ['a JSON array', bytes([1, 2]), 'the message is JSON but not an object'],
    ['a JSON string', bytes('hello'), 'the message is JSON but not an object'],
    [
      'specversion 0.3',
      bytes(purchase({}, { specversion: '0.3' })),
      'specversion must be "1.0" (a CloudEvents 1.0 structured event)',
    ],
    ['no id', bytes(purchase({}, { id: undefined })), 'id must be a non-empty string'],
    ['an empty source', bytes(purchase({}, { source: '' })), 'source must be a non-empty string'],
    ['a numeric type', bytes(purchase({}, { type: 7 })), 'type must be a non-empty string'],
  ])('rejects %s as malformed', (_case, value, detail) => {
    expect(rejection(value)).toEqual({ reason: 'malformed', detail });
  });

  it('rejects a message over 64 KiB as malformed, even when it is otherwise valid', () => {
    const big = bytes(purchase({ storeId: 's', padding: 'x'.repeat(MaxInboundBytes) }));
    expect(rejection(big)).toEqual({
      reason: 'malformed',
      detail: expect.stringContaining('at most 65536 bytes'),
    });
  });

  it.each([
    ['time missing', purchase({}, { time: undefined }), /^time must be an RFC 3339 timestamp/],
    ['time without zone', purchase({}, { time: '2026-11-26T10:00:00' }), /^time must be/],
    ['time on 30 February', purchase({}, { time: '2026-02-30T10:00:00Z' }), /^time must be/],
    ['subject missing', purchase({}, { subject: undefined }), /^subject must be the member id/],
    ['data not an object', purchase({}, { data: [1] }), /^data must be an object$/],
    [
      'amountMinor zero',
      purchase({ amountMinor: 0 }),
      /^data\.amountMinor must be a positive integer/,
    ],
    [
      'amountMinor fractional',
      purchase({ amountMinor: 10.5 }),
      /^data\.amountMinor must be a positive integer/,
    ],
    [
      'amountMinor as a string',
      purchase({ amountMinor: '100' }),
      /^data\.amountMinor must be a positive integer/,
    ],
    [
      'orderId missing',
      purchase({ orderId: undefined }),
      /^data\.orderId must be a non-empty string/,
    ],
    [
      'channel unknown',
      purchase({ channel: 'mail' }),
      /^data\.channel must be "online" or "offline"$/,
    ],
    [
      'an item without quantity',
      purchase({ items: [{ sku: 'A', unitPriceMinor: 1 }] }),
      /^data\.items\[0\]\.quantity must be a positive integer$/,
    ],
    [
      'subject differing from memberId',
      purchase({}, { subject: 'm-2' }),
      /^subject must equal data\.memberId$/,
    ],
    [
      'currency missing',
      purchase({ currency: undefined }),
      /^data\.currency must be an ISO 4217 code/,
    ],
  ])('rejects %s as invalid, naming the field', (_case, event, detail) => {
    expect(rejection(event)).toEqual({ reason: 'invalid', detail: expect.stringMatching(detail) });
  });

  it('rejects a birthday that is not a calendar day', () => {
    const signUp = {
      ...purchase(),
      type: 'member.signed_up',
      data: { memberId: 'm-1', birthday: '02-30' },
    };
    expect(rejection(signUp)).toEqual({
      reason: 'invalid',
      detail: 'data.birthday must be a date as "MM-DD"',
    });
    const leap = { ...signUp, data: { memberId: 'm-1', birthday: '02-29' } };
    expect(parseInbound(bytes(leap)).ok).toBe(true);
  });

  it('rejects an unknown type after envelope validation', () => {
    expect(rejection(purchase({}, { type: 'coupon.used' }))).toEqual({
      reason: 'unknown_type',
      detail: 'type "coupon.used" is not an inbound event type of the contract',
    });
  });

  it('rejects a currency other than CNY', () => {
    expect(rejection(purchase({ currency: 'USD' }))).toEqual({
      reason: 'unsupported_currency',
      detail: 'currency "USD" is not supported; amounts must be in CNY',
    });
  });

  describe('precedence: the first reason in the contract order wins', () => {
    it('malformed before invalid', () => {
      expect(rejection(purchase({ amountMinor: -1 }, { specversion: '2.0' })).reason).toBe(
        'malformed',
      );
    });
    it('invalid before unknown_type', () => {
      expect(rejection(purchase({}, { type: 'coupon.used', time: 'yesterday' })).reason).toBe(
        'invalid',
      );
    });
    it('invalid before unsupported_currency', () => {
      expect(rejection(purchase({ currency: 'USD', amountMinor: 0 })).reason).toBe('invalid');
    });
  });

  it('accepts every inbound type of the contract with its required fields', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['member.signed_up', { referrerId: 'm-0', birthday: '12-31' }],
      ['member.profile_completed', {}],
      ['purchase.refunded', { orderId: 'o', refundId: 'r', amountMinor: 1 }],
      ['content.shared', { shareId: 's' }],
      ['review.posted', { reviewId: 'r' }],
      ['member.checked_in', {}],
    ];
    for (const [type, data] of cases) {
      const result = parseInbound(
        bytes({ ...purchase(), type, data: { memberId: 'm-1', ...data } }),
      );
      expect(result).toMatchObject({ ok: true, event: { type } });
    }
  });
});
