import fc from 'fast-check';
import {
  firstUnstorableText,
  InboundTypes,
  MaxDataDepth,
  MaxInboundBytes,
  parseInbound,
  ParseResult,
  StatelessReasons,
} from '@jifen/contracts';
import { RETAIL_CHAIN_V1 } from '@jifen/ledger';
import { checkMessage } from '../../apps/redemption/src/alliance/settlement-message';
import { sign, signed, verify } from '../../apps/redemption/src/alliance/signature';
import { validEvents } from './valid-events';

// Property tests of every parser that reads bytes from outside: upstream CloudEvents
// (parseInbound) and partners' settlement messages (checkMessage, verify). Properties, not
// examples: whatever arrives, the parser answers (never throws), and a rejection carries one of
// the contract's reasons and a sentence. fast-check prints the seed of a failure to replay it.

const runs = { numRuns: 300 };

/** The contract's answer shape: accepted, or rejected with a stateless reason and a detail. */
function expectAnswer(result: ParseResult): void {
  if (result.ok) {
    expect((InboundTypes as readonly string[]).includes(result.event.type)).toBe(true);
    expect(result.event.subject).toBe((result.event.data as { memberId: string }).memberId);
    // What is accepted is stored: nothing PostgreSQL refuses (U+0000, lone surrogates).
    expect(firstUnstorableText(result.event, 'event')).toBeUndefined();
    return;
  }
  expect(StatelessReasons).toContain(result.rejection.reason);
  expect(typeof result.rejection.detail).toBe('string');
  expect(result.rejection.detail.trim()).not.toBe('');
}

const parse = (value: unknown): ParseResult =>
  parseInbound(Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value) ?? ''));

/** A value of any JSON shape, including the ones that trip parsers (`__proto__`, huge numbers). */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    '',
    ' ',
    '\u0000',
    'm-\u0000',
    '\ud800',
    'x\udc00y',
    '💥'.repeat(200),
    "' OR 1=1 --",
    '../../etc/passwd',
    -1,
    0,
    1.5,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    true,
    '2026-02-30T10:00:00Z',
    '9999-99-99T99:99:99Z',
  ),
  // Objects are made afresh for every value: `mutate` defines properties on whatever object
  // it finds, and a shared constant `[]` given an own `constructor` once broke every later
  // property that used it (Array#map then threw in canonical JSON, a false failure).
  fc
    .constantFrom(
      () => [],
      () => ({}),
      () => ({ __proto__: { polluted: true } }),
      () => JSON.parse('{"__proto__":{"polluted":true}}') as unknown,
    )
    .map((make) => make()),
);

/** One mutation of a valid event: a field (of the envelope or of data) removed or replaced. */
const mutation = fc.record({
  where: fc.constantFrom('envelope', 'data'),
  op: fc.constantFrom('delete', 'replace', 'add'),
  pick: fc.nat(),
  value: hostileValue,
  name: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor')),
});

