import { given } from './testing/given';
import { purchase, runExpiry, signUp } from './testing/builders';

describe('expiry run as of t', () => {
  // Sign-up 2024-03-01 10:00 Shanghai: 50 promotional points expiring 2024-03-31 10:00.
  const signedUp = [signUp('2024-03-01 10:00')];

  it('expires a promotional lot after 30 × 24 hours even while the member keeps buying', () => {
    const outcome = given(...signedUp, purchase('o1', 100_00, '2024-03-30'))
      .when(runExpiry('2024-03-31 10:00'))
      .then([
        {
          type: 'PointsExpired',
          data: {
            points: -50,
            balanceAfter: 100,
            ruleId: 'expiry.promotional',
            lots: [{ kind: 'promotional', points: 50, expiresAt: '2024-03-31T02:00:00.000Z' }],
            explanation:
              '50 points earned 2024-03-01 expired (due 2024-03-31: promotional lots last 30 days)',
          },
        },
      ]);
    expect(outcome.view().lifetime.expired).toBe(50);
  });

  it('expires nothing before the instant, and a lot not yet expired by a run still counts', () => {
    const outcome = given(...signedUp).when(runExpiry('2024-03-31 09:59'));
    expect(outcome.events.map((e) => e.type)).not.toContain('PointsExpired');
    expect(
      given(...signedUp)
        .when(runExpiry('2024-03-01 10:00'))
        .view('2024-04-30T00:00:00Z').balance,
    ).toBe(50);
  });

  it('lets a standard lot outlive its instant while the member keeps buying', () => {
    const history = [
      purchase('o1', 100_00, '2022-03-01 10:00'),
      purchase('o2', 200_00, '2023-06-01 10:00'),
    ];
    given(...history)
      .when(runExpiry('2024-03-02 00:30'))
      .then([]);
    given(...history)
      .when(runExpiry('2024-06-01 10:00'))
      .thenIncludes([
        {
          type: 'PointsExpired',
          data: {
            points: -100,
            ruleId: 'expiry.standard',
            lots: [{ kind: 'standard', points: 100 }],
          },
        },
      ]);
  });

  it('expires an inactive member’s standard lot at its instant', () => {
    given(purchase('o1', 100_00, '2022-03-01 10:00'))
      .when(runExpiry('2024-03-01 10:00'))
      .then([{ type: 'PointsExpired', data: { points: -100, balanceAfter: 0 } }]);
  });
});

describe('points.expiring_soon at 30, 15 and 7 days', () => {
  const signedUp = [signUp('2024-03-01 10:00')];
  const soon = (withinDays: number) => ({
    type: 'PointsExpiringSoon' as const,
    data: { withinDays, points: 50, lots: [{ points: 50, expiresAt: '2024-03-31T02:00:00.000Z' }] },
  });

  it('announces each threshold once as the instant approaches', () => {
    given(...signedUp)
      .when(runExpiry('2024-03-01 10:01'))
      .then([soon(30)]);
    const after30 = [...signedUp, runExpiry('2024-03-01 10:01')];
    given(...after30)
      .when(runExpiry('2024-03-10'))
      .then([]);
    given(...after30)
      .when(runExpiry('2024-03-16 10:00'))
      .then([soon(15)]);
    const after15 = [...after30, runExpiry('2024-03-16 10:00')];
    given(...after15)
      .when(runExpiry('2024-03-20'))
      .then([]);
    given(...after15)
      .when(runExpiry('2024-03-24 10:00'))
      .then([soon(7)]);
    given(...after15, runExpiry('2024-03-24 10:00'))
      .when(runExpiry('2024-03-28'))
      .then([]);
  });

  it('jumps straight to the smallest threshold reached', () => {
    given(...signedUp)
      .when(runExpiry('2024-03-25'))
      .then([soon(7)]);
  });

  it('does not warn about a standard lot of an active member, and shows it in the view when due', () => {
    given(purchase('o1', 100_00, '2022-03-01 10:00'), purchase('o2', 100_00, '2023-06-01 10:00'))
      .when(runExpiry('2024-02-10'))
      .then([]);
    const outcome = given(purchase('o1', 100_00, '2022-03-01 10:00'))
      .when(runExpiry('2024-02-10'))
      .then([{ type: 'PointsExpiringSoon', data: { withinDays: 30, points: 100 } }]);
    expect(outcome.view('2024-02-10T00:00:00+08:00').expiringSoon).toEqual([
      { points: 100, expiresAt: '2024-03-01T02:00:00.000Z' },
    ]);
    expect(outcome.view('2024-01-10T00:00:00+08:00').expiringSoon).toEqual([]);
  });
});
