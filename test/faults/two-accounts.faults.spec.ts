import { AssignerProtocol } from 'kafkajs';
import { Topics } from '@jifen/contracts';
import { Platform, streamWithFault } from './harness';

// Fault 6: two accounts instances in one consumer group share the commands topic's partitions;
// one is SIGKILLed while both apply batches. After the session timeout the survivor owns every
// partition and applies the dead instance's uncommitted batches from the stored offsets.
describe('fault 6: two accounts instances, one SIGKILLed while both are busy', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts'], partitions: 6 });
    await p.add('accounts', 'accounts-2');
    await p.get('accounts-2').healthy();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('loses nothing and doubles nothing', async () => {
    const second = p.get('accounts-2');
    let busy: Record<string, number> = {};
    await streamWithFault(p, {
      seed: 6,
      inject: async () => {
        // Both instances have applied batches: each wrote consumed offsets of its partitions.
        busy = await batchesBy(p);
        await second.kill('SIGKILL');
      },
      verify: { timeoutMs: 180_000 },
    });
    expect(second.exits).toEqual([{ code: null, signal: 'SIGKILL' }]);
    expect(p.get('accounts').exits).toEqual([]);
    // At the kill, both instances owned partitions of the commands topic.
    expect(Object.values(busy)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(Math.min(...Object.values(busy))).toBeGreaterThan(0);
  });
});

/** The accounts group's members and how many commands partitions each owns. */
async function batchesBy(p: Platform): Promise<Record<string, number>> {
  const admin = p.ctx.kafka.admin();
  await admin.connect();
  try {
    const {
      groups: [group],
    } = await admin.describeGroups([`${p.ctx.topicPrefix}jifen-accounts`]);
    return Object.fromEntries(
      group.members.map((member) => {
        const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        const owned = assignment?.assignment[p.ctx.topic(Topics.commands)] ?? [];
        return [member.memberId, owned.length];
      }),
    );
  } finally {
    await admin.disconnect();
  }
}