function mutate(
  event: Record<string, unknown>,
  changes: Array<typeof mutation extends fc.Arbitrary<infer T> ? T : never>,
): unknown {
  const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
  for (const change of changes) {
    const target =
      change.where === 'data' && typeof copy.data === 'object' && copy.data !== null
        ? (copy.data as Record<string, unknown>)
        : copy;
    const keys = Object.keys(target);
    const key =
      change.op === 'add' || keys.length === 0 ? change.name : keys[change.pick % keys.length];
    if (change.op === 'delete') delete target[key];
    else
      Object.defineProperty(target, key, {
        value: change.value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
  }
  return copy;
}

describe('parseInbound under fuzzing', () => {
  afterEach(() => {
    // A prototype-polluting payload would show up on every object.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers random bytes with a reason and a detail, never by throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_048 }), (bytes) => {
        expectAnswer(parseInbound(Buffer.from(bytes)));
      }),
      runs,
    );
  });

  it('answers random JSON (any shape, any depth up to 6) the same way', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expectAnswer(parse(value));
      }),
      runs,
    );
  });

  it('answers random objects carrying the CloudEvents attribute names', () => {
    const envelope = fc.record(
      {
        specversion: fc.oneof(fc.constant('1.0'), hostileValue),
        id: hostileValue,
        source: hostileValue,
        type: fc.oneof(fc.constantFrom(...InboundTypes), hostileValue),
        time: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          hostileValue,
        ),
        subject: hostileValue,
        datacontenttype: hostileValue,
        data: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), hostileValue), hostileValue),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(envelope, (value) => expectAnswer(parse(value))),
      runs,
    );
  });

  it('answers every mutation of a valid event of each type, and accepts the unmutated ones', () => {
    for (const event of validEvents('m-fuzz')) expect(parse(event)).toMatchObject({ ok: true });
    fc.assert(
      fc.property(
        fc.constantFrom(...validEvents('m-fuzz')),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (event, changes) => expectAnswer(parse(mutate(event, changes))),
      ),
      { numRuns: 1_000 },
    );
  });

  it('rejects strings PostgreSQL cannot store, anywhere in the event', () => {
    // Found by this suite: a member id or any data field holding U+0000 or a lone surrogate
    // was forwarded, and accounts' write failed on it for ever (a stuck partition).
    const [purchase] = validEvents('m-nul');
    const cases = [
      { ...purchase, subject: 'm-\u0000', data: { ...purchase.data, memberId: 'm-\u0000' } },
      { ...purchase, data: { ...purchase.data, orderId: 'o-\ud800' } },
      { ...purchase, data: { ...purchase.data, storeId: '\udfff' } },
      { ...purchase, id: 'e-\u0000' },
      { ...purchase, source: 'pos/\ud800' },
      { ...purchase, data: { ...purchase.data, 'x\u0000': 1 } },
    ];
    for (const event of cases) {
      expect(parse(event)).toMatchObject({ ok: false, rejection: { reason: 'invalid' } });
    }
    // Paired surrogates (emoji) are ordinary text.
    expect(parse({ ...purchase, data: { ...purchase.data, orderId: 'o-💳' } })).toMatchObject({
      ok: true,
    });
  });

  it('rejects data nested deeper than the contract needs instead of overflowing the stack', () => {
    // Found by this suite: 30,000 nested arrays fit in 64 KiB and made validation throw a
    // RangeError, which the ingestion consumer retried forever (a stuck partition).
    // Built as text: JSON.stringify itself recurses and would overflow first.
    const [purchase] = validEvents('m-deep');
    const withData = (field: string, depth: number) => {
      const prefix = JSON.stringify({ ...purchase, data: { ...purchase.data } }).slice(0, -2);
      return Buffer.from(`${prefix},"${field}":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
    };
    expect(JSON.parse(withData('x', 2).toString()).data.x).toEqual([[]]);
    const largest = Math.floor((MaxInboundBytes - withData('items', 0).length) / 2);
    expect(withData('items', largest).length).toBeLessThanOrEqual(MaxInboundBytes);
    for (const depth of [MaxDataDepth, 1_000, largest]) {
      for (const field of ['items', 'x']) {
        const result = parseInbound(withData(field, depth));
        expect(result).toMatchObject({
          ok: false,
          rejection: { reason: 'invalid', detail: expect.stringContaining(`data.${field}`) },
        });
      }
    }
  });
});

const partners = RETAIL_CHAIN_V1.partners!;
const secrets = {
  'airline-x': 'airline-x-fuzz-secret-0123456789',
  'hotel-y': 'hotel-y-fuzz-secret-0123456789',
};
const allianceReasons = [
  'unknown_partner',
  'bad_signature',
  'rate_mismatch',
  'units_mismatch',
  'malformed',
];

const conversion = fc
  .record({
    messageId: fc.stringMatching(/^[a-z0-9-]{1,24}$/),
    partnerId: fc.constantFrom('airline-x', 'hotel-y'),
    type: fc.constantFrom('credit', 'debit'),
    memberId: fc.stringMatching(/^m-[a-z0-9]{1,12}$/),
    partnerMemberRef: fc.stringMatching(/^[A-Z0-9-]{1,12}$/),
    points: fc.integer({ min: 1, max: 50_000 }),
    occurredAt: fc
      .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
  })
  .map((m) => {
    const rate = partners.find((p) => p.partnerId === m.partnerId)!.unitsPer100Points;
    return { ...m, rate, partnerUnits: Math.floor((m.points * rate) / 100) };
  });

const signedConversion = conversion.map((m) =>
  signed(m, secrets[m.partnerId as keyof typeof secrets]),
);

describe('alliance settlement messages under fuzzing', () => {
  it('accepts every correctly signed, consistent conversion (the generator is sound)', () => {
    fc.assert(
      fc.property(signedConversion, (m) => {
        expect(checkMessage(m, partners, secrets)).toMatchObject({ ok: true });
      }),
      runs,
    );
  });

  it('answers any JSON value or random object with a reason, never by throwing', () => {
    const fields = fc.record(
      {
        messageId: hostileValue,
        partnerId: fc.oneof(
          fc.constantFrom('airline-x', 'hotel-y', '__proto__', 'constructor', 'toString'),
          hostileValue,
        ),
        type: hostileValue,
        memberId: hostileValue,
        points: hostileValue,
        partnerUnits: hostileValue,
        rate: hostileValue,
        occurredAt: hostileValue,
        signature: fc.oneof(hostileValue, fc.stringMatching(/^[0-9a-f]{64}$/)),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fields), (body) => {
        const checked = checkMessage(body, partners, secrets);
        // Nothing here is signed with a partner's secret, so nothing may pass.
        expect(checked.ok).toBe(false);
        if (!checked.ok) {
          expect(allianceReasons).toContain(checked.reason);
          expect(checked.detail.trim()).not.toBe('');
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('never verifies a message whose signature was mutated', () => {
    const signatureMutation = fc.oneof(
      // One hex digit changed.
      fc.record({ at: fc.nat(63), by: fc.integer({ min: 1, max: 15 }) }).map(
        ({ at, by }) =>
          (s: string) =>
            s.slice(0, at) + ((parseInt(s[at], 16) + by) % 16).toString(16) + s.slice(at + 1),
      ),
      // Truncated, extended, upper-cased garbage, another message's signature, empty.
      fc.nat(63).map((n) => (s: string) => s.slice(0, n)),
      fc.constant((s: string) => `${s}00`),
      fc.constant((s: string) => s.split('').reverse().join('')),
      fc.constant(() => '0'.repeat(64)),
      fc.constant(() => ''),
      fc.stringMatching(/^[0-9a-f]{64}$/).map((other) => () => other),
    );
    fc.assert(
      fc.property(signedConversion, signatureMutation, (m, change) => {
        const mutated = { ...m, signature: change(m.signature) };
        fc.pre(mutated.signature.toLowerCase() !== m.signature);
        expect(verify(mutated, secrets[m.partnerId as keyof typeof secrets])).toBe(false);
        expect(checkMessage(mutated, partners, secrets)).toMatchObject({
          ok: false,
          reason: 'bad_signature',
        });
      }),
      { numRuns: 1_000 },
    );
  });

  it('never verifies a message whose fields were changed, added or removed after signing', () => {
    const fieldMutation = fc.record({
      op: fc.constantFrom('replace', 'delete', 'add', 'retype'),
      pick: fc.nat(),
      value: hostileValue,
      name: fc.string({ minLength: 1, maxLength: 10 }),
    });
    fc.assert(
      fc.property(signedConversion, fieldMutation, (m, change) => {
        const { signature, ...fields } = m as Record<string, unknown>;
        const keys = Object.keys(fields);
        const key = keys[change.pick % keys.length];
        const mutated: Record<string, unknown> = { ...fields };
        if (change.op === 'delete') delete mutated[key];
        else if (change.op === 'add') mutated[`x-${change.name}`] = change.value;
        else if (change.op === 'retype')
          mutated[key] =
            String(mutated[key]) === mutated[key] ? [mutated[key]] : String(mutated[key]);
        else mutated[key] = change.value;
        // A change that leaves the canonical bytes as they were is no change.
        fc.pre(sign(mutated, 'x'.repeat(16)) !== sign(fields, 'x'.repeat(16)));
        mutated.signature = signature;
        const secret = secrets[m.partnerId as keyof typeof secrets];
        expect(verify(mutated, secret)).toBe(false);
        const checked = checkMessage(mutated, partners, secrets);
        expect(checked.ok).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });

  it("never verifies one partner's message signed with another partner's secret", () => {
    fc.assert(
      fc.property(signedConversion, (m) => {
        const other = m.partnerId === 'airline-x' ? 'hotel-y' : 'airline-x';
        const forged = signed({ ...m, signature: undefined }, secrets[other]);
        expect(checkMessage(forged, partners, secrets)).toMatchObject({
          ok: false,
          reason: 'bad_signature',
        });
      }),
      runs,
    );
  });

  it('rejects a message nested thousands of levels deep instead of overflowing the stack', () => {
    // Found by this suite: canonical JSON recursed until a RangeError, which the alliance
    // consumer retried forever (a stuck partition).
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown;
    const m = {
      ...signed({ messageId: 'd', partnerId: 'airline-x' }, secrets['airline-x']),
      x: deep,
    };
    expect(() => checkMessage(m, partners, secrets)).not.toThrow();
    expect(checkMessage(m, partners, secrets)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });
});
