import { given, stateFrom } from '../testing/given';
import { command, ME, purchase, signUp } from '../testing/builders';
import { decide } from '../decide';
import type { PointsTransferredOut } from '../events';
import { memberView } from '../member-view';
import { receiveTransferCommandFor } from './transfer';

const transfer = (
  transferId: string,
  points: number,
  time = '2024-03-05 10:00',
  toMemberId = 'm-2',
) => command('TransferPoints', time, { transferId, toMemberId, points });

describe('transfers between members', () => {
  // 50 promotional (expires 2024-03-31) + 30,000 standard (expires 2026-03-02).
  const rich = [signUp('2024-03-01 10:00'), purchase('o1', 30_000_00, '2024-03-02 10:00')];

  it('moves the sender’s lots soonest-expiring first, keeping their expiry, to the recipient', () => {
    const outcome = given(...rich)
      .when(transfer('t1', 500))
      .then([
        {
          type: 'PointsTransferredOut',
          data: {
            points: -500,
            transferId: 't1',
            toMemberId: 'm-2',
            day: '2024-03-05',
            lots: [
              { points: 50, kind: 'promotional', expiresAt: '2024-03-31T02:00:00.000Z' },
              { points: 450, kind: 'standard', expiresAt: '2026-03-02T02:00:00.000Z' },
            ],
          },
        },
      ]);
    const out = outcome.events[0] as PointsTransferredOut;
    const receive = receiveTransferCommandFor(ME, out);
    expect(receive).toMatchObject({
      type: 'ReceiveTransfer',
      memberId: 'm-2',
      transferId: 't1',
      fromMemberId: ME,
    });

    const recipient = stateFrom([command('SignUp', '2024-03-01', { memberId: 'm-2' })]);
    const events = decide(receive, recipient);
    expect(events).toMatchObject([
      {
        type: 'PointsTransferredIn',
        data: {
          points: 500,
          balanceAfter: 550,
          lots: [
            { points: 50, kind: 'promotional', expiresAt: '2024-03-31T02:00:00.000Z' },
            { points: 450, kind: 'standard', expiresAt: '2026-03-02T02:00:00.000Z' },
          ],
        },
      },
    ]);
    const after = stateFrom([command('SignUp', '2024-03-01', { memberId: 'm-2' }), ...events]);
    expect(memberView(after, '2024-03-05T10:00:00+08:00')?.lifetime.transferredIn).toBe(500);
    expect(decide(receive, after)).toEqual([]); // the same transfer id again changes nothing
    expect(outcome.view().lifetime.transferredOut).toBe(500);
  });

  it('allows 10,000 per transfer, not 10,001', () => {
    given(...rich)
      .when(transfer('t1', 10_000))
      .then([{ type: 'PointsTransferredOut' }]);
    given(...rich)
      .when(transfer('t1', 10_001))
      .thenThrows('transfer_limit');
  });

  it('allows 20,000 per sender per calendar day, and more the next local day', () => {
    const sent = [
      ...rich,
      transfer('t1', 10_000, '2024-03-05 00:00'),
      transfer('t2', 10_000, '2024-03-05 12:00'),
    ];
    given(...sent)
      .when(transfer('t3', 1, '2024-03-05 23:59'))
      .thenThrows('daily_transfer_limit');
    given(...sent)
      .when(transfer('t3', 1, '2024-03-06 00:00'))
      .then([{ type: 'PointsTransferredOut' }]);
    given(...rich, transfer('t1', 10_000))
      .when(transfer('t2', 10_001))
      .thenThrows('transfer_limit');
    given(...rich, transfer('t1', 15_000 - 5_000), transfer('t2', 5_000))
      .when(transfer('t3', 5_001))
      .thenThrows('daily_transfer_limit');
  });

  it('refuses below the minimum, to oneself, and beyond the balance', () => {
    given(...rich)
      .when(transfer('t1', 0))
      .thenThrows('below_minimum');
    given(...rich)
      .when(transfer('t1', 5, undefined, ME))
      .thenThrows('self_transfer');
    given(signUp('2024-03-01')).when(transfer('t1', 51)).thenThrows('insufficient_points');
    given().when(transfer('t1', 5)).thenThrows('unknown_member');
  });

  it('changes nothing for a transfer id already applied', () => {
    given(...rich, transfer('t1', 100))
      .when(transfer('t1', 100))
      .then([]);
  });
});
