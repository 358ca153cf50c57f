import { kafka, kafkaAnswers } from './cluster';
import { Platform, sleep, streamWithFault } from './harness';

// Fault 3: the suite's own broker stopped for 20 s in the middle of the stream, then started
// again. Batches fail and are retried in place, the relay backs off, the publisher waits; once
// the broker is back every consumer resumes on its own, with no restart of any service.
describe('fault 3: the broker stopped for 20 s and restarted', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts'] });
  });
  afterAll(async () => {
    if (!(await kafkaAnswers())) await kafka('start');
    await p?.stop();
  });

  it('loses nothing and doubles nothing, and no service restarts', async () => {
    await streamWithFault(p, {
      seed: 3,
      inject: async () => {
        await kafka('stop');
        try {
          await sleep(20_000);
        } finally {
          await kafka('start');
        }
      },
      verify: { timeoutMs: 180_000 },
    });
    for (const process_ of p.processes.values()) expect(process_.exits).toEqual([]);
  });
});
