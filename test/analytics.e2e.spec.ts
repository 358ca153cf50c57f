import { INestApplication } from '@nestjs/common';
import { Pool } from 'pg';
import {
  CloudEvent,
  LedgerCommandMessage,
  RedemptionEvent,
  RedemptionEventData,
  Topics,
} from '@jifen/contracts';
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
import { AccountsModule } from '../apps/accounts/src/accounts.module';
import { AnalyticsModule } from '../apps/analytics/src/analytics.module';
import { sourceTopics } from '../apps/analytics/src/projection/projections.consumer';
import { rebuildReadModels } from '../apps/analytics/src/rebuild/rebuild';
import { IngestionModule } from '../apps/ingestion/src/ingestion.module';

// Analytics end to end: CloudEvents through ingestion and accounts (a redemption as the
// redemption service's command to accounts, and its confirmation on the redemption topic),
// every figure read over HTTP and compared with values worked out by hand below; then a
// randomised run whose outstanding must equal the members' balances, every accounts event
// delivered twice, and a rebuild from offset 0 giving the same answers.

const t0 = Date.parse('2025-03-04T02:00:00Z'); // 10:00 on 2025-03-04 in Asia/Shanghai
const at = (hours: number) => new Date(t0 + hours * 3_600_000).toISOString();

