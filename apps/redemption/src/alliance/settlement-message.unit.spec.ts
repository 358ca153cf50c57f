import { RETAIL_CHAIN_V1 } from '@jifen/ledger';
import { checkMessage } from './settlement-message';
import { canonicalJson, sign, signed, verify } from './signature';

const partners = RETAIL_CHAIN_V1.partners!;
const secrets = { 'airline-x': 'airline-secret-0123456789', 'hotel-y': 'hotel-secret-0123456789' };
const credit = (fields: Record<string, unknown> = {}, secret = secrets['airline-x']) =>
  signed(
    {
      messageId: 'm-1',
      partnerId: 'airline-x',
      type: 'credit',
      memberId: 'member-1',
      partnerMemberRef: 'AX-1',
      points: 1_250,
      partnerUnits: 100,
      rate: 8,
      occurredAt: '2026-11-20T10:00:00+08:00',
      ...fields,
    },
    secret,
  );

describe('canonical JSON and signatures', () => {
  it('sorts keys at every level and leaves no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('signs the other fields, whatever their order, and verifies in constant time', () => {
    const message = credit();
    const reordered = Object.fromEntries(Object.entries(message).reverse());
    expect(verify(reordered, secrets['airline-x'])).toBe(true);
    expect(verify({ ...message, points: 1_251 }, secrets['airline-x'])).toBe(false);
    expect(verify({ ...message, signature: 'zz' }, secrets['airline-x'])).toBe(false);
    expect(sign(message, secrets['airline-x'])).toBe(message.signature);
  });
});

describe('checking a settlement message, in the contract order', () => {
  it('accepts a well-formed, signed credit at the partner rate', () => {
    // floor(1,250 × 8 / 100) = 100 miles.
    expect(checkMessage(credit(), partners, secrets)).toMatchObject({ ok: true });
  });

  it.each([
    ['unknown_partner', { ...credit(), partnerId: 'bus-z' }],
    ['bad_signature', credit({}, secrets['hotel-y'])],
    ['rate_mismatch', credit({ rate: 25, partnerUnits: 312 })],
    ['units_mismatch', credit({ partnerUnits: 101 })],
    ['malformed', credit({ points: -5 })],
  ])('refuses with %s', (reason, message) => {
    expect(checkMessage(message, partners, secrets)).toMatchObject({ ok: false, reason });
  });

  it('checks the signature before the rate: a forged message with a wrong rate is bad_signature', () => {
    expect(
      checkMessage(credit({ rate: 25 }, 'not-the-key-0123456789'), partners, secrets),
    ).toMatchObject({
      reason: 'bad_signature',
    });
  });

  it('refuses a partner whose secret is not configured as unknown', () => {
    expect(checkMessage(credit(), partners, { 'hotel-y': secrets['hotel-y'] })).toMatchObject({
      reason: 'unknown_partner',
    });
  });
});

describe('a partner statement', () => {
  const statement = (sums: unknown) =>
    signed(
      {
        messageId: 's-1',
        partnerId: 'airline-x',
        type: 'statement',
        date: '2026-11-20',
        messageIds: ['m-1'],
        sums,
        occurredAt: '2026-11-21T01:00:00+08:00',
      },
      secrets['airline-x'],
    );

  it('is accepted with its sums', () => {
    expect(checkMessage(statement({ creditPoints: 1_200 }), partners, secrets)).toMatchObject({
      ok: true,
    });
  });

  it('is refused when its sums hold a character the database cannot store', () => {
    expect(checkMessage(statement({ note: 'a\u0000b' }), partners, secrets)).toMatchObject({
      ok: false,
      reason: 'malformed',
      detail: 'sums.note holds a character that cannot be stored',
    });
  });
});
