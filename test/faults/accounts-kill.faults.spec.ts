import { Platform, streamWithFault } from './harness';

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
    const accounts = p.get('accounts');
    await streamWithFault(p, {
      seed: 1,
      inject: async () => {
        await accounts.kill('SIGKILL');
        await accounts.restart();
      },
    });
    expect(accounts.exits).toEqual([{ code: null, signal: 'SIGKILL' }]);
  });
});
