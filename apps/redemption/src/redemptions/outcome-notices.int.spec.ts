import { Pool } from 'pg';
import { withTransaction } from '@jifen/event-store';
import { ServiceConfig } from '@jifen/platform';
import { eventually, testDatabaseUrl } from '@jifen/testing';
import { announceOutcomes, OutcomeNotices } from './outcome-notices';
import { RedemptionsService } from './redemptions.service';

describe('outcome notices between instances', () => {
  const schema = `t_notices_${process.pid}`;
  let pool: Pool;
  const woken: string[][] = [];
  let notices: OutcomeNotices;

  beforeAll(async () => {
    pool = new Pool({ connectionString: testDatabaseUrl(), max: 2 });
    const service = { outcomesCommitted: (ids: Iterable<string>) => woken.push([...ids]) };
    notices = new OutcomeNotices(
      pool,
      { schema } as ServiceConfig,
      service as unknown as RedemptionsService,
    );
    await notices.onApplicationBootstrap();
  });
  afterAll(async () => {
    await notices.onApplicationShutdown();
    await pool.end();
  });

  it("wakes another instance's waiters with the ids a consumer's commit announced, all of them", async () => {
    // More than one notification's payload holds.
    const ids = Array.from({ length: 600 }, (_, i) => `redemption-${i}-${'x'.repeat(20)}`);
    await withTransaction(pool, (db) => announceOutcomes(db, schema, ids));
    await eventually(() => expect(woken.flat()).toEqual(ids));
    expect(woken.length).toBeGreaterThan(1);
  });

  it('announces nothing when the transaction rolls back', async () => {
    woken.length = 0;
    await expect(
      withTransaction(pool, async (db) => {
        await announceOutcomes(db, schema, ['rolled-back']);
        throw new Error('the batch failed');
      }),
    ).rejects.toThrow('the batch failed');
    await withTransaction(pool, (db) => announceOutcomes(db, schema, ['committed']));
    await eventually(() => expect(woken.flat()).toEqual(['committed']));
  });
});
