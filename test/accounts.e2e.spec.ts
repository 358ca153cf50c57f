import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { CloudEvent, Topics } from '@jifen/contracts';
import { EventStore } from '@jifen/event-store';
import {
  DEFAULT_CONFIG,
  evolve,
  fold,
  initialState,
  LedgerEntry,
  LedgerEvent,
  memberView,
  MemberState,
  toLedgerEntry,
} from '@jifen/ledger';
import { IntakeStats } from '@jifen/messaging';
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
import { JobsScheduler } from '../apps/accounts/src/jobs/jobs.scheduler';
import { jobCommandId } from '../apps/accounts/src/jobs/jobs.service';
import { IngestionModule } from '../apps/ingestion/src/ingestion.module';

// The accounts service end to end: CloudEvents through ingestion, HTTP transfers, the jobs as of
// chosen instants, every answer read back over HTTP; then the whole input again, changing
// nothing; then every member stream replayed from the event store, giving what is served.

const t0 = Date.parse('2025-03-04T02:00:00Z'); // 10:00 in Asia/Shanghai
const at = (hours: number) => new Date(t0 + hours * 3_600_000).toISOString();
/** Reads of the member view compare exactly when made as of one instant. */
const viewAsOf = '2026-05-01T00:00:00.000Z';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

