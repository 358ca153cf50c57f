import { Platform, streamWithFault } from './harness';

// Fault 2: ingestion SIGKILLed while it forwards batches, then started again. A batch whose
// commands were sent but whose transaction did not commit is read and sent again; accounts
// finds those commands processed. Counters count each inbound message once.
describe('fault 2: ingestion SIGKILLed mid-batch', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('loses nothing and doubles nothing', async () => {
    const ingestion = p.get('ingestion');
    const { stream } = await streamWithFault(p, {
      seed: 2,
      inject: async () => {
        await ingestion.kill('SIGKILL');
        await ingestion.restart();
      },
    });
    expect(ingestion.exits).toEqual([{ code: null, signal: 'SIGKILL' }]);
    const stats = (await p.call('ingestion', 'GET', '/stats')).body;
    expect(stats.received).toBe(stream.events.length);
    expect(stats.forwarded).toBe(stream.events.length);
  });
});
