import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { createTestContext, TcpProxy, TestContext } from '@jifen/testing';
import { openServiceDataSource } from './schema';

// A service's data source through a proxy that can end a connection the way
// pg_terminate_backend does, at the worst moment: right after the backend accepted it.
describe('a service data source whose new connection is terminated at once', () => {
  let ctx: TestContext;
  let proxy: TcpProxy;
  let dataSource: DataSource;

  beforeAll(async () => {
    ctx = await createTestContext();
    const database = new URL(ctx.databaseUrl);
    proxy = await TcpProxy.start(database.hostname, Number(database.port || 5432));
    database.host = `127.0.0.1:${proxy.port}`;
    dataSource = await openServiceDataSource({
      url: database.toString(),
      schema: `${ctx.schemaPrefix}terminated`,
      migrations: [],
      poolSize: 4,
    });
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await proxy?.stop();
    await ctx?.dispose();
  });

  it('fails that connection and keeps the process and the pool working', async () => {
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    // Take the idle connections, so the next connect() opens a new one.
    const held: PoolClient[] = [];
    while (pool.idleCount > 0) held.push(await pool.connect());
    try {
      proxy.terminateNextAfterReady();
      // The FATAL arrives in the same read as ReadyForQuery, before this caller can listen:
      // with no listener from the client's creation, pg emitted an unhandled 'error' (jest
      // fails the test on it; a service process died).
      const doomed = await pool.connect();
      await expect(doomed.query('SELECT 1')).rejects.toThrow();
      doomed.release(true);
    } finally {
      for (const client of held) client.release();
    }
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('names its connections after the service, as pg_stat_activity shows them', async () => {
    const rows: unknown[] = await dataSource.query(
      'SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    );
    expect(rows).toEqual([{ application_name: `jifen ${ctx.schemaPrefix}terminated` }]);
  });
});
