import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { Topics } from '@jifen/contracts';
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
import { AllianceService } from '../apps/redemption/src/alliance/alliance.service';
import { sign } from '../apps/redemption/src/alliance/signature';
import { IngestionModule } from '../apps/ingestion/src/ingestion.module';
import { RedemptionModule } from '../apps/redemption/src/redemption.module';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = Record<string, any>;

const secrets = {
  'airline-x': 'airline-x-secret-0123456789',
  'hotel-y': 'hotel-y-secret-0123456789',
};
const day = '2026-11-20';
const at = `${day}T10:00:00+08:00`;

// Partner brands' signed settlement messages over the real broker, settled through accounts.
describe('points alliance settlement', () => {
  let ctx: TestContext;
  const apps: INestApplication[] = [];
  const urls: Partial<Record<ServiceName, string>> = {};
  const keys = matrixKeys();
  let outbound: TopicReader;
  let memberId: string;
  let sequence = 0;

  const start = async (service: ServiceName) => {
    const env = ctx.env({
      JIFEN_API_KEYS: keys.env,
      JIFEN_JOBS_SCHEDULE: 'off',
      JIFEN_PARTNER_SECRETS: Object.entries(secrets)
        .map(([p, s]) => `${p}:${s}`)
        .join(','),
    });
    const config = serviceConfigFromEnv(service, env);
    const root =
      service === 'ingestion'
        ? IngestionModule.forRoot(config)
        : service === 'accounts'
          ? AccountsModule.forRoot(config)
          : RedemptionModule.forRoot(config);
    const app = await createServiceApp(root, config, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    urls[service] = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  };
  const call = (service: ServiceName, method: string, path: string, key: string, body: unknown) =>
    fetch(`${urls[service]}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const get = async (service: ServiceName, path: string, key = keys.admin) => {
    const response = await fetch(`${urls[service]}${path}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return { status: response.status, body: (await response.json()) as Answer };
  };
  const message = (fields: Answer, secret = secrets['airline-x']) => {
    const body = {
      messageId: `msg-${++sequence}`,
      partnerId: 'airline-x',
      type: 'credit',
      memberId,
      partnerMemberRef: 'AX-778899',
      points: 1_000,
      partnerUnits: 80,
      rate: 8,
      occurredAt: at,
      ...fields,
    };
    return { ...body, signature: sign(body, secret) };
  };
  const send = async (...messages: Answer[]) => {
    await ctx.producer.send({
      topic: ctx.topic(Topics.allianceInbound),
      messages: messages.map((m) => ({ key: String(m.partnerId), value: JSON.stringify(m) })),
    });
  };
  const ackFor = (messageId: string) =>
    eventually(() => {
      const ack = outbound.messages
        .map((m) => m.json<Answer>())
        .find((m) => m.type === 'ack' && m.inReplyTo === messageId);
      expect(ack).toBeDefined();
      return ack!;
    });
  const balance = async () => (await get('accounts', `/members/${memberId}`)).body.balance;

  beforeAll(async () => {
    ctx = await createTestContext();
    outbound = await TopicReader.start(ctx.kafka, ctx.topic(Topics.allianceOutbound));
    for (const service of ['ingestion', 'accounts', 'redemption'] as const) await start(service);
    memberId = randomMemberId();
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), [
      cloudEvent('member.signed_up', { memberId }),
    ]);
    await eventually(async () => expect(await balance()).toBe(50));
    // Redemption learns of enrolments from accounts' events a moment later; the catalogue's
    // filter waits for that (the conversions that come before it are accounts' to decide).
    await call('redemption', 'POST', '/admin/catalogue', keys.admin, {
      itemId: 'fifty',
      name: 'fifty',
      category: 'test',
      pointsPrice: 50,
      unitCostMinor: 50,
    });
    await eventually(async () => {
      const { body } = await get('redemption', `/catalogue?memberId=${memberId}`);
      expect(body.items.map((i: Answer) => i.itemId)).toContain('fifty');
    });
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await outbound?.stop();
    await ctx?.dispose();
  });

  it('settles a signed credit and a debit, acknowledged with the ledger entry', async () => {
    const credit = message({ points: 1_000, partnerUnits: 80 });
    await send(credit);
    const creditAck = await ackFor(credit.messageId);
    expect(creditAck).toMatchObject({
      partnerId: 'airline-x',
      status: 'accepted',
      points: 1_000,
      entryId: expect.any(String),
    });
    expect(creditAck.signature).toBe(sign(creditAck, secrets['airline-x']));
    await eventually(async () => expect(await balance()).toBe(1_050));

    const debit = message({ type: 'debit', points: 500, partnerUnits: 40 });
    await send(debit);
    expect(await ackFor(debit.messageId)).toMatchObject({ status: 'accepted' });
    await eventually(async () => expect(await balance()).toBe(550));

    const { body } = await get('accounts', `/members/${memberId}/ledger`, keys['member-app']);
    expect(body.entries.slice(0, 2).map((e: Answer) => [e.kind, e.points])).toEqual([
      ['partner_debit', -500],
      ['partner_credit', 1_000],
    ]);
  });

  it('converts for a member who enrolled a moment ago, before redemption heard of them', async () => {
    const newcomer = randomMemberId('newcomer');
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), [
      cloudEvent('member.signed_up', { memberId: newcomer }),
    ]);
    const newcomerBalance = async () =>
      (await get('accounts', `/members/${newcomer}`)).body.balance;
    await eventually(async () => expect(await newcomerBalance()).toBe(50));
    // Redemption's copy of the members trails accounts' events: here it has not caught up yet.
    const db = new Client({ connectionString: ctx.databaseUrl });
    await db.connect();
    try {
      const balances = `${quoteIdent(`${ctx.schemaPrefix}redemption`)}.member_balances`;
      await eventually(async () => {
        const { rowCount } = await db.query(`DELETE FROM ${balances} WHERE member_id = $1`, [
          newcomer,
        ]);
        expect(rowCount).toBe(1);
      });
    } finally {
      await db.end();
    }

    // Both are accounts' to decide: a debit beyond the balance is refused, a credit settles.
    // (On the day before the other tests' day, whose statement they sum.)
    const occurredAt = '2026-11-19T10:00:00+08:00';
    const debit = message({
      memberId: newcomer,
      type: 'debit',
      points: 600,
      partnerUnits: 48,
      occurredAt,
    });
    await send(debit);
    expect(await ackFor(debit.messageId)).toMatchObject({
      status: 'rejected',
      reason: 'insufficient_points',
    });
    const credit = message({ memberId: newcomer, points: 500, partnerUnits: 40, occurredAt });
    await send(credit);
    expect(await ackFor(credit.messageId)).toMatchObject({ status: 'accepted', points: 500 });
    await eventually(async () => expect(await newcomerBalance()).toBe(550));
  });

  it('rejects each faulty message with its reason and changes nothing', async () => {
    const before = await balance();
    const cases: Array<[string, Answer]> = [
      ['unknown_partner', { ...message({}), partnerId: 'bus-z' }],
      // Partner A's secret cannot sign for partner B.
      ['bad_signature', message({}, secrets['hotel-y'])],
      ['rate_mismatch', message({ rate: 9, partnerUnits: 90 })],
      ['units_mismatch', message({ partnerUnits: 81 })],
      ['unknown_member', message({ memberId: randomMemberId('nobody') })],
      ['over_limit', message({ points: 50_000, partnerUnits: 4_000 })],
      ['insufficient_points', message({ type: 'debit', points: 10_000, partnerUnits: 800 })],
    ];
    // A signature broken after signing: the fields no longer match it.
    const tampered = message({});
    cases.push(['bad_signature', { ...tampered, points: 2_000, partnerUnits: 160 }]);
    await send(...cases.map(([, m]) => m));

    for (const [reason, m] of cases.slice(1)) {
      expect(await ackFor(m.messageId)).toMatchObject({ status: 'rejected', reason });
    }
    const { body } = await eventually(async () => {
      const report = await get(
        'redemption',
        `/alliance/partners/airline-x/statements/${day}`,
        keys.analyst,
      );
      expect(report.body.rejected.length).toBeGreaterThanOrEqual(cases.length - 1);
      return report;
    });
    expect(body.rejected.map((r: Answer) => r.reason)).toEqual(
      expect.arrayContaining(cases.slice(1).map(([reason]) => reason)),
    );
    expect(await balance()).toBe(before);
  });

  it('rejects a replayed messageId as a duplicate', async () => {
    const first = message({ points: 200, partnerUnits: 16 });
    await send(first);
    expect(await ackFor(first.messageId)).toMatchObject({ status: 'accepted' });
    const before = await eventually(async () => {
      const value = await balance();
      expect(value).toBe(750);
      return value;
    });
    await send(first);
    await eventually(() => {
      const acks = outbound.messages
        .map((m) => m.json<Answer>())
        .filter((m) => m.inReplyTo === first.messageId);
      expect(acks.map((a) => a.status)).toEqual(['accepted', 'rejected']);
      expect(acks[1].reason).toBe('duplicate_message');
    });
    expect(await balance()).toBe(before);
  });

  it("sums the day's statement from the ledger, and lists where the partner's statement disagrees", async () => {
    const { body: ours } = await get(
      'redemption',
      `/alliance/partners/airline-x/statements/${day}`,
      keys.analyst,
    );
    expect(ours.credits).toEqual({ count: 2, points: 1_200, owedToUsMinor: 1_200 });
    expect(ours.debits).toEqual({ count: 1, points: 500, owedByUsMinor: 500 });
    expect(ours.netMinor).toBe(700);
    // Statement sums equal the ledger entries for that partner and day.
    const { body: ledger } = await get('accounts', `/members/${memberId}/ledger`, keys.admin);
    const partnerEntries = ledger.entries.filter((e: Answer) => e.kind.startsWith('partner_'));
    expect(
      partnerEntries
        .filter((e: Answer) => e.kind === 'partner_credit')
        .reduce((a: number, e: Answer) => a + e.points, 0),
    ).toBe(1_200);
    expect(
      partnerEntries
        .filter((e: Answer) => e.kind === 'partner_debit')
        .reduce((a: number, e: Answer) => a - e.points, 0),
    ).toBe(500);

    const settled: string[] = ours.settledMessageIds;
    expect(settled).toHaveLength(3);
    const theirs = message({
      type: 'statement',
      date: day,
      messageIds: [...settled.slice(1), 'msg-extra'],
      sums: { creditPoints: 1_200 },
    });
    for (const field of ['memberId', 'partnerMemberRef', 'points', 'partnerUnits', 'rate'])
      delete theirs[field as keyof typeof theirs];
    const statement = { ...theirs, signature: sign(theirs, secrets['airline-x']) };
    await send(statement);
    expect(await ackFor(statement.messageId)).toMatchObject({ status: 'accepted' });
    const { body } = await get(
      'redemption',
      `/alliance/partners/airline-x/statements/${day}`,
      keys.admin,
    );
    expect(body.partnerStatement).toMatchObject({
      missingAtPartner: [settled[0]],
      unknownHere: ['msg-extra'],
    });
  });

  it("sends each partner the day's signed statement once, after the day is over", async () => {
    const redemption = apps[apps.length - 1];
    const alliance = redemption.get(AllianceService);
    // 01:00 on the 21st, program time: the 20th ended an hour ago, past the half-hour grace.
    const now = new Date('2026-11-21T01:00:00+08:00');
    expect(await alliance.publishDailyStatements(now)).toEqual(['airline-x', 'hotel-y']);
    expect(await alliance.publishDailyStatements(now)).toEqual([]);
    const statement = await eventually(() => {
      const found = outbound.messages
        .map((m) => m.json<Answer>())
        .filter((m) => m.type === 'statement' && m.partnerId === 'airline-x' && m.date === day);
      expect(found).toHaveLength(1);
      return found[0];
    });
    expect(statement.signature).toBe(sign(statement, secrets['airline-x']));
    expect(statement.sums).toMatchObject({ creditPoints: 1_200, debitPoints: 500, netMinor: 700 });
  });
});
