import { Platform, sleep, streamWithFault } from './harness';

// Fault 4: every PostgreSQL backend of the services terminated (pg_terminate_backend on the
// suite's own cluster), three times, while they work: the transactions in flight roll back,
// the batches are retried on new connections.
describe('fault 4: PostgreSQL backends terminated mid-stream', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('loses nothing and doubles nothing, and no service restarts', async () => {
    let terminated = 0;
    await streamWithFault(p, {
      seed: 4,
      inject: async () => {
        for (let round = 0; round < 3; round++) {
          const rows = await p.query<{ n: string }>(
            `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::text AS n
             FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND backend_type = 'client backend'`,
          );
          terminated += Number(rows[0].n);
          await sleep(700);
        }
      },
    });
    expect(terminated).toBeGreaterThan(0);
    for (const process_ of p.processes.values()) expect(process_.exits).toEqual([]);
  });
});
