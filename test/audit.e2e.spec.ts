import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { Topics } from '@jifen/contracts';
import { createServiceApp, quoteIdent, serviceConfigFromEnv } from '@jifen/platform';
import {
  cloudEvent,
  createTestContext,
  eventually,
  matrixKeys,
  publishCloudEvents,
  randomMemberId,
  TestContext,
} from '@jifen/testing';
import { AccountsModule } from '../apps/accounts/src/accounts.module';
import { MemberSnapshotVersion } from '../apps/accounts/src/members/member-streams';
import { AnalyticsModule } from '../apps/analytics/src/analytics.module';
import { IngestionModule } from '../apps/ingestion/src/ingestion.module';
import { runAudit } from '../scripts/audit/run-audit';

// `npm run audit` on a real platform: it passes on what the services wrote, and it catches a
// served state that no longer matches the events.
describe('the audit', () => {
  let ctx: TestContext;
  const apps: INestApplication[] = [];
  const keys = matrixKeys();
  let analyticsUrl: string;
  const memberIds = [randomMemberId(), randomMemberId(), randomMemberId()];

  beforeAll(async () => {
    ctx = await createTestContext();
    const env = ctx.env({ JIFEN_API_KEYS: keys.env, JIFEN_JOBS_SCHEDULE: 'off' });
    for (const [service, root] of [
      ['ingestion', IngestionModule],
      ['accounts', AccountsModule],
      ['analytics', AnalyticsModule],
    ] as const) {
      const config = serviceConfigFromEnv(service, env);
      const app = await createServiceApp(root.forRoot(config), config, { logger: ['error'] });
      await app.listen(0, '127.0.0.1');
      apps.push(app);
      if (service === 'analytics')
        analyticsUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    }
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await ctx?.dispose();
  });

  it('passes on what the services wrote, with analytics caught up', async () => {
    await publishCloudEvents(
      ctx.producer,
      ctx.topic(Topics.inbound),
      memberIds.flatMap((memberId, i) => [
        cloudEvent('member.signed_up', { memberId }),
        cloudEvent('purchase.completed', {
          memberId,
          orderId: 'o',
          amountMinor: 10_000 * (i + 1),
          currency: 'CNY',
        }),
        cloudEvent('purchase.refunded', {
          memberId,
          orderId: 'o',
          refundId: 'r',
          amountMinor: 5_000,
        }),
        cloudEvent('member.checked_in', { memberId }),
      ]),
    );
    // 50 + 100·k − 50 + 5 for member k = 1, 2, 3: 105 + 205 + 305.
    const report = await eventually(
      async () => {
        const lag = await fetch(`${analyticsUrl}/analytics/lag`, {
          headers: { authorization: `Bearer ${keys.analyst}` },
        });
        expect(((await lag.json()) as { events: number }).events).toBe(0);
        const audit = await runAudit({
          databaseUrl: ctx.databaseUrl,
          schemaPrefix: ctx.schemaPrefix,
        });
        expect(audit.outstanding).toBe(615);
        expect(audit.failures).toEqual([]);
        return audit;
      },
      { timeoutMs: 30_000 },
    );
    expect(report).toMatchObject({ streams: 3, analyticsOutstanding: 615 });
  });

  it('catches a served state that differs from its events, naming the stream', async () => {
    const db = new Client({ connectionString: ctx.databaseUrl });
    await db.connect();
    const accounts = quoteIdent(`${ctx.schemaPrefix}accounts`);
    const streamId = `member-${memberIds[0]}`;
    try {
      // A snapshot is a cache: one that says something else than the events is a fault.
      const { rows } = await db.query(
        `SELECT max(stream_position) AS v FROM ${accounts}.messages WHERE stream_id = $1`,
        [streamId],
      );
      await db.query(
        `INSERT INTO ${accounts}.snapshots (stream_id, stream_position, schema_version, state)
         VALUES ($1, $2, $3, '{"status":"unknown"}'::jsonb)
         ON CONFLICT (stream_id) DO UPDATE SET state = excluded.state,
           stream_position = excluded.stream_position, schema_version = excluded.schema_version`,
        [streamId, rows[0].v, MemberSnapshotVersion],
      );
      const audit = await runAudit({
        databaseUrl: ctx.databaseUrl,
        schemaPrefix: ctx.schemaPrefix,
      });
      expect(audit.failures).toContainEqual(
        expect.objectContaining({ check: 'fold', subject: streamId }),
      );
    } finally {
      await db.query(`DELETE FROM ${accounts}.snapshots WHERE stream_id = $1`, [streamId]);
      await db.end();
    }
  });
});
