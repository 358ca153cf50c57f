import { eventually } from '@jifen/testing';
import { inboundTopic, Platform, streamWithFault, verify, withLogs } from './harness';

// Fault 7: the inbound topic consumed again from offset 0. With ingestion stopped, its
// consumer group's offsets are reset to the earliest, and its own stored offsets (which would
// otherwise skip the replay) are deleted too: every event is forwarded to accounts a second
// time, and accounts must find every one of them processed.
describe('fault 7: the inbound topic re-consumed from offset 0', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('changes no balance: every replayed event is a duplicate', async () => {
    const { stream, expected } = await streamWithFault(p, {
      seed: 7,
      at: 0.1,
      inject: async () => undefined,
    });
    await withLogs(p, async () => {
      const before = (await p.call('accounts', 'GET', '/stats')).body;
      expect(before.applied).toBe(stream.events.length);

      const ingestion = p.get('ingestion');
      await ingestion.kill('SIGTERM');
      const admin = p.ctx.kafka.admin();
      await admin.connect();
      try {
        await admin.resetOffsets({
          groupId: `${p.ctx.topicPrefix}jifen-ingestion`,
          topic: inboundTopic(p),
          earliest: true,
        });
      } finally {
        await admin.disconnect();
      }
      await p.query(`DELETE FROM ${p.schema('ingestion')}.consumed_offsets`);
      ingestion.start();
      await ingestion.healthy();

      const after = await eventually(
        async () => {
          const stats = (await p.call('accounts', 'GET', '/stats')).body;
          expect(stats.received).toBe(2 * stream.events.length);
          return stats;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      expect(after.applied).toBe(before.applied);
      expect(after.duplicates).toBe(before.duplicates + stream.events.length);
      await verify(p, expected);
    });
  });
});
