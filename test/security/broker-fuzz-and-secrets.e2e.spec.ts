import fc from 'fast-check';
import { DeadLetter, parseInbound, RejectionReasons, Topics } from '@jifen/contracts';
import {
  cloudEvent,
  createTestContext,
  eventually,
  matrixKeys,
  publishCloudEvents,
  randomMemberId,
  TestContext,
  TopicReader,
} from '@jifen/testing';
import { sign, signed } from '../../apps/redemption/src/alliance/signature';
import { call, RunningService, startService } from './hostile-input';
import { validEvents } from './valid-events';

// Junk through the real broker into running ingestion, accounts and redemption: no crash, no
// stuck partition, every inbound message forwarded or dead-lettered with a reason, nothing
// changed by a rejection. The same run is the secrets scenario: every log line (debug level),
// every /metrics text, every error body and every DLQ and outbound record is searched for the
// API keys and partner secrets.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = Record<string, any>;

const secrets = {
  'airline-x': `airline-x-${'s3cr3t'.repeat(4)}-${Math.random().toString(36).slice(2)}`,
  'hotel-y': `hotel-y-${'s3cr3t'.repeat(4)}-${Math.random().toString(36).slice(2)}`,
};

describe('hostile messages through the broker, and secrets nowhere', () => {
  let ctx: TestContext;
  const keys = matrixKeys();
  const logLines: string[] = [];
  const services: Record<string, RunningService> = {};
  const errorBodies: string[] = [];
  let dlq: TopicReader;
  let outbound: TopicReader;
  const memberId = randomMemberId();
  const url = (service: string) => services[service].url;
  const get = async (service: string, path: string, key: string = keys.admin) => {
    const answer = await call(url(service), 'GET', path, key);
    if (answer.status >= 400) errorBodies.push(answer.text);
    return { ...answer, json: answer.json as Answer | undefined };
  };
  const balance = async () => (await get('accounts', `/members/${memberId}`)).json?.balance;

  beforeAll(async () => {
    ctx = await createTestContext();
    dlq = await TopicReader.start(ctx.kafka, ctx.topic(Topics.inboundDlq));
    outbound = await TopicReader.start(ctx.kafka, ctx.topic(Topics.allianceOutbound));
    const env = {
      JIFEN_API_KEYS: keys.env,
      JIFEN_PARTNER_SECRETS: Object.entries(secrets)
        .map(([partner, secret]) => `${partner}:${secret}`)
        .join(','),
    };
    for (const service of ['ingestion', 'accounts', 'redemption'] as const) {
      services[service] = await startService(ctx, service, env, logLines);
    }
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), [
      cloudEvent('member.signed_up', { memberId }),
    ]);
    await eventually(async () => expect(await balance()).toBe(50));
  });

  afterAll(async () => {
    for (const service of Object.values(services).reverse()) await service.app.close();
    await dlq?.stop();
    await outbound?.stop();
    await ctx?.dispose();
  });

  it('dead-letters every junk inbound message with a reason, then applies a valid one behind it', async () => {
    const statsBefore = (await get('ingestion', '/stats')).json!;
    // Junk only (the parser is the oracle for "junk"; what it accepts would legitimately
    // change state), all keyed by one member so that they share that member's partition.
    const mutatedEvent = fc
      .tuple(
        fc.constantFrom(...validEvents(memberId)),
        fc.constantFrom('specversion', 'id', 'source', 'type', 'time', 'subject', 'data'),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('', '\u0000', '\ud800', 'x')),
      )
      .map(([event, field, value]) => Buffer.from(JSON.stringify({ ...event, [field]: value })));
    const junk = fc
      .sample(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
          fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? '')),
          mutatedEvent,
        ),
        200,
      )
      .filter((bytes) => !parseInbound(bytes).ok);
    const [purchase] = validEvents(memberId);
    const prefix = JSON.stringify(purchase).slice(0, -2);
    junk.push(
      // Poison messages found by the parser fuzz: they used to stop the partition for good.
      Buffer.from(`${prefix},"items":${'['.repeat(25_000)}${']'.repeat(25_000)}}}`),
      Buffer.from(
        JSON.stringify({ ...purchase, id: 'nul', data: { ...purchase.data, orderId: 'o-\u0000' } }),
      ),
      Buffer.alloc(70 * 1024, 'x'),
      Buffer.alloc(0),
    );
    await ctx.producer.send({
      topic: ctx.topic(Topics.inbound),
      messages: junk.map((value) => ({ key: memberId, value })),
    });
    // Behind the junk, on the same partition: applied, so nothing is stuck.
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), [
      cloudEvent('member.checked_in', { memberId }),
    ]);
    await eventually(async () => expect(await balance()).toBe(55), { timeoutMs: 30_000 });

    const records = await eventually(() => {
      const mine = dlq.messages.filter((m) => m.key === memberId).map((m) => m.json<DeadLetter>());
      expect(mine).toHaveLength(junk.length);
      return mine;
    });
    for (const record of records) {
      expect(RejectionReasons).toContain(record.reason);
      expect(record.detail.trim()).not.toBe('');
    }
    const stats = await eventually(async () => {
      const now = (await get('ingestion', '/stats')).json!;
      expect(now.received - statsBefore.received).toBe(junk.length + 1);
      return now;
    });
    const deadLettered = Object.values(stats.deadLettered as Record<string, number>).reduce(
      (a, n) => a + n,
      0,
    );
    expect(stats.received).toBe(stats.forwarded + stats.duplicates + deadLettered);

    // Nothing but the sign-up and the check-in reached the ledger.
    const ledger = (await get('accounts', `/members/${memberId}/ledger`, keys['member-app'])).json!;
    expect(ledger.entries.map((e: Answer) => [e.kind, e.points])).toEqual([
      ['earn', 5],
      ['earn', 50],
    ]);
  });

  it('rejects junk and tampered settlement messages, then settles a valid one behind them', async () => {
    const base = () => ({
      messageId: `fz-${Math.random().toString(36).slice(2)}`,
      partnerId: 'airline-x',
      type: 'credit',
      memberId,
      partnerMemberRef: 'AX-1',
      points: 1_000,
      partnerUnits: 80,
      rate: 8,
      occurredAt: '2026-11-20T10:00:00+08:00',
    });
    const tampered = fc
      .tuple(
        fc.constantFrom(
          'messageId',
          'type',
          'memberId',
          'points',
          'partnerUnits',
          'rate',
          'occurredAt',
        ),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(2_000, 'debit', '\u0000')),
      )
      .map(([field, value]) => {
        const message = signed(base(), secrets['airline-x']);
        return { ...message, [field]: value };
      })
      .filter((m) => sign(m, secrets['airline-x']) !== m.signature);
    const badSignature = fc
      .stringMatching(/^[0-9a-f]{64}$/)
      .map((signature) => ({ ...base(), signature }));
    const otherPartnersKey = fc.constant(null).map(() => signed(base(), secrets['hotel-y']));
    const junk: Array<string | Buffer> = fc
      .sample(
        fc.oneof(
          tampered,
          badSignature,
          otherPartnersKey,
          fc.jsonValue({ maxDepth: 3 }),
          fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
        ),
        120,
      )
      .map((value) => (Buffer.isBuffer(value) ? value : (JSON.stringify(value) ?? '')));
    junk.push(
      `{"partnerId":"airline-x","signature":"${'0'.repeat(64)}","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      '{"partnerId":{"toString":1}}',
      JSON.stringify({ partnerId: 'airline-\u0000', messageId: 'm-\u0000' }),
    );
    await ctx.producer.send({
      topic: ctx.topic(Topics.allianceInbound),
      messages: junk.map((value) => ({ key: 'airline-x', value })),
    });
    const valid = signed(base(), secrets['airline-x']);
    await ctx.producer.send({
      topic: ctx.topic(Topics.allianceInbound),
      messages: [{ key: 'airline-x', value: JSON.stringify(valid) }],
    });
    const ack = await eventually(
      () => {
        const found = outbound.messages
          .map((m) => m.json<Answer>())
          .find((m) => m.inReplyTo === valid.messageId);
        expect(found).toBeDefined();
        return found!;
      },
      { timeoutMs: 30_000 },
    );
    expect(ack).toMatchObject({ status: 'accepted', points: 1_000 });
    await eventually(async () => expect(await balance()).toBe(1_055));
    // Every other acknowledgement is a rejection: no tampered message was accepted.
    const accepted = outbound.messages
      .map((m) => m.json<Answer>())
      .filter((m) => m.type === 'ack' && m.status === 'accepted');
    expect(accepted.map((m) => m.inReplyTo)).toEqual([valid.messageId]);
  });

  it('runs a redemption, refusals and 401s, and no key or secret appears anywhere', async () => {
    const redemption = await call(url('redemption'), 'POST', '/redemptions', keys['member-app'], {
      redemptionId: `r-${Date.now()}`,
      memberId,
      cashOffset: { orderId: 'o-secrets', points: 100 },
    });
    expect(redemption.status).toBe(201);
    await eventually(async () => expect(await balance()).toBe(955));

    // Refusals: no key, unknown keys (one a near miss of the admin key), wrong roles, junk.
    const nearMiss = `${keys.admin.slice(0, -1)}${keys.admin.endsWith('A') ? 'B' : 'A'}`;
    const attempts: Array<[string, string, string, string | undefined, unknown?]> = [
      ['accounts', 'GET', `/members/${memberId}`, undefined],
      ['accounts', 'GET', `/members/${memberId}`, nearMiss],
      ['accounts', 'GET', `/members/${memberId}`, secrets['airline-x']],
      ['redemption', 'POST', '/redemptions', keys.analyst, { redemptionId: 'x' }],
      ['accounts', 'POST', '/admin/rules', keys['member-app'], {}],
      ['accounts', 'POST', `/members/${memberId}/transfers`, keys['member-app'], { points: 'all' }],
      ['redemption', 'POST', '/redemptions', keys['member-app'], '{"not json'],
      ['accounts', 'GET', `/members/${memberId}/ledger?limit=9999`, keys.admin],
      ['redemption', 'GET', '/alliance/partners/airline-x/statements/2026-02-30', keys.admin],
    ];
    for (const [service, method, path, key, body] of attempts) {
      const answer = await call(url(service), method, path, key, body);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      errorBodies.push(answer.text);
    }
    // A key sent in a malformed header is not echoed either.
    const odd = await call(url('accounts'), 'GET', '/rules', undefined, undefined, {
      authorization: `Basic ${keys.admin}`,
    });
    expect(odd.status).toBe(401);
    errorBodies.push(odd.text);

    const texts: Array<[string, string]> = [
      ...logLines.map((line, i): [string, string] => [`log line ${i}`, line]),
      ...errorBodies.map((body, i): [string, string] => [`error body ${i}`, body]),
      ...dlq.messages.map((m): [string, string] => [`DLQ ${m.partition}/${m.offset}`, m.value]),
      ...outbound.messages.map((m): [string, string] => [`outbound ${m.offset}`, m.value]),
    ];
    for (const service of Object.keys(services)) {
      texts.push([
        `${service} /metrics`,
        (await call(url(service), 'GET', '/metrics', undefined)).text,
      ]);
      texts.push([`${service} /admin/config`, (await get(service, '/admin/config')).text]);
    }
    // The scan is not vacuous: the scenario was logged, with requests and rejections.
    expect(logLines.length).toBeGreaterThan(50);
    expect(logLines.some((line) => line.includes('"status":401'))).toBe(true);
    expect(errorBodies.length).toBeGreaterThan(5);

    const needles = [
      ...Object.entries(keys)
        .filter(([role]) => role !== 'env')
        .map(([role, key]) => [`${role} API key`, key]),
      ['near-miss key', nearMiss],
      ...Object.entries(secrets).map(([partner, secret]) => [`${partner} secret`, secret]),
    ];
    const found: string[] = [];
    for (const [name, needle] of needles) {
      // Also as base64 (a DLQ record's `original` is base64) and percent-encoded.
      const forms = [
        needle,
        Buffer.from(needle).toString('base64').slice(0, 20),
        encodeURIComponent(needle),
      ];
      for (const [where, text] of texts) {
        if (forms.some((form) => text.includes(form))) found.push(`${name} in ${where}`);
      }
    }
    expect(found).toEqual([]);
  });
});
