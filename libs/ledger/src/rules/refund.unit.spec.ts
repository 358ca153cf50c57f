import { given } from '../testing/given';
import { checkIn, command, purchase, refund, signUp } from '../testing/builders';
import { reversedSoFar } from './refund';

describe('refunds: floor(orderPoints × refundedSoFar / orderAmount) − already reversed', () => {
  const history = [signUp('2024-03-01'), purchase('o1', 1_000_00, '2024-03-02')]; // 50 + 1,000

  it('reverses a proportional share, soonest-expiring lot first', () => {
    const outcome = given(...history)
      .when(refund('o1', 'f1', 333_33, '2024-03-05'))
      .then([
        { type: 'PurchaseRefunded', data: { refundedMinor: 333_33, reversedPoints: 333 } },
        {
          type: 'PointsReversed',
          data: {
            points: -333,
            balanceAfter: 717,
            debtIncurred: 0,
            ruleId: 'refund',
            // the promotional sign-up lot expires first
            lots: [
              { kind: 'promotional', points: 50 },
              { kind: 'standard', points: 283 },
            ],
          },
        },
      ]);
    expect(outcome.view().lifetime.reversed).toBe(333);
  });

  it('makes partial refunds that sum to the order reverse exactly its points', () => {
    const outcome = given(
      ...history,
      refund('o1', 'f1', 333_33, '2024-03-05'),
      refund('o1', 'f2', 333_33, '2024-03-06'),
    )
      .when(refund('o1', 'f3', 333_34, '2024-03-07'))
      .thenIncludes([{ type: 'PointsReversed', data: { points: -334 } }]);
    expect(outcome.view().lifetime.reversed).toBe(1_000);
    expect(outcome.view().balance).toBe(50);
  });

  it('computes in exact integers for large orders', () => {
    expect(reversedSoFar(9_007_199, 99_999_999_999, 99_999_999_999)).toBe(9_007_199);
    expect(reversedSoFar(1_948, 1, 3)).toBe(649);
  });

  it('changes nothing for a refund id already applied, and reverses nothing for a tiny refund', () => {
    given(...history, refund('o1', 'f1', 50, '2024-03-05'))
      .when(refund('o1', 'f1', 50, '2024-03-05'))
      .then([]);
    given(...history)
      .when(refund('o1', 'f1', 50, '2024-03-05'))
      .then([{ type: 'PurchaseRefunded', data: { reversedPoints: 0 } }]);
  });

  it('refuses in contract order: unknown_member, unknown_order, refund_exceeds_order', () => {
    given()
      .when(refund('o1', 'f1', 100, '2024-03-05'))
      .thenThrows('unknown_member');
    given(...history)
      .when(refund('o9', 'f1', 100, '2024-03-05'))
      .thenThrows('unknown_order');
    given(...history, refund('o1', 'f1', 900_00, '2024-03-05'))
      .when(refund('o1', 'f2', 100_01, '2024-03-05'))
      .thenThrows('refund_exceeds_order');
  });

  it('turns what cannot be taken into debt after the points were spent', () => {
    const spent = [
      ...history,
      command('RedeemPoints', '2024-03-03', { redemptionId: 'x1', points: 900 }),
    ];
    const outcome = given(...spent)
      .when(refund('o1', 'f1', 1_000_00, '2024-03-05'))
      .thenIncludes([
        {
          type: 'PointsReversed',
          data: { points: -150, balanceAfter: 0, debtIncurred: 850 },
        },
      ]);
    expect(outcome.view()).toMatchObject({ balance: 0, debt: 850, lifetime: { reversed: 150 } });
  });

  it('pays debt off first from later earned credits, with a debt_payoff entry', () => {
    const inDebt = [
      ...history,
      command('RedeemPoints', '2024-03-03', { redemptionId: 'x1', points: 1_000 }),
      refund('o1', 'f1', 1_000_00, '2024-03-05'), // 50 taken, 950 debt
    ];
    given(...inDebt)
      .when(purchase('o2', 500_00, '2024-03-06'))
      .thenIncludes([
        { type: 'PointsEarned', data: { points: 500, balanceAfter: 500, lots: [] } },
        {
          type: 'DebtPaidOff',
          data: { points: -500, balanceAfter: 0, debtAfter: 450, ruleId: 'debt_payoff' },
        },
      ]);
    const outcome = given(...inDebt, purchase('o2', 500_00, '2024-03-06'))
      .when(purchase('o3', 600_00, '2024-03-07'))
      .thenIncludes([
        { type: 'PointsEarned', data: { points: 600, balanceAfter: 600, lots: [{ points: 150 }] } },
        { type: 'DebtPaidOff', data: { points: -450, balanceAfter: 150, debtAfter: 0 } },
      ]);
    expect(outcome.view()).toMatchObject({ balance: 150, debt: 0, lifetime: { reversed: 1_000 } });
  });

  it('pays debt off from behaviour and partner credits, not from transferred-in lots', () => {
    const inDebt = [
      ...history,
      command('TransferPoints', '2024-03-03', {
        transferId: 't1',
        toMemberId: 'm-2',
        points: 1_050,
      }),
      refund('o1', 'f1', 1_000_00, '2024-03-05'), // all 1,000 become debt
    ];
    given(...inDebt)
      .when(checkIn('2024-03-06'))
      .thenIncludes([{ type: 'DebtPaidOff', data: { points: -5, debtAfter: 995 } }]);
    given(...inDebt)
      .when(
        command('CreditPartnerPoints', '2024-03-06', {
          messageId: 'p1',
          partnerId: 'hotel-y',
          points: 2_000,
        }),
      )
      .thenIncludes([
        { type: 'PartnerPointsCredited', data: { points: 2_000, lots: [{ points: 1_000 }] } },
        { type: 'DebtPaidOff', data: { points: -1_000, debtAfter: 0 } },
      ]);
    const received = given(...inDebt).when(
      command('ReceiveTransfer', '2024-03-06', {
        transferId: 't9',
        fromMemberId: 'm-3',
        lots: [
          {
            points: 300,
            kind: 'standard',
            earnedAt: '2024-01-01T00:00:00Z',
            expiresAt: '2026-01-01T00:00:00Z',
          },
        ],
      }),
    );
    expect(received.view()).toMatchObject({ balance: 300, debt: 1_000 });
  });

  it('does not reverse referral bonuses and does not downgrade a tier', () => {
    const outcome = given(
      signUp('2024-03-01', { referrerId: 'm-2' }),
      purchase('o1', 2_000_00, '2024-03-02'),
    ).when(refund('o1', 'f1', 2_000_00, '2024-03-05'));
    expect(outcome.view()).toMatchObject({ balance: 100, tier: 'silver', qualifyingSpendMinor: 0 });
  });
});
