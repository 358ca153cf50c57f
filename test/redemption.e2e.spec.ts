import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { RedemptionEvent, Topics } from '@jifen/contracts';
import { createServiceApp, quoteIdent, serviceConfigFromEnv, ServiceName } from '@jifen/platform';
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
import { AccountsModule } from '../apps/accounts/src/accounts.module';
import { IngestionModule } from '../apps/ingestion/src/ingestion.module';
import { RedemptionModule } from '../apps/redemption/src/redemption.module';

// The answers these tests read: loose on purpose, each test checks the fields it cares about.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = Record<string, any>;

// Redemption as a durable saga over the real broker and database: ingestion and accounts make
// members and balances, redemption reserves and redeems through accounts' commands topic.
describe('redemptions', () => {
  let ctx: TestContext;
  const apps = new Map<ServiceName, INestApplication>();
  const urls: Partial<Record<ServiceName, string>> = {};
  const keys = matrixKeys();
  let events: TopicReader;

  const start = async (service: ServiceName, extra: Record<string, string> = {}) => {
    const config = serviceConfigFromEnv(
      service,
      ctx.env({ JIFEN_API_KEYS: keys.env, JIFEN_JOBS_SCHEDULE: 'off', ...extra }),
    );
    const root =
      service === 'ingestion'
        ? IngestionModule.forRoot(config)
        : service === 'accounts'
          ? AccountsModule.forRoot(config)
          : RedemptionModule.forRoot(config);
    const app = await createServiceApp(root, config, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    apps.set(service, app);
    urls[service] = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  };
  const stop = async (service: ServiceName) => {
    await apps.get(service)?.close();
    apps.delete(service);
  };
  const call = async (
    service: ServiceName,
    method: string,
    path: string,
    body?: unknown,
    key = keys['member-app'],
  ) => {
    const response = await fetch(`${urls[service]}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Answer };
  };
  const member = async (memberId: string) =>
    (await call('accounts', 'GET', `/members/${memberId}`)).body;
  /** A member with `points` available: 50 for signing up, the rest from a purchase. */
  const memberWith = async (points: number) => {
    const memberId = randomMemberId();
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), [
      cloudEvent('member.signed_up', { memberId }),
      cloudEvent('purchase.completed', {
        memberId,
        orderId: 'o',
        amountMinor: (points - 50) * 100,
        currency: 'CNY',
      }),
    ]);
    await eventually(async () => expect((await member(memberId)).balance).toBe(points));
    return memberId;
  };
  const item = (itemId: string, fields: Record<string, unknown>) =>
    call(
      'redemption',
      'POST',
      '/admin/catalogue',
      { itemId, name: itemId, category: 'test', unitCostMinor: 50, ...fields },
      keys.admin,
    );
  const redeem = (body: Record<string, unknown>) =>
    call('redemption', 'POST', '/redemptions', body);
  const settled = async (redemptionId: string) =>
    eventually(
      async () => {
        const { body } = await call('redemption', 'GET', `/redemptions/${redemptionId}`);
        expect(body.status).not.toBe('pending');
        return body;
      },
      { timeoutMs: 30_000 },
    );

  beforeAll(async () => {
    ctx = await createTestContext();
    events = await TopicReader.start(ctx.kafka, ctx.topic(Topics.redemptionEvents));
    await start('ingestion');
    await start('accounts');
    await start('redemption');
  });

  afterAll(async () => {
    for (const service of [...apps.keys()].reverse()) await stop(service);
    await events?.stop();
    await ctx?.dispose();
  });

  it('seeds the retail-chain catalogue: ten categories or more, services and a charity donation', async () => {
    const { status, body } = await call('redemption', 'GET', '/catalogue', undefined, keys.analyst);
    expect(status).toBe(200);
    const categories = new Set(body.items.map((i: { category: string }) => i.category));
    expect(categories.size).toBeGreaterThanOrEqual(10);
    expect([...categories]).toEqual(expect.arrayContaining(['services', 'charity']));
  });

  it('50 concurrent redemptions against a balance that covers 10: exactly 10 confirmed, balance 0', async () => {
    const memberId = await memberWith(1_000);
    await item('hundred', { pointsPrice: 100 });
    const ids = Array.from({ length: 50 }, (_, i) => `${memberId}-r${i}`);
    await Promise.all(
      ids.map((redemptionId) =>
        redeem({ redemptionId, memberId, itemId: 'hundred', mode: 'points' }),
      ),
    );
    const outcomes = await Promise.all(ids.map(settled));
    expect(outcomes.filter((o) => o.status === 'confirmed')).toHaveLength(10);
    expect(outcomes.filter((o) => o.status === 'refused').map((o) => o.reason)).toEqual(
      Array(40).fill('insufficient_points'),
    );
    const view = await member(memberId);
    expect(view).toMatchObject({ balance: 0, reserved: 0 });
    expect(view.lifetime.redeemed).toBe(1_000);
  });

  it('20 concurrent requests for an item with stock 5: exactly 5', async () => {
    const memberId = await memberWith(5_000);
    await item('scarce', { pointsPrice: 200, stock: 5 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        redeem({ redemptionId: `${memberId}-s${i}`, memberId, itemId: 'scarce', mode: 'points' }),
      ),
    );
    const outOfStock = answers.filter((a) => a.status === 422 && a.body.reason === 'out_of_stock');
    expect(outOfStock).toHaveLength(15);
    const won = answers.filter((a) => a.status !== 422).map((a) => a.body.redemptionId as string);
    expect((await Promise.all(won.map(settled))).every((o) => o.status === 'confirmed')).toBe(true);
    const { body } = await call(
      'redemption',
      'GET',
      '/catalogue?category=test',
      undefined,
      keys.admin,
    );
    expect(body.items.find((i: { itemId: string }) => i.itemId === 'scarce').stock).toBe(0);
    expect((await member(memberId)).balance).toBe(5_000 - 5 * 200);
  });

  it('points + cash: reserves, shows reserved, and a failed payment releases points and stock', async () => {
    const memberId = await memberWith(3_000);
    await item('kettle', { pointsPrice: 12_900, cashPriceMinor: 15_900, stock: 3 });
    const first = await redeem({
      redemptionId: `${memberId}-pc`,
      memberId,
      itemId: 'kettle',
      mode: 'points_plus_cash',
      points: 5_000,
    });
    expect(first.status).toBe(422);
    // 5,000 points = 50.00 CNY, over 30% of 159.00 CNY (47.70).
    expect(first.body.reason).toBe('points_share_too_high');

    const reserved = await redeem({
      redemptionId: `${memberId}-pc2`,
      memberId,
      itemId: 'kettle',
      mode: 'points_plus_cash',
      points: 2_000,
    });
    expect(reserved.status).toBe(201);
    expect(reserved.body).toMatchObject({
      status: 'awaiting_payment',
      pointsDebited: 2_000,
      cashDueMinor: 13_900,
    });
    await eventually(async () =>
      expect(await member(memberId)).toMatchObject({ balance: 1_000, reserved: 2_000 }),
    );

    const failed = await call('redemption', 'POST', `/redemptions/${memberId}-pc2/payment`, {
      paid: false,
    });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({
      status: 'released',
      reason: 'payment_failed',
      pointsDebited: 0,
    });
    await eventually(async () =>
      expect(await member(memberId)).toMatchObject({ balance: 3_000, reserved: 0 }),
    );
    const { body } = await call(
      'redemption',
      'GET',
      '/catalogue?category=test',
      undefined,
      keys.admin,
    );
    expect(body.items.find((i: { itemId: string }) => i.itemId === 'kettle').stock).toBe(3);

    const paid = await redeem({
      redemptionId: `${memberId}-pc3`,
      memberId,
      itemId: 'kettle',
      mode: 'points_plus_cash',
      points: 2_000,
    });
    expect(paid.body.status).toBe('awaiting_payment');
    const confirmed = await call('redemption', 'POST', `/redemptions/${memberId}-pc3/payment`, {
      paid: true,
    });
    expect(confirmed.body).toMatchObject({
      status: 'confirmed',
      pointsDebited: 2_000,
      cashDueMinor: 13_900,
    });
    await eventually(async () =>
      expect(await member(memberId)).toMatchObject({ balance: 1_000, reserved: 0 }),
    );
  });

  it('a repeated redemptionId returns the first answer and never debits twice', async () => {
    const memberId = await memberWith(600);
    const body = {
      redemptionId: `${memberId}-offset`,
      memberId,
      cashOffset: { orderId: 'checkout-1', points: 500 },
    };
    const first = await redeem(body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'confirmed', pointsDebited: 500, cashDueMinor: 0 });
    const again = await redeem({ ...body, cashOffset: { orderId: 'checkout-1', points: 100 } });
    expect(again.body).toEqual(first.body);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await member(memberId)).balance).toBe(100);
  });

  it('prices from the catalogue as it is now, when another instance changed it', async () => {
    const memberId = await memberWith(1_000);
    await item('repriced', { pointsPrice: 100 });
    const request = (n: number) => ({
      redemptionId: `${memberId}-p${n}`,
      memberId,
      itemId: 'repriced',
      mode: 'points',
    });
    expect((await redeem(request(1))).body).toMatchObject({
      status: 'confirmed',
      pointsDebited: 100,
    });
    // Changes this instance did not make (another instance's, or by hand): it remembers the
    // item, and must notice.
    const db = new Client({ connectionString: ctx.databaseUrl });
    await db.connect();
    const change = (set: string) =>
      db.query(
        `UPDATE ${quoteIdent(`${ctx.schemaPrefix}redemption`)}.catalogue_items SET ${set}
         WHERE item_id = 'repriced'`,
      );
    try {
      await change('points_price = 300');
      const repriced = await redeem(request(2));
      expect(repriced.body).toMatchObject({ status: 'confirmed', pointsDebited: 300 });
      // The same id again, priced from the item it remembers: the first answer, no new debit.
      expect((await redeem(request(2))).body).toEqual(repriced.body);
      await change('active = false');
      const inactive = await redeem(request(3));
      expect(inactive.status).toBe(422);
      expect(inactive.body.reason).toBe('item_inactive');
      await change('active = true, points_price = 200');
      expect((await redeem(request(4))).body).toMatchObject({ pointsDebited: 200 });
    } finally {
      await db.end();
    }
    expect(await member(memberId)).toMatchObject({ balance: 400 });
  });

  it('a reservation not paid in time is released, across a restart of the service', async () => {
    await stop('redemption');
    await start('redemption', { REDEMPTION_PAYMENT_TIMEOUT_MS: '1500' });
    const memberId = await memberWith(2_000);
    await item('lamp', { pointsPrice: 5_000, cashPriceMinor: 6_000, stock: 2 });
    const reserved = await redeem({
      redemptionId: `${memberId}-late`,
      memberId,
      itemId: 'lamp',
      mode: 'points_plus_cash',
      points: 1_000,
    });
    expect(reserved.body.status).toBe('awaiting_payment');
    await stop('redemption');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await start('redemption', { REDEMPTION_PAYMENT_TIMEOUT_MS: '1500' });

    const released = await settled(`${memberId}-late`).then(() =>
      eventually(
        async () => {
          const { body } = await call('redemption', 'GET', `/redemptions/${memberId}-late`);
          expect(body.status).toBe('released');
          return body;
        },
        { timeoutMs: 30_000 },
      ),
    );
    expect(released).toMatchObject({ reason: 'payment_timeout', pointsDebited: 0 });
    await eventually(async () =>
      expect(await member(memberId)).toMatchObject({ balance: 2_000, reserved: 0 }),
    );
  });

  it('publishes requested, confirmed and released events with item, points, cash and unit cost', async () => {
    const found = await eventually(() => {
      const all = events.messages.map((m) => m.json<RedemptionEvent>());
      const types = new Set(all.map((e) => e.type));
      expect([...types]).toEqual(
        expect.arrayContaining([
          'redemption.requested',
          'redemption.confirmed',
          'redemption.released',
          'redemption.refused',
        ]),
      );
      return all;
    });
    const kettle = found.find(
      (e) => e.type === 'redemption.confirmed' && e.data.itemId === 'kettle',
    )!;
    expect(kettle.data).toMatchObject({
      mode: 'points_plus_cash',
      category: 'test',
      points: 2_000,
      cashMinor: 13_900,
      unitCostMinor: 50,
      quantity: 1,
    });
    const ids = found.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
