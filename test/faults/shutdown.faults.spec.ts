import { eventually } from '@jifen/testing';
import { Platform } from './harness';

// Not a fault injected but an operator's ordinary stop, at its most awkward moment: SIGTERM the
// instant accounts first answers /health, while its outbox relay thread may still be connecting
// its producer. The service must stop in order well inside its 25 s deadline, its relay thread
// included, rather than wait out the 10 s after which the thread is terminated.
describe('a service stopped right after it starts', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('stops its relay thread in order and exits within a few seconds', async () => {
    const accounts = await p.add('accounts', 'accounts');
    await eventually(async () => expect((await fetch(`${accounts.url}/health`)).status).toBe(200), {
      timeoutMs: 60_000,
      intervalMs: 10,
    });
    const askedAt = Date.now();
    await accounts.kill('SIGTERM');
    const tookMs = Date.now() - askedAt;

    expect(accounts.log()).not.toMatch(/relay thread did not stop/);
    // Nest raises the signal again once its shutdown hooks have run: that is the orderly end.
    expect(accounts.exits).toEqual([{ code: null, signal: 'SIGTERM' }]);
    expect(tookMs).toBeLessThan(8_000);
  });
});
