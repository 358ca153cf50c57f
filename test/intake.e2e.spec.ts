import { INestApplication } from '@nestjs/common';
import { DeadLetter, Topics } from '@jifen/contracts';
import { IntakeStats } from '@jifen/messaging';
import { createServiceApp, serviceConfigFromEnv, ServiceName } from '@jifen/platform';
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
import { Pool } from 'pg';
import { replayDeadLetters } from '../apps/ingestion/src/dlq/replay';
import { IngestionModule } from '../apps/ingestion/src/ingestion.module';
import { AccountsModule } from '../apps/accounts/src/accounts.module';

// From the inbound topic to a balance: ingestion and accounts running over the real broker and
// database, called over HTTP as members' apps and analysts do.
describe('inbound events applied once by accounts, or dead-lettered with a reason', () => {
  let ctx: TestContext;
  const apps: INestApplication[] = [];
  const urls: Partial<Record<ServiceName, string>> = {};
  let dlq: TopicReader;
  const keys = matrixKeys();

  const start = async (service: 'ingestion' | 'accounts') => {
    const config = serviceConfigFromEnv(
      service,
      ctx.env({ JIFEN_API_KEYS: keys.env, JIFEN_JOBS_SCHEDULE: 'off' }),
    );
    const root =
      service === 'ingestion' ? IngestionModule.forRoot(config) : AccountsModule.forRoot(config);
    const app = await createServiceApp(root, config, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    urls[service] = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  };
  const get = async (service: ServiceName, path: string, key = keys.admin) => {
    const response = await fetch(`${urls[service]}${path}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const publish = (...events: Parameters<typeof publishCloudEvents>[2]) =>
    publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), events);
  const balanceOf = async (memberId: string) =>
    (await get('accounts', `/members/${memberId}`)).body.balance;

  beforeAll(async () => {
    ctx = await createTestContext();
    dlq = await TopicReader.start(ctx.kafka, ctx.topic(Topics.inboundDlq));
    await start('ingestion');
    await start('accounts');
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await dlq?.stop();
    await ctx?.dispose();
  });

  it('enrols on sign-up, earns on purchase, and applies a thrice-delivered purchase once', async () => {
    const memberId = randomMemberId();
    const purchase = cloudEvent('purchase.completed', {
      memberId,
      orderId: 'o-1',
      amountMinor: 12_345,
      currency: 'CNY',
    });
    await publish(cloudEvent('member.signed_up', { memberId }), purchase, purchase, purchase);

    // 50 for signing up, floor(12,345 / 100) = 123 for the purchase.
    await eventually(async () => expect(await balanceOf(memberId)).toBe(173));
    const { body } = await get(
      'accounts',
      `/members/${memberId}/ledger?limit=10`,
      keys['member-app'],
    );
    const entries = body.entries as Array<{ kind: string; points: number; explanation: string }>;
    expect(entries.map((e) => [e.kind, e.points])).toEqual([
      ['earn', 123],
      ['earn', 50],
    ]);
    expect(entries[0].explanation).toMatch(/123/);
  });

  it('enrols a member implicitly on a first purchase, without a sign-up bonus', async () => {
    const memberId = randomMemberId();
    await publish(
      cloudEvent('purchase.completed', {
        memberId,
        orderId: 'o',
        amountMinor: 10_000,
        currency: 'CNY',
      }),
    );
    await eventually(async () => expect(await balanceOf(memberId)).toBe(100));
  });

  it('credits the referrer through a command of its own', async () => {
    const referrerId = randomMemberId();
    const refereeId = randomMemberId();
    await publish(cloudEvent('member.signed_up', { memberId: referrerId }));
    await eventually(async () => expect(await balanceOf(referrerId)).toBe(50));
    await publish(cloudEvent('member.signed_up', { memberId: refereeId, referrerId }));
    await eventually(async () => expect(await balanceOf(refereeId)).toBe(100));
    await eventually(async () => expect(await balanceOf(referrerId)).toBe(100));
  });

  it('dead-letters the rejections that need a member state, in the same record shape', async () => {
    const member = randomMemberId();
    const stranger = randomMemberId();
    const selfReferrer = randomMemberId();
    const referred = randomMemberId();
    await publish(
      cloudEvent('member.signed_up', { memberId: member }),
      cloudEvent('purchase.completed', {
        memberId: member,
        orderId: 'o-9',
        amountMinor: 5_000,
        currency: 'CNY',
      }),
      cloudEvent('member.signed_up', { memberId: member }),
      cloudEvent('purchase.refunded', {
        memberId: member,
        orderId: 'nope',
        refundId: 'r-1',
        amountMinor: 100,
      }),
      cloudEvent('purchase.refunded', {
        memberId: member,
        orderId: 'o-9',
        refundId: 'r-2',
        amountMinor: 5_001,
      }),
      cloudEvent('member.checked_in', { memberId: stranger }),
      cloudEvent('member.signed_up', { memberId: selfReferrer, referrerId: selfReferrer }),
      cloudEvent('member.signed_up', { memberId: referred, referrerId: randomMemberId('ghost') }),
    );
    const reasonsFor = (memberId: string) =>
      dlq.messages.filter((m) => m.key === memberId).map((m) => m.json<DeadLetter>().reason);
    await eventually(() => {
      expect(reasonsFor(member)).toEqual([
        'already_enrolled',
        'unknown_order',
        'refund_exceeds_order',
      ]);
      expect(reasonsFor(stranger)).toEqual(['unknown_member']);
      expect(reasonsFor(selfReferrer)).toEqual(['self_referral']);
      expect(reasonsFor(referred)).toEqual(['unknown_referrer']);
    });
    const record = dlq.messages.find((m) => m.key === stranger)!.json<DeadLetter>();
    expect(record).toMatchObject({
      topic: ctx.topic(Topics.inbound),
      reason: 'unknown_member',
      detail: expect.any(String),
    });
    expect(JSON.parse(Buffer.from(record.original, 'base64').toString('utf8'))).toMatchObject({
      type: 'member.checked_in',
    });
    // A refused event changes nothing.
    expect(await balanceOf(member)).toBe(100);
    expect((await get('accounts', `/members/${stranger}`)).status).toBe(404);
  });

  it('adds up: ingestion received = forwarded + dead-lettered; accounts received = applied + duplicates + dead-lettered', async () => {
    const [ingestion, accounts] = await eventually(async () => {
      const i = (await get('ingestion', '/stats', keys.analyst)).body as unknown as IntakeStats;
      const a = (await get('accounts', '/stats', keys.analyst)).body as unknown as IntakeStats;
      expect(a.received).toBe(i.forwarded);
      expect(a.applied! + a.duplicates + sum(a.deadLettered)).toBe(a.received);
      return [i, a];
    });
    expect(ingestion.received).toBe(
      ingestion.forwarded! + ingestion.duplicates + sum(ingestion.deadLettered),
    );
    expect(accounts.duplicates).toBe(2);
    expect(accounts.deadLettered).toEqual({
      already_enrolled: 1,
      unknown_order: 1,
      refund_exceeds_order: 1,
      unknown_member: 1,
      self_referral: 1,
      unknown_referrer: 1,
    });
    expect(accounts.byType['purchase.completed']).toMatchObject({
      received: 5,
      applied: 3,
      duplicates: 2,
    });
  });

  it('exposes the same counters and the consumer lag per partition on /metrics', async () => {
    const text = await (await fetch(`${urls.accounts}/metrics`)).text();
    expect(text).toMatch(
      /jifen_intake_messages_total\{event_type="purchase.completed",outcome="duplicates",reason="",service="accounts"\} 2\n/,
    );
    expect(text).toMatch(
      /jifen_intake_messages_total\{event_type="member.checked_in",outcome="dead_lettered",reason="unknown_member",service="accounts"\} 1\n/,
    );
    expect(text).toMatch(
      /jifen_consumer_lag_messages\{topic="[^"]+loyalty.internal.commands.v1",partition="\d+",service="accounts"\} \d+/,
    );
    // Accounts' cache of member states, and the events they stand for (two bounds).
    const gauge = (name: string) =>
      Number(new RegExp(`^${name}\\{service="accounts"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(gauge('jifen_member_cache_members')).toBeGreaterThan(0);
    expect(gauge('jifen_member_cache_events')).toBeGreaterThanOrEqual(
      gauge('jifen_member_cache_members'),
    );
    const ingestion = await (await fetch(`${urls.ingestion}/metrics`)).text();
    expect(ingestion).toMatch(
      /jifen_intake_messages_total\{event_type="purchase.completed",outcome="forwarded",reason="",service="ingestion"\} \d+/,
    );
    // Where publish-to-visible goes: each stage's wait, message by message.
    const waited = (text: string, topic: string) =>
      Number(
        new RegExp(
          `^jifen_message_age_seconds_count\\{service="\\w+",topic="[^"]*${topic.replace(/\./g, '\\.')}"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1],
      );
    expect(waited(ingestion, 'loyalty.inbound.v1')).toBeGreaterThan(0);
    expect(waited(text, 'loyalty.internal.commands.v1')).toBeGreaterThan(0);
  });

  it('replays a dead letter once its cause is fixed, and only once', async () => {
    const memberId = randomMemberId();
    await publish(cloudEvent('member.checked_in', { memberId }));
    await eventually(() =>
      expect(
        dlq.messages.filter((m) => m.key === memberId).map((m) => m.json<DeadLetter>().reason),
      ).toEqual(['unknown_member']),
    );
    // The cause, fixed: the member signs up.
    await publish(cloudEvent('member.signed_up', { memberId }));
    await eventually(async () => expect(await balanceOf(memberId)).toBe(50));

    const pool = new Pool({
      connectionString: ctx.databaseUrl,
      options: `-c search_path=${ctx.schemaPrefix}ingestion`,
    });
    try {
      const replay = () =>
        replayDeadLetters({
          kafka: ctx.kafka,
          pool,
          topicPrefix: ctx.topicPrefix,
          reasons: ['unknown_member'],
        });
      const first = await replay();
      expect(first).toMatchObject({ matched: 2, replayed: 2, alreadyReplayed: 0 });
      // The check-in now applies: 5 points. The other unknown_member record (a stranger who
      // never enrolled) is dead-lettered again.
      await eventually(async () => expect(await balanceOf(memberId)).toBe(55));
      await eventually(() =>
        expect(dlq.messages.filter((m) => m.key === memberId)).toHaveLength(1),
      );
      // The stranger's record is back on the DLQ (accounts' outbox publishes it after the
      // check-in's balance is readable): the second replay must find it there.
      await eventually(() =>
        expect(
          dlq.messages.filter((m) => m.json<DeadLetter>().reason === 'unknown_member'),
        ).toHaveLength(3),
      );

      const second = await replay();
      expect(second).toMatchObject({ replayed: 1, alreadyReplayed: 2 });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await balanceOf(memberId)).toBe(55);
    } finally {
      await pool.end();
    }
  });
});

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
