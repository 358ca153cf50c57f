import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DeadLetter, InboundCommandMessage, Topics } from '@jifen/contracts';
import { groupId } from '@jifen/messaging';
import { serviceConfigFromEnv } from '@jifen/platform';
import {
  cloudEvent,
  createTestContext,
  eventually,
  publishCloudEvents,
  randomMemberId,
  TcpProxy,
  TestContext,
  TopicReader,
} from '@jifen/testing';
import { IngestionModule } from '../ingestion.module';
import { IngestionStats } from './ingestion-stats';

describe('ingestion over the real broker', () => {
  let ctx: TestContext;
  let proxy: TcpProxy;
  let app: INestApplication | undefined;
  let commands: TopicReader;
  let dlq: TopicReader;

  // The service reaches PostgreSQL through a proxy the test can cut.
  const start = async () => {
    const url = new URL(ctx.databaseUrl);
    url.host = `127.0.0.1:${proxy.port}`;
    const config = serviceConfigFromEnv('ingestion', ctx.env({ DATABASE_URL: url.toString() }));
    app = await NestFactory.create(IngestionModule.forRoot(config), { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    return app;
  };
  const stop = async () => {
    await app?.close();
    app = undefined;
  };
  const stats = () => app!.get(IngestionStats).read();
  const publish = (...events: Parameters<typeof publishCloudEvents>[2]) =>
    publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), events);
  const publishRaw = (key: string, value: Buffer) =>
    ctx.producer.send({ topic: ctx.topic(Topics.inbound), messages: [{ key, value }] });

  beforeAll(async () => {
    ctx = await createTestContext();
    const db = new URL(ctx.databaseUrl);
    proxy = await TcpProxy.start(db.hostname, Number(db.port || 5432));
    commands = await TopicReader.start(ctx.kafka, ctx.topic(Topics.commands));
    dlq = await TopicReader.start(ctx.kafka, ctx.topic(Topics.inboundDlq));
    await start();
  });

  afterAll(async () => {
    await stop();
    await commands?.stop();
    await dlq?.stop();
    await proxy?.stop();
    await ctx?.dispose();
  });

  it('forwards a valid event to accounts as a command keyed by the member id', async () => {
    const memberId = randomMemberId();
    const purchase = cloudEvent('purchase.completed', {
      memberId,
      orderId: 'o-1',
      amountMinor: 129900,
      currency: 'CNY',
    });
    await publish(purchase);

    const [command] = (await commands.waitFor(1)).filter((m) => m.key === memberId);
    expect(command.json<InboundCommandMessage>()).toMatchObject({
      kind: 'inbound',
      memberId,
      event: {
        type: 'purchase.completed',
        id: purchase.id,
        source: purchase.source,
        data: purchase.data,
      },
      origin: { topic: ctx.topic(Topics.inbound), key: memberId },
    });
  });

  it("forwards a batch whose commands together exceed the broker's largest request", async () => {
    // 400 purchases of about 6 KB each: their commands come to about 5 MB, far over the
    // broker's 1 MiB per request; sent at once they would be refused, and retried, forever.
    const memberId = randomMemberId();
    const items = Array.from({ length: 60 }, (_, i) => ({
      sku: `sku-${i}-${'x'.repeat(40)}`,
      quantity: 1,
      unitPriceMinor: 100,
    }));
    const purchases = Array.from({ length: 400 }, (_, i) =>
      cloudEvent('purchase.completed', {
        memberId,
        orderId: `big-${i}`,
        amountMinor: 6_000,
        currency: 'CNY',
        items,
      }),
    );
    // Upstream sends under the limit too; ingestion fetches up to 1 MiB per partition, whose
    // commands (the original bytes in base64 plus the parsed event) are over twice as large.
    for (let i = 0; i < purchases.length; i += 100) await publish(...purchases.slice(i, i + 100));
    await eventually(
      () => expect(commands.messages.filter((m) => m.key === memberId)).toHaveLength(400),
      {
        timeoutMs: 30_000,
      },
    );
  });

  it('dead-letters what it cannot apply, with the reason, the detail and the original bytes', async () => {
    const memberId = randomMemberId();
    const notJson = Buffer.from('{"specversion": "1.0", oops');
    const tooBig = Buffer.from(
      JSON.stringify(cloudEvent('member.checked_in', { memberId, padding: 'x'.repeat(70_000) })),
    );
    await publishRaw(memberId, notJson);
    await publishRaw(memberId, tooBig);
    await publish(
      cloudEvent('purchase.completed', { memberId, orderId: 'o', amountMinor: 0, currency: 'CNY' }),
      cloudEvent('coupon.used', { memberId }),
      cloudEvent('purchase.completed', {
        memberId,
        orderId: 'o',
        amountMinor: 100,
        currency: 'USD',
      }),
    );

    const ours = await eventually(() => {
      const found = dlq.messages.filter((m) => m.key === memberId).map((m) => m.json<DeadLetter>());
      expect(found).toHaveLength(5);
      return found;
    });
    expect(ours.map((d) => [d.reason, d.detail])).toEqual([
      ['malformed', 'the message is not JSON'],
      [
        'malformed',
        expect.stringMatching(/^the message is \d+ bytes; inbound events are at most 65536 bytes$/),
      ],
      ['invalid', 'data.amountMinor must be a positive integer (minor units)'],
      ['unknown_type', 'type "coupon.used" is not an inbound event type of the contract'],
      ['unsupported_currency', 'currency "USD" is not supported; amounts must be in CNY'],
    ]);
    expect(Buffer.from(ours[0].original, 'base64')).toEqual(notJson);
    expect(ours[0]).toMatchObject({ key: memberId, topic: ctx.topic(Topics.inbound) });
    expect(ours[0].offset).toMatch(/^\d+$/);
    expect(Date.parse(ours[0].failedAt)).not.toBeNaN();
  });

  it('counts every message once: received = forwarded + duplicates + dead-lettered', async () => {
    const s = await eventually(async () => {
      const current = await stats();
      // 1 forwarded, 400 forwarded in one large batch, 5 dead-lettered.
      expect(current.received).toBe(406);
      return current;
    });
    expect(s).toMatchObject({
      received: 406,
      forwarded: 401,
      duplicates: 0,
      deadLettered: { malformed: 2, invalid: 1, unknown_type: 1, unsupported_currency: 1 },
    });
    expect(s.byType['purchase.completed']).toMatchObject({
      received: 403,
      forwarded: 401,
      deadLettered: { invalid: 1, unsupported_currency: 1 },
    });
    const deadLettered = Object.values(s.deadLettered).reduce((a, b) => a + b, 0);
    expect(s.forwarded! + s.duplicates + deadLettered).toBe(s.received);
  });

  it('a whole batch delivered again after a crash before the offset commit changes nothing', async () => {
    const before = await stats();
    const commandsBefore = commands.messages.length;
    await stop();
    // As if the offsets had never been committed: the group starts again from offset 0.
    const admin = ctx.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({
      groupId: groupId({ topicPrefix: ctx.topicPrefix }, 'jifen-ingestion'),
      topic: ctx.topic(Topics.inbound),
      earliest: true,
    });
    await admin.disconnect();
    await start();

    const memberId = randomMemberId();
    await publish(cloudEvent('member.checked_in', { memberId }));
    await eventually(async () => expect((await stats()).received).toBe(before.received + 1));
    expect(commands.messages.length).toBe(commandsBefore + 1);
    expect((await stats()).forwarded).toBe(before.forwarded! + 1);
  });

  it('a database outage pauses consumption; nothing is lost or dead-lettered for it', async () => {
    const before = await stats();
    const dlqBefore = dlq.messages.length;
    const memberIds = [randomMemberId(), randomMemberId(), randomMemberId()];

    proxy.cut();
    await publish(...memberIds.map((memberId) => cloudEvent('member.checked_in', { memberId })));
    // Long enough for several failed attempts.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    proxy.restore();

    await eventually(() =>
      expect(
        commands.messages.filter((m) => memberIds.includes(m.key!)).length,
      ).toBeGreaterThanOrEqual(3),
    );
    await eventually(async () => expect((await stats()).received).toBe(before.received + 3));
    expect((await stats()).forwarded).toBe(before.forwarded! + 3);
    expect(dlq.messages.length).toBe(dlqBefore);
  });
});
