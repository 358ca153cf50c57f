import { Topics } from '@jifen/contracts';
import { eventually } from '@jifen/testing';
import {
  accountsEventsPublished,
  addHundredPointItem,
  Answer,
  audit,
  Platform,
  streamWithFault,
  withLogs,
} from './harness';

// Fault 8: the outbox relays "killed between publishing and marking". accounts and redemption
// are SIGKILLed and their relay checkpoints (outbox_checkpoints) deleted, as if no relay had
// ever marked a row sent: on restart every event and outbox row is published a second time, in
// the same order. Each domain event must still be applied once downstream: analytics' figures,
// the redemptions' states and every member's view are what they were.
describe('fault 8: the outbox relays publish everything again', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts', 'redemption', 'analytics'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('applies each event once downstream: analytics and redemptions unchanged', async () => {
    const { stream, expected } = await streamWithFault(p, {
      seed: 8,
      at: 0.1,
      inject: async () => undefined,
      verify: { analytics: true },
    });
    await withLogs(p, async () => {
      // Redemptions (a saga through accounts' commands topic and back) for 20 members.
      await addHundredPointItem(p);
      const redeemers = stream.memberIds
        .filter((m) => expected.states.get(m)!.status === 'enrolled')
        .slice(0, 20);
      const redemptionIds = redeemers.map((memberId) => `${memberId}-fault8`);
      await Promise.all(
        redeemers.map((memberId, i) =>
          p.call(
            'redemption',
            'POST',
            '/redemptions',
            { redemptionId: redemptionIds[i], memberId, itemId: 'fault-hundred', mode: 'points' },
            p.keys['member-app'],
          ),
        ),
      );
      const redemptions = () =>
        Promise.all(
          redemptionIds.map(
            async (id) => (await p.call('redemption', 'GET', `/redemptions/${id}`)).body,
          ),
        );
      await eventually(
        async () => {
          for (const r of await redemptions()) expect(['confirmed', 'refused']).toContain(r.status);
        },
        { timeoutMs: 60_000, intervalMs: 300 },
      );
      await caughtUp(p);
      await audit(p, true);

      const asOf = new Date().toISOString();
      const figures = async () => ({
        analytics: await analyticsFigures(p),
        redemptions: await redemptions(),
        members: await Promise.all(
          stream.memberIds.map(
            async (m) =>
              (await p.call('accounts', 'GET', `/members/${m}?asOf=${encodeURIComponent(asOf)}`))
                .body,
          ),
        ),
      });
      const before = await figures();
      expect(before.redemptions.filter((r) => r.status === 'confirmed').length).toBeGreaterThan(0);
      const accountsEventsBefore = await messagesOn(p, Topics.accountsEvents);

      for (const name of ['accounts', 'redemption']) await p.get(name).kill('SIGKILL');
      for (const service of ['accounts', 'redemption'] as const) {
        await p.query(`DELETE FROM ${p.schema(service)}.outbox_checkpoints`);
      }
      for (const name of ['accounts', 'redemption']) await p.get(name).restart();

      // Everything was published again ...
      const { events, outboxRows } = await accountsEventsPublished(p);
      await eventually(
        async () =>
          expect(await messagesOn(p, Topics.accountsEvents)).toBe(
            accountsEventsBefore + events.length + outboxRows,
          ),
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      // ... and changed nothing.
      await caughtUp(p);
      await audit(p, true);
      expect(await figures()).toEqual(before);
    });
  });
});

async function caughtUp(p: Platform): Promise<void> {
  await eventually(
    async () => {
      const lag = (await p.call('analytics', 'GET', '/analytics/lag')).body;
      expect(lag.events).toBe(0);
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
}

async function analyticsFigures(p: Platform): Promise<Answer> {
  const range = 'from=2000-01-01&to=2100-01-01';
  const out: Answer = {};
  for (const path of ['summary', 'daily', 'redemptions/by-item', 'tiers']) {
    const { status, body } = await p.call('analytics', 'GET', `/analytics/${path}?${range}`);
    out[path] = { status, body };
  }
  return out;
}

/** Messages on a topic of this platform: the sum of its partitions' high watermarks. */
async function messagesOn(p: Platform, topic: string): Promise<number> {
  const admin = p.ctx.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(`${p.ctx.topicPrefix}${topic}`);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}