describe('accounts: the ledger served over HTTP, applied once', () => {
  let ctx: TestContext;
  let db: Client;
  let commandsTopic: TopicReader;
  const apps: INestApplication[] = [];
  const urls: Partial<Record<ServiceName, string>> = {};
  const keys = matrixKeys();
  const [A, B, C, D] = ['a', 'b', 'c', 'd'].map((p) => randomMemberId(p));
  const transferId = `tr-${randomMemberId('x')}`;
  const input: CloudEvent[] = [];

  const call = async (
    service: ServiceName,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    key = keys.admin,
  ): Promise<Answer> => {
    const response = await fetch(`${urls[service]}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
      headers: response.headers,
    };
  };
  const get = (path: string) => call('accounts', 'GET', path);
  const member = async (id: string) =>
    (await get(`/members/${id}?asOf=${viewAsOf}`)).body as Record<string, unknown>;
  const ledger = async (id: string): Promise<LedgerEntry[]> => {
    const entries: LedgerEntry[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`/members/${id}/ledger?limit=7${cursor ? `&cursor=${cursor}` : ''}`))
        .body as { entries: LedgerEntry[]; nextCursor: string | null };
      entries.push(...page.entries);
      cursor = page.nextCursor;
    } while (cursor);
    return entries;
  };
  const transfer = (from: string, body: unknown) =>
    call('accounts', 'POST', `/members/${from}/transfers`, body, keys['member-app']);
  const job = (name: 'expiry' | 'tier-review', asOf: string) =>
    call('accounts', 'POST', `/admin/jobs/${name}`, { asOf });
  const publish = async (...events: CloudEvent[]) => {
    input.push(...events);
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), events);
  };
  const event = <T extends { memberId: string }>(type: string, hours: number, data: T) =>
    cloudEvent(type, data, { time: at(hours) });
  const schema = () => quoteIdent(`${ctx.schemaPrefix}accounts`);
  /**
   * Until the commands topic holds at least `atLeast` messages and the accounts consumer has
   * applied all of them; returns how many there are.
   */
  const commandsDrained = async (atLeast = 0) => {
    const admin = ctx.kafka.admin();
    await admin.connect();
    try {
      return await eventually(async () => {
        const ends = await admin.fetchTopicOffsets(ctx.topic(Topics.commands));
        const total = ends.reduce((sum, end) => sum + Number(end.high), 0);
        expect(total).toBeGreaterThanOrEqual(atLeast);
        const { rows } = await db.query<{ partition: number; next_offset: string }>(
          `SELECT partition, next_offset FROM ${schema()}.consumed_offsets WHERE topic = $1`,
          [ctx.topic(Topics.commands)],
        );
        const applied = new Map(rows.map((r) => [r.partition, r.next_offset]));
        for (const end of ends) {
          if (end.high !== '0') expect(applied.get(end.partition)).toBe(end.high);
        }
        return total;
      });
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    db = new Client({ connectionString: ctx.databaseUrl });
    await db.connect();
    commandsTopic = await TopicReader.start(ctx.kafka, ctx.topic(Topics.commands));
    for (const service of ['ingestion', 'accounts'] as const) {
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
    }
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await commandsTopic?.stop();
    await db?.end();
    await ctx?.dispose();
  });

  it('earns by every rule of the program', async () => {
    // Referrers must be enrolled before their referees' sign-ups are judged.
    await publish(
      event('member.signed_up', 0, { memberId: A }),
      event('member.signed_up', 0, { memberId: C }),
      event('purchase.completed', 0, {
        memberId: D,
        orderId: 'o-9',
        amountMinor: 50_000,
        currency: 'CNY',
      }),
    );
    await eventually(async () => {
      for (const id of [A, C, D]) expect((await get(`/members/${id}`)).status).toBe(200);
    });
    await publish(
      event('member.signed_up', 1, { memberId: B, referrerId: A, birthday: '07-15' }),
      event('member.profile_completed', 2, { memberId: B }),
      event('review.posted', 3, { memberId: B, reviewId: 'r-1' }),
      event('purchase.completed', 4, {
        memberId: B,
        orderId: 'o-1',
        amountMinor: 250_000,
        currency: 'CNY',
      }),
      event('purchase.completed', 5, {
        memberId: B,
        orderId: 'o-2',
        amountMinor: 100_000,
        currency: 'CNY',
      }),
      event('member.checked_in', 6, { memberId: B }),
      event('member.checked_in', 7, { memberId: B }),
      ...['s-1', 's-2', 's-3', 's-4'].map((shareId) =>
        event('content.shared', 8, { memberId: B, shareId }),
      ),
      event('review.posted', 9, { memberId: B, reviewId: 'r-2' }),
    );
    await eventually(async () => expect((await member(A)).balance).toBe(200));
    await eventually(async () => expect((await member(B)).balance).toBe(3_935));

    const entries = (await ledger(B)).reverse();
    expect(entries.map((e) => [e.kind, e.points, e.ruleId])).toEqual([
      ['earn', 50, expect.stringMatching(/sign/)],
      ['earn', 50, expect.stringMatching(/referral/)],
      ['earn', 30, expect.stringMatching(/profile/)],
      ['earn', 20, expect.stringMatching(/review/)],
      ['earn', 2_500, expect.stringMatching(/purchase/)],
      ['earn', 50, expect.stringMatching(/pack/)],
      ['earn', 1_200, expect.stringMatching(/purchase/)],
      ['earn', 5, expect.stringMatching(/check/)],
      ['earn', 10, expect.stringMatching(/share/)],
      ['earn', 10, expect.stringMatching(/share/)],
      ['earn', 10, expect.stringMatching(/share/)],
    ]);
    // Earned at silver (reached by the purchase before): 1,000 CNY × 1.2.
    expect(entries[6]).toMatchObject({ ruleVersion: 1, lots: [{ points: 1_200 }] });
    expect(entries[6].explanation).toMatch(/1\.2/);
    expect((await ledger(A)).map((e) => e.points)).toEqual([100, 50, 50]);
    expect(await member(B)).toMatchObject({ tier: 'silver', debt: 0, reserved: 0 });
  });

  it('transfers over HTTP: 201 with both entry ids, the same answer again, refusals with reasons', async () => {
    const sent = await transfer(D, { transferId, toMemberId: C, points: 400 });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      status: 'completed',
      transferId,
      fromMemberId: D,
      toMemberId: C,
      points: 400,
    });
    const [out] = await ledger(D);
    const [into] = await ledger(C);
    expect(out).toMatchObject({ kind: 'transfer_out', points: -400, balanceAfter: 100 });
    expect(into).toMatchObject({ kind: 'transfer_in', points: 400 });
    expect(sent.body.transferOutEntryId).toBe(out.entryId);
    expect(sent.body.transferInEntryId).toBe(into.entryId);
    // The sender's lot moves with its expiry: 24 months after the purchase.
    expect(into.lots[0].expiresAt).toBe(out.lots[0].expiresAt);

    const again = await transfer(D, { transferId, toMemberId: C, points: 1 });
    expect([again.status, again.body]).toEqual([201, sent.body]);
    const status = await call('accounts', 'GET', `/members/${D}/transfers/${transferId}`);
    expect([status.status, status.body]).toEqual([200, sent.body]);

    const refusals = await Promise.all(
      [
        [D, { toMemberId: C, points: 0 }],
        [D, { toMemberId: C, points: 10_001 }],
        [D, { toMemberId: D, points: 10 }],
        [D, { toMemberId: C, points: 5_000 }],
        [D, { toMemberId: randomMemberId('ghost'), points: 10 }],
        [randomMemberId('ghost'), { toMemberId: C, points: 10 }],
      ].map(async ([from, body]) => {
        const answer = await transfer(from as string, {
          transferId: `tr-${randomMemberId('r')}`,
          ...(body as object),
        });
        return [answer.status, answer.body.reason];
      }),
    );
    expect(refusals).toEqual([
      [422, 'below_minimum'],
      [422, 'transfer_limit'],
      [422, 'self_transfer'],
      [422, 'insufficient_points'],
      [404, 'unknown_member'],
      [404, 'unknown_member'],
    ]);
    expect((await transfer(D, { transferId: 'x', toMemberId: C, points: 'ten' })).status).toBe(400);
    expect((await member(D)).balance).toBe(100);
  });

  it('takes a full refund into debt, paid off by the next purchase', async () => {
    await publish(
      event('purchase.refunded', 24, {
        memberId: D,
        orderId: 'o-9',
        refundId: 'rf-1',
        amountMinor: 50_000,
      }),
      event('purchase.completed', 30, {
        memberId: D,
        orderId: 'o-10',
        amountMinor: 10_000,
        currency: 'CNY',
      }),
    );
    await eventually(async () => expect((await member(D)).debt).toBe(300));
    expect(await member(D)).toMatchObject({
      balance: 0,
      lifetime: { earned: 600, reversed: 200, transferredOut: 400, expired: 0 },
    });
    expect((await ledger(D)).slice(0, 3).map((e) => [e.kind, e.points])).toEqual([
      ['debt_payoff', -100],
      ['earn', 100],
      ['reverse', -100],
    ]);
  });

  it('runs the expiry and the tier review as of chosen instants, and counts what they did', async () => {
    const early = await job('expiry', at(25 * 24));
    expect(early.status).toBe(200);
    expect(early.body).toMatchObject({ status: 'completed', members: 4, applied: 4 });
    expect(early.body.counts).toMatchObject({ pointsExpired: 0, lotsExpired: 0 });
    expect((early.body.counts as { reminders: number }).reminders).toBeGreaterThan(0);

    const expiry = await job('expiry', at(31 * 24));
    expect(expiry.body).toMatchObject({
      status: 'completed',
      members: 4,
      // Promotional lots: A's and C's sign-ups; B's sign-up, profile, first review and pack.
      counts: { pointsExpired: 250, lotsExpired: 6, membersWithExpiry: 3 },
    });
    const review = await job('tier-review', '2026-04-01T00:00:00Z');
    expect(review.body).toMatchObject({
      status: 'completed',
      counts: { downgraded: 1, renewed: 0 },
    });

    expect(await member(A)).toMatchObject({ balance: 150, lifetime: { expired: 50 } });
    expect(await member(B)).toMatchObject({
      balance: 3_785,
      tier: 'member',
      lifetime: { earned: 3_935, expired: 150 },
    });
    expect(await member(C)).toMatchObject({
      balance: 400,
      lifetime: { earned: 50, transferredIn: 400, expired: 50 },
    });
    const [expired] = (await ledger(C)).filter((e) => e.kind === 'expire');
    expect(expired).toMatchObject({ points: -50, lots: [{ points: 50 }] });
    for (const id of [A, B, C, D]) {
      const view = (await member(id)) as {
        balance: number;
        reserved: number;
        lifetime: Record<string, number>;
      };
      const l = view.lifetime;
      expect(view.balance + view.reserved).toBe(
        l.earned + l.transferredIn - l.transferredOut - l.reversed - l.redeemed - l.expired,
      );
    }
  });

  it('changes nothing when the whole input is delivered again', async () => {
    const sent = await commandsDrained();
    await commandsTopic.waitFor(sent);
    const before = await stateOf([A, B, C, D]);
    const stats = (await get('/stats')).body as unknown as IntakeStats;

    // Again at the edge: every CloudEvent, the transfer, both jobs with the same asOf.
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), input);
    expect((await transfer(D, { transferId, toMemberId: C, points: 400 })).status).toBe(201);
    for (const [name, asOf] of [
      ['expiry', at(25 * 24)],
      ['expiry', at(31 * 24)],
      ['tier-review', '2026-04-01T00:00:00Z'],
    ] as const) {
      expect((await job(name, asOf)).body.status).toBe('completed');
    }
    // And again inside: every command accounts ever consumed, re-sent as they were.
    const commands = commandsTopic.messages.slice(0, sent);
    expect(commands.length).toBeGreaterThan(input.length);
    await ctx.producer.send({
      topic: ctx.topic(Topics.commands),
      messages: commands.map((m) => ({ key: m.key, value: m.value })),
    });

    // Each event twice: through ingestion, and as the command ingestion once sent.
    await eventually(async () => {
      const now = (await get('/stats')).body as unknown as IntakeStats;
      expect(now.duplicates - stats.duplicates).toBe(2 * input.length);
      expect(now.applied).toBe(stats.applied);
    });
    // The jobs' 3 × 4 commands come again through the outbox.
    await commandsDrained(sent + commands.length + 12);
    expect(await stateOf([A, B, C, D])).toEqual(before);
  });

  it('replaying every member stream from the event store reproduces the served state exactly', async () => {
    const store = new EventStore({ schema: `${ctx.schemaPrefix}accounts` });
    const { rows } = await db.query<{ stream_id: string }>(
      `SELECT DISTINCT stream_id FROM ${schema()}.messages ORDER BY stream_id`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(4);
    await db.query(`SET search_path TO ${schema()}`);
    for (const { stream_id: streamId } of rows) {
      const memberId = streamId.slice('member-'.length);
      const events = await store.readStream<LedgerEvent>(db, streamId);
      const state = fold(events.map((e) => ({ type: e.type, data: e.data }) as LedgerEvent));
      expect(await member(memberId)).toEqual(
        JSON.parse(JSON.stringify(memberView(state, viewAsOf, DEFAULT_CONFIG))),
      );
      const entries = events
        .map((e) => toLedgerEntry({ type: e.type, data: e.data } as LedgerEvent))
        .filter((e): e is LedgerEntry => e !== null)
        .reverse();
      expect(await ledger(memberId)).toEqual(JSON.parse(JSON.stringify(entries)));
      // Snapshots, where the consumer wrote one, are the same fold.
      const snapshot = await store.loadSnapshot<MemberState>(db, streamId, 1);
      if (snapshot) {
        const upTo = events.slice(0, snapshot.streamPosition);
        expect(snapshot.state).toEqual(
          JSON.parse(
            JSON.stringify(upTo.reduce((s, e) => evolve(s, e as LedgerEvent), initialState())),
          ),
        );
      }
    }
  });

  it('publishes a program version that judges only commands from its effectiveFrom on', async () => {
    const current = await get('/rules');
    expect(current.body).toMatchObject({
      programId: 'retail-chain',
      version: 1,
      checkIn: { points: 5 },
      upcoming: [],
    });
    const effectiveFrom = new Date(Date.now() + 1_500).toISOString();
    const refused = await call('accounts', 'POST', '/admin/rules', {
      effectiveFrom,
      rules: { checkIn: { points: -1 }, nonsense: 1 },
    });
    expect([refused.status, refused.body.reason]).toEqual([400, 'invalid']);
    expect(refused.body.detail).toMatch(/rules\.checkIn\.points must be a non-negative integer/);
    expect(refused.body.detail).toMatch(/rules\.nonsense is not a rule/);
    const past = await call('accounts', 'POST', '/admin/rules', {
      effectiveFrom: '2020-01-01T00:00:00Z',
      rules: {},
    });
    expect(past.status).toBe(400);

    const published = await call('accounts', 'POST', '/admin/rules', {
      effectiveFrom,
      rules: { checkIn: { points: 7 } },
    });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({
      version: 2,
      effectiveFrom,
      checkIn: { points: 7, perDay: 1, lot: 'standard' },
      signUp: { points: 50 },
    });
    expect((await get('/rules')).body).toMatchObject({ version: 1, upcoming: [{ version: 2 }] });
    await eventually(async () => expect((await get('/rules')).body.version).toBe(2));

    const E = randomMemberId('e');
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    await publish(cloudEvent('member.signed_up', { memberId: E }, { time: hoursAgo(48) }));
    await eventually(async () => expect((await get(`/members/${E}`)).status).toBe(200));
    await publish(
      cloudEvent('member.checked_in', { memberId: E }, { time: hoursAgo(25) }),
      cloudEvent('member.checked_in', { memberId: E }),
    );
    await eventually(async () => expect((await get(`/members/${E}`)).body.balance).toBe(62));
    expect((await ledger(E)).map((e) => [e.points, e.ruleVersion])).toEqual([
      [7, 2],
      [5, 1],
      [50, 1],
    ]);
  });

  it('runs a scheduled minute once across instances: the expiry run, then the tier review', async () => {
    const asOf = '2026-06-01T00:00:00.000Z';
    // Two instances' schedulers at the same minute (both on this app's pool).
    const scheduler = apps[1].get(JobsScheduler);
    const runs = await Promise.all([scheduler.runOnce(asOf), scheduler.runOnce(asOf)]);
    expect(runs.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await scheduler.runOnce(asOf)).toBeUndefined();
    const commanded = runs.find((r) => r !== undefined)!;
    await eventually(async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${schema()}.command_outcomes
         WHERE command_id = ANY($1::text[])`,
        [
          [A, B, C, D].flatMap((m) => [
            jobCommandId('expiry', asOf, m),
            jobCommandId('tier-review', asOf, m),
          ]),
        ],
      );
      expect(rows[0].n).toBe(8);
    });
    expect(commanded).toBeGreaterThanOrEqual(4);
  });

  it('asked again as of the same instant, a run commands only the members enrolled since', async () => {
    // The expiry commands sent so far (through the outbox, as every command of accounts').
    const expiryCommandsSent = async () =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${schema()}.outbox WHERE type = 'RunExpiry'`,
        )
      ).rows[0].n;
    const asOf = '2026-07-01T00:00:00.000Z';
    const first = await job('expiry', asOf);
    const { members, applied } = first.body as { members: number; applied: number };
    expect(first.body).toMatchObject({ status: 'completed' });
    // The first run's answer, and no command sent again (each post sent one per member
    // before, so a client polling a long run multiplied its work).
    const sent = await expiryCommandsSent();
    expect((await job('expiry', asOf)).body).toEqual(first.body);
    expect(await expiryCommandsSent()).toBe(sent);

    const late = randomMemberId('late');
    await publish(cloudEvent('member.signed_up', { memberId: late }, { time: at(0) }));
    await eventually(async () => expect((await get(`/members/${late}`)).status).toBe(200));
    const sentBeforeAgain = await expiryCommandsSent();
    const again = await job('expiry', asOf);
    expect(again.body).toMatchObject({
      status: 'completed',
      members: members + 1,
      applied: applied + 1,
    });
    expect(await expiryCommandsSent()).toBe(sentBeforeAgain + 1);
  });

  /** What a member app and the store show: views, ledgers, stream lengths, outcomes. */
  async function stateOf(members: string[]) {
    const counts = await db.query(
      `SELECT (SELECT count(*) FROM ${schema()}.messages) AS events,
              (SELECT count(*) FROM ${schema()}.command_outcomes) AS outcomes,
              (SELECT count(*) FROM ${schema()}.processed_commands) AS processed`,
    );
    return {
      counts: counts.rows[0],
      members: await Promise.all(
        members.map(async (id) => ({ view: await member(id), ledger: await ledger(id) })),
      ),
    };
  }
});
