import { randomUUID } from 'node:crypto';
import { CloudEvent } from '@jifen/contracts';
import { eventually } from '@jifen/testing';
import {
  Answer,
  expectedOf,
  inboundTopic,
  knownStream,
  Platform,
  Publisher,
  sleep,
  verify,
  withLogs,
  addHundredPointItem,
} from './harness';

// Fault 10: one member's points spent from many clients at once — redemptions (redemption
// service, a saga through accounts' commands topic) and transfers (accounts' HTTP API) — while
// their purchases stream in with everyone else's. The balance must never be seen below zero,
// every confirmed redemption and completed transfer must be in the ledger once, and the
// ledger must add up (the audit).
describe('fault 10: concurrent redemptions and transfers on one member', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts', 'redemption'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('never goes below zero, and the ledger adds up', async () => {
    const stream = knownStream({ seed: 10 });
    const hot = `${p.ctx.schemaPrefix}hot`;
    const recipient = `${p.ctx.schemaPrefix}recipient`;
    const event = (type: string, time: string, data: Record<string, unknown>): CloudEvent => ({
      specversion: '1.0',
      id: randomUUID(),
      source: 'faults/concurrent',
      type,
      time,
      subject: data.memberId as string,
      datacontenttype: 'application/json',
      data: data as CloudEvent['data'],
    });
    // Both sign up first; the hot member's 60 purchases are spread through the stream.
    const events = [
      event('member.signed_up', stream.events[0].time!, { memberId: hot }),
      event('member.signed_up', stream.events[0].time!, { memberId: recipient }),
    ];
    const every = Math.floor(stream.events.length / 60);
    stream.events.forEach((e, i) => {
      events.push(e);
      if (i % every === every - 1) {
        events.push(
          event('purchase.completed', e.time!, {
            memberId: hot,
            orderId: `hot-${i}`,
            amountMinor: 20_000,
            currency: 'CNY',
          }),
        );
      }
    });
    const expected = expectedOf(events);

    await withLogs(p, async () => {
      await addHundredPointItem(p);
      const publisher = new Publisher(p.ctx.brokers, inboundTopic(p), events, {
        chunk: 100,
        pauseMs: 60,
      });
      await eventually(
        async () =>
          expect((await p.call('accounts', 'GET', `/members/${recipient}`)).status).toBe(200),
        { timeoutMs: 60_000, intervalMs: 200 },
      );

      let publishing = true;
      let spending = true;
      const balances: number[] = [];
      const sampler = (async () => {
        while (spending) {
          const { status, body } = await p.call('accounts', 'GET', `/members/${hot}`);
          if (status === 200)
            balances.push(
              body.balance as number,
              (body.balance as number) + (body.reserved as number),
            );
          await sleep(50);
        }
      })();
      const redemptions: string[] = [];
      const transfers: Array<{ transferId: string; points: number }> = [];
      let requests = 0;
      const client = async (n: number) => {
        // While the purchases stream in, and at least 120 requests in all.
        while ((publishing || requests < 120) && requests < 240) {
          requests++;
          if ((n + requests) % 2 === 0) {
            const redemptionId = `hot-r-${requests}-${n}`;
            redemptions.push(redemptionId);
            await p.call(
              'redemption',
              'POST',
              '/redemptions',
              { redemptionId, memberId: hot, itemId: 'fault-hundred', mode: 'points' },
              p.keys['member-app'],
            );
          } else {
            const transferId = `hot-t-${requests}-${n}`;
            const points = 100 + ((n * 37 + requests) % 5) * 25;
            transfers.push({ transferId, points });
            await p.call(
              'accounts',
              'POST',
              `/members/${hot}/transfers`,
              { transferId, toMemberId: recipient, points },
              p.keys['member-app'],
            );
          }
        }
      };
      const clients = Promise.all(Array.from({ length: 12 }, (_, n) => client(n)));
      await publisher.done;
      publishing = false;
      await clients;
      spending = false;
      await sampler;

      // Every request settled: confirmed or refused, completed or refused.
      const settled = async (path: string, done: string[]) =>
        eventually(
          async () => {
            const { body } = await p.call(
              'accounts' === path.split('|')[0] ? 'accounts' : 'redemption',
              'GET',
              path.split('|')[1],
            );
            expect(done).toContain(body.status);
            return body;
          },
          { timeoutMs: 60_000, intervalMs: 200 },
        );
      const redeemed: Answer[] = [];
      for (const id of redemptions)
        redeemed.push(await settled(`redemption|/redemptions/${id}`, ['confirmed', 'refused']));
      const transferred: Answer[] = [];
      for (const t of transfers) {
        transferred.push(
          await settled(`accounts|/members/${hot}/transfers/${t.transferId}`, [
            'completed',
            'refused',
          ]),
        );
      }
      const confirmed = redeemed.filter((r) => r.status === 'confirmed').length;
      const completedPoints = transferred
        .filter((t) => t.status === 'completed')
        .reduce((sum, t) => sum + (t.points as number), 0);
      expect(redemptions.length + transfers.length).toBeGreaterThanOrEqual(120);
      expect(confirmed).toBeGreaterThan(0);
      expect(completedPoints).toBeGreaterThan(0);
      for (const r of redeemed.filter((x) => x.status === 'refused'))
        expect(r.reason).toBe('insufficient_points');
      for (const t of transferred.filter((x) => x.status === 'refused'))
        expect(t.reason).toBe('insufficient_points');

      // Never below zero while it ran.
      expect(balances.length).toBeGreaterThan(10);
      expect(Math.min(...balances)).toBeGreaterThanOrEqual(0);

      // Everyone else exactly as the stream says; the audit finds nothing.
      await verify(p, expected, { exclude: new Set([hot, recipient]) });

      // The hot member's ledger adds up, each confirmed redemption and transfer once.
      const view = await eventually(async () => {
        const { body } = await p.call('accounts', 'GET', `/members/${hot}`);
        expect(body.lifetime.transferredOut).toBe(completedPoints);
        expect(body.lifetime.redeemed).toBe(100 * confirmed);
        return body;
      });
      const earned =
        expected.states.get(hot)!.status === 'enrolled' ? expectedEarned(expected, hot) : 0;
      expect(view.lifetime.earned).toBe(earned);
      expect(view.reserved).toBe(0);
      expect(view.balance).toBe(earned - 100 * confirmed - completedPoints);
      expect(view.balance).toBeGreaterThanOrEqual(0);
      const other = (await p.call('accounts', 'GET', `/members/${recipient}`)).body;
      expect(other.lifetime.transferredIn).toBe(completedPoints);
      expect(other.balance).toBe(expectedEarned(expected, recipient) + completedPoints);
    });
  });
});

function expectedEarned(expected: ReturnType<typeof expectedOf>, memberId: string): number {
  const state = expected.states.get(memberId)!;
  if (state.status !== 'enrolled') return 0;
  return state.lifetime.earned;
}
