import { purchaseEarning } from './purchase';
import { RETAIL_CHAIN_V1 } from '../program';
import { given } from '../testing/given';
import { at, ME, profile, purchase, signUp } from '../testing/builders';
import type { PointsEarned } from '../events';

describe('purchase earning: floor(amountMinor / 100) × tier multiplier, floored', () => {
  it.each([
    ['member', 129_999, 1_299, '1,299 CNY × 1.0 member = 1,299 points'],
    ['silver', 129_999, 1_558, '1,299 CNY × 1.2 silver = 1,558 points'],
    ['gold', 129_900, 1_948, '1,299 CNY × 1.5 gold = 1,948 points'],
    ['diamond', 129_900, 2_598, '1,299 CNY × 2.0 diamond = 2,598 points'],
    ['member', 99, 0, '0 CNY × 1.0 member = 0 points'],
  ] as const)('%s on %i fen earns %i', (tier, amount, points, explanation) => {
    expect(purchaseEarning(amount, tier, false, RETAIL_CHAIN_V1)).toMatchObject({
      points,
      explanation,
    });
  });

  it('uses integer arithmetic where binary floating point would be off (3 × 1.2 = 3.5999…)', () => {
    expect(purchaseEarning(300, 'silver', false, RETAIL_CHAIN_V1).points).toBe(3);
    expect(purchaseEarning(1_000, 'silver', false, RETAIL_CHAIN_V1).points).toBe(12);
  });

  it('gives a diamond member ×3 in the birthday month, and only diamonds', () => {
    expect(purchaseEarning(129_900, 'diamond', true, RETAIL_CHAIN_V1)).toMatchObject({
      points: 3_897,
      explanation: '1,299 CNY × 3.0 diamond birthday month = 3,897 points',
    });
    expect(purchaseEarning(129_900, 'gold', true, RETAIL_CHAIN_V1).points).toBe(1_948);
  });
});

describe('RecordPurchase', () => {
  it('credits a standard lot expiring 24 calendar months later, same local time', () => {
    given(signUp('2024-01-01'))
      .when(purchase('o1', 129_999, '2024-01-31 10:00'))
      .then([
        { type: 'PurchaseRecorded', data: { orderId: 'o1', points: 1_299, tierBefore: 'member' } },
        {
          type: 'PointsEarned',
          data: {
            points: 1_299,
            balanceAfter: 1_349,
            ruleId: 'purchase',
            ruleVersion: 1,
            behaviourMonth: null,
            explanation: '1,299 CNY × 1.0 member = 1,299 points',
            lots: [
              {
                points: 1_299,
                kind: 'standard',
                earnedAt: '2024-01-31T02:00:00.000Z',
                expiresAt: '2026-01-31T02:00:00.000Z',
              },
            ],
          },
        },
      ]);
  });

  it('enrols a member never seen, without a sign-up bonus', () => {
    const outcome = given()
      .when(purchase('o1', 10_000, '2024-03-01'))
      .then([
        { type: 'MemberEnrolled', data: { memberId: ME } },
        { type: 'PurchaseRecorded' },
        { type: 'PointsEarned', data: { points: 100 } },
      ]);
    expect(outcome.view().balance).toBe(100);
  });

  it('changes nothing for an order already recorded', () => {
    given(purchase('o1', 10_000, '2024-03-01'))
      .when(purchase('o1', 10_000, '2024-03-02'))
      .then([]);
  });

  it('refuses an amount that is not a positive integer', () => {
    given()
      .when(purchase('o1', 0, '2024-03-01'))
      .thenThrows('invalid');
    given()
      .when(purchase('o1', 10.5, '2024-03-01'))
      .thenThrows('invalid');
  });

  it('earns at the old tier on the purchase that crosses a threshold, then upgrades', () => {
    given(signUp('2024-01-01'), purchase('o1', 1_500_00, '2024-02-01'))
      .when(purchase('o2', 1_000_00, '2024-03-01 09:30'))
      .then([
        { type: 'PurchaseRecorded', data: { tierBefore: 'member' } },
        {
          type: 'PointsEarned',
          data: { points: 1_000, explanation: '1,000 CNY × 1.0 member = 1,000 points' },
        },
        {
          type: 'TierChanged',
          data: {
            from: 'member',
            tier: 'silver',
            reason: 'upgrade',
            qualifyingSpendMinor: 2_500_00,
            heldUntil: '2025-03-01T01:30:00.000Z',
          },
        },
      ]);
  });

  it('upgrades straight to the highest tier the spend reaches', () => {
    given()
      .when(purchase('o1', 20_000_00, '2024-03-01'))
      .thenIncludes([{ type: 'TierChanged', data: { from: 'member', tier: 'diamond' } }]);
  });

  it('earns at the new tier on the next purchase, and a non-upgrading purchase keeps the hold', () => {
    const outcome = given(purchase('o1', 8_000_00, '2024-03-01'))
      .when(purchase('o2', 100_00, '2024-06-01'))
      .then([
        { type: 'PurchaseRecorded', data: { tierBefore: 'gold' } },
        {
          type: 'PointsEarned',
          data: { points: 150, explanation: '100 CNY × 1.5 gold = 150 points' },
        },
      ]);
    expect(outcome.view().tierHeldUntil).toBe('2025-03-01T04:00:00.000Z');
  });

  it('applies ×3 to a diamond member whose birthday month is the purchase month in program time', () => {
    const history = [
      signUp('2024-01-01', { birthday: '05-20' }),
      purchase('o1', 20_000_00, '2024-01-02'),
    ];
    // 2024-05-01 00:30 in Shanghai is still 30 April in UTC: the program's calendar decides.
    given(...history)
      .when(purchase('o2', 100_00, '2024-05-01 00:30'))
      .thenIncludes([{ type: 'PointsEarned', data: { points: 300 } }]);
    given(...history)
      .when(purchase('o2', 100_00, '2024-04-30 23:30'))
      .thenIncludes([{ type: 'PointsEarned', data: { points: 200 } }]);
  });

  it('takes the birthday from a later profile completion', () => {
    given(purchase('o1', 20_000_00, '2024-01-02'), profile('2024-01-03', { birthday: '02-10' }))
      .when(purchase('o2', 100_00, '2024-02-27'))
      .thenIncludes([{ type: 'PointsEarned', data: { points: 300 } }]);
  });

  it('records when it happened in UTC whatever the offset it came with', () => {
    const { events } = given().when(purchase('o1', 100_00, '2024-03-01 08:00'));
    const earned = events.find((e): e is PointsEarned => e.type === 'PointsEarned');
    expect(earned?.data.occurredAt).toBe(new Date(at('2024-03-01 08:00')).toISOString());
  });
});
