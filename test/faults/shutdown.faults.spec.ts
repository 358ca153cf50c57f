import { eventually } from '@jifen/testing';
import { Platform, ServiceName } from './harness';

// Fault 11. Not a fault injected but an operator's ordinary stop, at its most awkward moment:
// SIGTERM the instant a service first answers /health, while its consumers may still be joining
// their groups and its outbox relay thread (accounts, redemption) connecting its producer. Each
// service must stop in order within 3 s (about 1 s here). Two delays were found and fixed:
// - a relay thread that never ended by itself, terminated after 10 s;
// - a consumer's idle fetch, which the stop waited for, up to kafkajs' default of 5 s.
describe('a service stopped right after it starts', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it.each<ServiceName>(['accounts', 'redemption', 'analytics', 'ingestion'])(
    '%s stops in order and exits within a few seconds',
    async (service) => {
      const process_ = await p.add(service, `${service}-stopped-early`);
      await eventually(
        async () => expect((await fetch(`${process_.url}/health`)).status).toBe(200),
        { timeoutMs: 60_000, intervalMs: 10 },
      );
      const askedAt = Date.now();
      await process_.kill('SIGTERM');
      const tookMs = Date.now() - askedAt;

      expect(process_.log()).not.toMatch(/relay thread did not stop/);
      // Nest raises the signal again once its shutdown hooks have run: that is the orderly end.
      expect(process_.exits).toEqual([{ code: null, signal: 'SIGTERM' }]);
      expect(tookMs).toBeLessThan(3_000);
    },
  );
});
