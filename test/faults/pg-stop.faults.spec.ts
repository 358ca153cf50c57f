import { clusterFromEnv, startCluster, stopCluster } from './cluster';
import { Platform, sleep, streamWithFault } from './harness';

// Fault 5: the suite's own PostgreSQL stopped at once (`pg_ctl stop -m immediate`: no
// checkpoint, crash recovery on the next start) and started again 5 s later. What a service
// was told was committed survives (fsync on); what was not is applied on redelivery.
describe('fault 5: PostgreSQL stopped immediately and started again', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('loses nothing and doubles nothing', async () => {
    const cluster = clusterFromEnv();
    await streamWithFault(p, {
      seed: 5,
      inject: async () => {
        try {
          await stopCluster(cluster, 'immediate');
          await sleep(5_000);
        } finally {
          // Whatever happens, the cluster is started again.
          await startCluster(cluster);
        }
      },
      verify: { timeoutMs: 180_000 },
    });
  });
});