describe('analytics: figures from the event streams', () => {
  let ctx: TestContext;
  let pool: Pool;
  const apps: INestApplication[] = [];
  const urls: Partial<Record<ServiceName, string>> = {};
  const keys = matrixKeys();
  const everyone: string[] = [];
  const [A, B, C, D, E, F] = ['a', 'b', 'c', 'd', 'e', 'f'].map((p) => randomMemberId(p));
  everyone.push(A, B, C, D, E, F);

  const call = async (service: ServiceName, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${urls[service]}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${service === 'analytics' ? keys.analyst : keys.admin}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // Answers are JSON read field by field in the assertions below.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: (await response.json()) as any };
  };
  const analytics = async (path: string) => {
    const { status, body } = await call('analytics', 'GET', path);
    expect(status).toBe(200);
    return body;
  };
  const publish = (...events: CloudEvent[]) =>
    publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), events);
  const event = <T extends { memberId: string }>(type: string, hours: number, data: T) =>
    cloudEvent(type, data, { time: at(hours) });
  const purchase = (memberId: string, orderId: string, amountMinor: number, hours: number) =>
    event('purchase.completed', hours, { memberId, orderId, amountMinor, currency: 'CNY' });
  const refund = (memberId: string, orderId: string, amountMinor: number, hours: number) =>
    event('purchase.refunded', hours, {
      memberId,
      orderId,
      refundId: `${orderId}-r`,
      amountMinor,
    });
  const memberOf = async (id: string) => (await call('accounts', 'GET', `/members/${id}`)).body;
  const balanceOf = async (id: string) => (await memberOf(id)).balance as number;
  const settled = async (expected: Record<string, number>) =>
    eventually(async () => {
      for (const [id, balance] of Object.entries(expected))
        expect(await balanceOf(id)).toBe(balance);
    });
  const caughtUp = () =>
    eventually(async () => expect((await analytics('/analytics/lag')).events).toBe(0), {
      timeoutMs: 30_000,
    });

  /** Every answer analytics gives, for comparing before and after a rebuild. */
  const everything = async () => ({
    summary: await analytics('/analytics/summary'),
    march: await analytics('/analytics/summary?from=2025-03-01&to=2025-03-31'),
    daily: await analytics('/analytics/daily'),
    forecast: await analytics('/analytics/liability/forecast?days=90'),
    byItem: await analytics('/analytics/redemptions/by-item'),
    tiers: await analytics('/analytics/tiers'),
    alerts: await analytics('/analytics/alerts'),
    roi: await analytics('/analytics/roi?from=2025-03-01&to=2025-06-30'),
    segments: await analytics('/analytics/segments?asOf=2025-07-01T00:00:00Z&limit=500'),
  });

  beforeAll(async () => {
    ctx = await createTestContext();
    for (const service of ['ingestion', 'accounts', 'analytics'] as const) {
      const config = serviceConfigFromEnv(
        service,
        ctx.env({ JIFEN_API_KEYS: keys.env, JIFEN_JOBS_SCHEDULE: 'off' }),
      );
      const root =
        service === 'ingestion'
          ? IngestionModule.forRoot(config)
          : service === 'accounts'
            ? AccountsModule.forRoot(config)
            : AnalyticsModule.forRoot(config);
      const app = await createServiceApp(root, config, { logger: ['error'] });
      await app.listen(0, '127.0.0.1');
      apps.push(app);
      urls[service] = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    }
    pool = new Pool({
      connectionString: ctx.databaseUrl,
      options: `-c search_path=${ctx.schemaPrefix}analytics`,
    });
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await pool?.end();
    await ctx?.dispose();
  });

  it('refuses a period that is not two dates in order, with a reason', async () => {
    for (const [query, reason] of [
      ['from=2025-3-01', 'invalid'],
      ['to=2025-02-30', 'invalid'],
      ['from=2025-03-02&to=2025-03-01', 'invalid_period'],
    ]) {
      const { status, body } = await call('analytics', 'GET', `/analytics/summary?${query}`);
      expect([status, body.reason]).toEqual([400, reason]);
    }
    const daily = await call('analytics', 'GET', '/analytics/roi?from=x');
    expect(daily.status).toBe(400);
    const days = await call('analytics', 'GET', '/analytics/liability/forecast?days=0');
    expect(days.status).toBe(400);
  });

  it('counts a known stream exactly as worked out by hand', async () => {
    // Day 1, 2025-03-04: A and B sign up (50 each) and buy (1,000 and 200 points); C buys
    // 2,500 CNY without signing up (2,500 points, silver); D signs up only.
    await publish(
      event('member.signed_up', 0, { memberId: A }),
      purchase(A, 'a-1', 100_000, 1),
      event('member.signed_up', 2, { memberId: B }),
      purchase(B, 'b-1', 20_000, 3),
      purchase(C, 'c-1', 250_000, 4),
      event('member.signed_up', 5, { memberId: D }),
    );
    await settled({ [A]: 1_050, [B]: 250, [C]: 2_500, [D]: 50 });

    // Day 2: B redeems 200 (the redemption service's command), then B's order is refunded in
    // full: 200 to reverse, 50 available, 150 becomes debt. A's order is half refunded: 500.
    const redeem: LedgerCommandMessage = {
      kind: 'ledger',
      commandId: `redeem-${B}`,
      memberId: B,
      command: {
        type: 'RedeemPoints',
        memberId: B,
        sourceEventId: `redemption-${B}`,
        time: at(24),
        redemptionId: `r-${B}`,
        points: 200,
      },
    };
    await ctx.producer.send({
      topic: ctx.topic(Topics.commands),
      messages: [{ key: B, value: JSON.stringify(redeem) }],
    });
    await settled({ [B]: 50 });
    await publish(refund(B, 'b-1', 20_000, 25), refund(A, 'a-1', 50_000, 26));
    await settled({ [A]: 550, [B]: 0 });
    expect((await memberOf(B)).debt).toBe(150);

    // Day 3: B buys 300 points' worth, 150 of which pay off the debt; A checks in (5).
    // Day 4: E buys 60,000 CNY (60,000 points, diamond). 2025-04-02: F signs up and buys 10 CNY.
    await publish(
      purchase(B, 'b-2', 30_000, 48),
      event('member.checked_in', 49, { memberId: A }),
      purchase(E, 'e-1', 6_000_000, 72),
      event('member.signed_up', 29 * 24, { memberId: F }),
      purchase(F, 'f-1', 1_000, 29 * 24 + 1),
    );
    await settled({ [A]: 555, [B]: 150, [E]: 60_000, [F]: 60 });

    // Expiry as of 2025-04-05 08:00 local: D's sign-up lot (30 days) expires; A's and B's
    // promotional lots were already spent by the refund and the redemption.
    const run = await call('accounts', 'POST', '/admin/jobs/expiry', {
      asOf: '2025-04-05T00:00:00Z',
    });
    expect(run.status).toBeLessThan(300);
    await settled({ [D]: 0 });

    // Items, as the redemption service confirms them: r-1 delivered twice, r-2 republished
    // under another event id: each counts once.
    const confirmed = (
      redemptionId: string,
      eventId: string,
      data: Partial<RedemptionEventData>,
    ): RedemptionEvent => ({
      eventId,
      type: 'redemption.confirmed',
      memberId: C,
      occurredAt: at(30 * 24),
      data: {
        redemptionId,
        mode: 'points',
        itemId: 'mug',
        category: 'home',
        orderId: null,
        points: 500,
        cashMinor: 0,
        unitCostMinor: 1_500,
        quantity: 1,
        ...data,
      },
    });
    const itemEvents = [
      confirmed('r-1', 'redemption/r-1/redemption.confirmed', {}),
      confirmed('r-1', 'redemption/r-1/redemption.confirmed', {}),
      confirmed('r-2', 'redemption/r-2/redemption.confirmed', {}),
      confirmed('r-2', 'redemption/r-2/redemption.confirmed#again', {}),
      confirmed('r-3', 'redemption/r-3/redemption.confirmed', {
        mode: 'points_plus_cash',
        itemId: 'tea',
        category: 'food',
        points: 1_000,
        cashMinor: 2_000,
        unitCostMinor: 2_500,
      }),
      {
        ...confirmed('r-4', 'redemption/r-4/redemption.released', {}),
        type: 'redemption.released',
      },
    ] as RedemptionEvent[];
    await ctx.producer.send({
      topic: ctx.topic(Topics.redemptionEvents),
      messages: itemEvents.map((e) => ({ key: e.memberId, value: JSON.stringify(e) })),
    });
    await caughtUp();

    // By hand. Issued: day 1 50+1,000+50+200+2,500+50 = 3,850; day 3 300+5 = 305; day 4
    // 60,000; 04-02 60. Reversed: day 2 50 (B) + 500 (A); day 3 150 (B's debt paid off).
    // Redeemed: day 2 200. Expired: 04-05 50.
    const issued = 3_850 + 305 + 60_000 + 60;
    const reversed = 550 + 150;
    const outstanding = issued - reversed - 200 - 50;
    expect(outstanding).toBe(555 + 150 + 2_500 + 0 + 60_000 + 60);
    const sales = 370_000 + 30_000 + 6_000_000 + 1_000;
    expect(await analytics('/analytics/summary?from=2025-03-01&to=2025-04-30')).toEqual({
      from: '2025-03-01',
      to: '2025-04-30',
      issued,
      reversed,
      redeemed: 200,
      expired: 50,
      outstanding,
      sedimentationRatio: outstanding / (issued - reversed),
      flowRatio: 200 / issued,
      liabilityMinor: outstanding,
      salesMinor: sales,
      pointsCostShareOfSales: issued / sales,
    });
    // Days 2 and 3 only: outstanding is as of the end of 03-06 (A 555, B 150, C 2,500, D 50).
    expect(await analytics('/analytics/summary?from=2025-03-05&to=2025-03-06')).toMatchObject({
      issued: 305,
      reversed: 700,
      redeemed: 200,
      expired: 0,
      outstanding: 3_255,
      sedimentationRatio: 3_255 / (3_850 + 305 - 700),
      flowRatio: 200 / 305,
      salesMinor: 30_000,
      pointsCostShareOfSales: 305 / 30_000,
    });
    const row = (date: string, f: [number, number, number, number, number]) => ({
      date,
      issued: f[0],
      reversed: f[1],
      redeemed: f[2],
      expired: f[3],
      salesMinor: f[4],
      flowRatio: f[0] === 0 ? null : f[2] / f[0],
    });
    expect(await analytics('/analytics/daily?from=2025-03-01&to=2025-04-30')).toEqual({
      rows: [
        row('2025-03-04', [3_850, 0, 0, 0, 370_000]),
        row('2025-03-05', [0, 550, 200, 0, 0]),
        row('2025-03-06', [305, 150, 0, 0, 30_000]),
        row('2025-03-07', [60_000, 0, 0, 0, 6_000_000]),
        row('2025-04-02', [60, 0, 0, 0, 1_000]),
        row('2025-04-05', [0, 0, 0, 50, 0]),
      ],
    });
    expect(await analytics('/analytics/liability/forecast?days=30')).toEqual({
      days: 30,
      outstanding,
      historicalRedemptionRate: 200 / issued,
      predictedRedemption: 16, // 63,265 × 200/64,215 × 30/365 = 16.19
      predictedLiabilityMinor: 16,
    });
    expect(await analytics('/analytics/tiers')).toEqual({
      member: 4,
      silver: 1,
      gold: 0,
      diamond: 1,
    });
    expect(await analytics('/analytics/redemptions/by-item')).toEqual({
      items: [
        {
          itemId: 'mug',
          category: 'home',
          count: 2,
          quantity: 2,
          points: 1_000,
          cashMinor: 0,
          costMinor: 3_000,
          costPerPointMinor: 3,
        },
        {
          itemId: 'tea',
          category: 'food',
          count: 1,
          quantity: 1,
          points: 1_000,
          cashMinor: 2_000,
          costMinor: 2_500,
          costPerPointMinor: 2.5,
        },
      ],
    });
    // March: sign-up A, B, D (A bought 1,000 CNY, B 500); purchase A, B, C, E; check-in A.
    const noControl = { members: 0, revenueMinor: 0 };
    const march = await analytics('/analytics/roi?from=2025-03-01&to=2025-03-31');
    expect(march.controlGroup).toMatchObject(noControl);
    expect(march.controlGroup.note).toMatch(/empty/);
    expect(march.rules).toEqual([
      {
        ruleId: 'check_in',
        pointsIssued: 5,
        costMinor: 5,
        earners: { members: 1, revenueMinor: 100_000 },
        control: noControl,
        incrementalRevenueMinor: null,
      },
      {
        ruleId: 'purchase',
        pointsIssued: 64_000,
        costMinor: 64_000,
        earners: { members: 4, revenueMinor: 6_400_000 },
        control: noControl,
        incrementalRevenueMinor: null,
      },
      {
        ruleId: 'sign_up',
        pointsIssued: 150,
        costMinor: 150,
        earners: { members: 3, revenueMinor: 150_000 },
        control: noControl,
        incrementalRevenueMinor: null,
      },
    ]);
    const flowAlert = (date: string, issued: number) => ({
      alert: 'daily_flow_ratio',
      date,
      flowRatio: 0,
      issued,
      redeemed: 0,
      threshold: 0.1,
    });
    expect((await analytics('/analytics/alerts')).alerts).toEqual([
      flowAlert('2025-03-04', 3_850),
      flowAlert('2025-03-06', 305),
      { alert: 'daily_issuance', date: '2025-03-07', issued: 60_000, threshold: 50_000 },
      flowAlert('2025-03-07', 60_000),
      flowAlert('2025-04-02', 60),
      {
        alert: 'sedimentation',
        asOf: '2025-04-05',
        sedimentationRatio: outstanding / (issued - reversed),
        outstanding,
        threshold: 0.5,
      },
      // March: 64,155 points on 6,400,000 fen of sales (1.0%); April: 60 on 1,000 (6%).
      {
        alert: 'points_cost_share',
        month: '2025-04',
        pointsCostShareOfSales: 0.06,
        issued: 60,
        salesMinor: 1_000,
        threshold: 0.02,
      },
    ]);
    // Dormant with points as of 2025-07-01: C (2,500; last purchase in March) and E
    // (60,000); A has 555 but A's last purchase is also in March, so A too. B (150), D, F not.
    const segments = await analytics('/analytics/segments?asOf=2025-07-01T00:00:00Z&limit=2');
    expect(segments.rfm).toMatchObject({ members: 5, withoutPurchase: 1 });
    const dormant = [A, C, E].sort();
    expect(segments.dormantWithPoints.members.map((m: { memberId: string }) => m.memberId)).toEqual(
      dormant.slice(0, 2),
    );
    const next = await analytics(
      `/analytics/segments?asOf=2025-07-01T00:00:00Z&limit=2&cursor=${segments.dormantWithPoints.nextCursor}`,
    );
    expect(next.dormantWithPoints).toEqual({
      members: [
        { memberId: dormant[2], balance: expect.any(Number), lastPurchaseAt: expect.any(String) },
      ],
      nextCursor: null,
    });
  });

  it('outstanding equals the members’ balance + reserved once caught up, with every event delivered twice', async () => {
    // A randomised run (seeded, so a failure can be replayed): sign-ups, purchases, partial
    // and full refunds, check-ins, in June 2025.
    let seed = Number(process.env.ANALYTICS_SEED ?? Date.now() % 100_000);
    const random = () => ((seed = (seed * 16_807) % 2_147_483_647) - 1) / 2_147_483_646;
    const pick = (n: number) => Math.floor(random() * n);
    const events: CloudEvent[] = [];
    const base = 24 * 120; // hours after t0: early July 2025
    for (let i = 0; i < 25; i++) {
      const id = randomMemberId(`r${i}`);
      everyone.push(id);
      let hour = base + pick(24 * 20);
      events.push(event('member.signed_up', hour, { memberId: id }));
      for (let p = 0; p < 1 + pick(4); p++) {
        const amount = 100 + pick(400_000);
        hour += 1 + pick(48);
        events.push(purchase(id, `o${p}`, amount, hour));
        if (random() < 0.4) {
          hour += 1 + pick(24);
          events.push(refund(id, `o${p}`, 1 + pick(amount), hour));
        }
      }
      if (random() < 0.5) events.push(event('member.checked_in', hour + 1, { memberId: id }));
    }
    await publish(...events);
    const sumOfMembers = async () => {
      let total = 0;
      for (const id of everyone) {
        const m = await memberOf(id);
        total += (m.balance as number) + (m.reserved as number);
      }
      return total;
    };
    const outstanding = await eventually(
      async () => {
        const stats = (await call('ingestion', 'GET', '/stats')).body;
        expect(stats.received).toBeGreaterThanOrEqual(events.length);
        const accounts = (await call('accounts', 'GET', '/stats')).body;
        expect(accounts.received).toBe(stats.forwarded);
        expect((await analytics('/analytics/lag')).events).toBe(0);
        const { outstanding } = await analytics('/analytics/summary');
        expect(outstanding).toBe(await sumOfMembers());
        return outstanding as number;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const before = await everything();

    // Every accounts event again, at new offsets (as a relay that crashed before its
    // checkpoint would publish them): nothing changes.
    const lag = await analytics('/analytics/lag');
    expect(lag).toEqual({ events: 0, ms: 0 });
    const admin = ctx.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(ctx.topic(Topics.accountsEvents));
    await admin.disconnect();
    const reader = await TopicReader.start(ctx.kafka, ctx.topic(Topics.accountsEvents));
    await reader.waitFor(ends.reduce((sum, end) => sum + Number(end.high), 0));
    await reader.stop();
    await ctx.producer.send({
      topic: ctx.topic(Topics.accountsEvents),
      messages: reader.messages.map((m) => ({
        key: m.key,
        value: m.value,
        partition: m.partition,
      })),
    });
    await caughtUp();
    expect((await analytics('/analytics/summary')).outstanding).toBe(outstanding);
    expect(await everything()).toEqual(before);
  }, 90_000);

  it('rebuilds from offset 0 to identical figures', async () => {
    const before = await everything();
    const report = await rebuildReadModels({
      kafka: ctx.kafka,
      pool,
      topics: sourceTopics(serviceConfigFromEnv('analytics', ctx.env())),
      timeZone: 'Asia/Shanghai',
    });
    expect(report.applied).toBeGreaterThan(0);
    await caughtUp();
    expect(await everything()).toEqual(before);
  });
});
