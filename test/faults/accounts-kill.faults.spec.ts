import {
  expectedOf,
  inboundTopic,
  knownStream,
  Platform,
  progress,
  Publisher,
  verify,
  withLogs,
} from './harness';

// Fault 1: the accounts process SIGKILLed while it applies batches, started again as the
// supervisor does. Whatever its last transaction had not committed is applied on redelivery;
// whatever it had committed is not applied again.
describe('fault 1: accounts SIGKILLed mid-batch', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('loses nothing and doubles nothing', async () => {
    const stream = knownStream({ seed: 1 });
    const expected = expectedOf(stream.events);
    const publisher = new Publisher(p.ctx.brokers, inboundTopic(p), stream.events, {
      chunk: 100,
      pauseMs: 20,
    });
    const accounts = p.get('accounts');
    await withLogs(p, async () => {
      await progress(p, expected, 0.3);
      await accounts.kill('SIGKILL');
      await accounts.restart();
      await publisher.done;
      const report = await verify(p, expected);
      expect(report.streams).toBe(stream.memberIds.length);
      expect(accounts.exits).toEqual([{ code: null, signal: 'SIGKILL' }]);
    });
  });
});
