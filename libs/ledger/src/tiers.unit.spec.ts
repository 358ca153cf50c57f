import { given } from './testing/given';
import { purchase, refund, reviewTier, signUp } from './testing/builders';
import { lotExpiresAt } from './lots';
import { RETAIL_CHAIN_V1 } from './program';
import { addCalendarMonths, toInstant } from './time';

describe('tiers on trailing-12-month qualifying spend', () => {
  it('reports qualifying spend, purchases less refunds in (t − 12 months, t], and the next tier', () => {
    const outcome = given(
      purchase('o1', 1_500_00, '2024-03-01 12:00'),
      purchase('o2', 300_00, '2024-06-01'),
    ).when(refund('o2', 'f1', 100_00, '2024-06-02'));
    expect(outcome.view(toInstant('2024-06-02T12:00:00+08:00'))).toMatchObject({
      tier: 'member',
      qualifyingSpendMinor: 1_700_00,
      nextTier: { tier: 'silver', spendNeededMinor: 300_00 },
    });
    // The window excludes its start: 12 months after 2024-03-01 12:00, that purchase is out.
    expect(outcome.view('2025-03-01T12:00:00+08:00').qualifyingSpendMinor).toBe(200_00);
    expect(outcome.view('2025-03-01T11:59:59+08:00').qualifyingSpendMinor).toBe(1_700_00);
  });

  it('has no next tier at diamond', () => {
    const outcome = given().when(purchase('o1', 20_000_00, '2024-03-01'));
    expect(outcome.view().nextTier).toBeNull();
  });

  describe('review as of t', () => {
    const gold = [signUp('2024-01-01'), purchase('o1', 8_000_00, '2024-03-01 12:00')];

    it('does nothing while the hold lasts', () => {
      given(...gold)
        .when(reviewTier('2025-03-01 11:59'))
        .then([]);
    });

    it('renews the hold until t + 12 months when the spend still qualifies', () => {
      given(...gold, purchase('o2', 8_000_00, '2024-12-01'))
        .when(reviewTier('2025-03-02 00:30'))
        .then([
          {
            type: 'TierHoldRenewed',
            data: {
              tier: 'gold',
              heldUntil: '2026-03-01T16:30:00.000Z',
              qualifyingSpendMinor: 8_000_00,
            },
          },
        ]);
    });

    it('moves down exactly one tier, held until t + 12 months', () => {
      const diamond = [purchase('o1', 20_000_00, '2024-03-01 12:00')];
      given(...diamond)
        .when(reviewTier('2025-03-02 00:30'))
        .then([
          {
            type: 'TierChanged',
            data: {
              from: 'diamond',
              tier: 'gold',
              reason: 'review_downgrade',
              qualifyingSpendMinor: 0,
              heldUntil: '2026-03-01T16:30:00.000Z',
            },
          },
        ]);
      given(...diamond, reviewTier('2025-03-02 00:30'))
        .when(reviewTier('2026-03-02 00:30'))
        .then([{ type: 'TierChanged', data: { from: 'gold', tier: 'silver' } }]);
    });

    it('never downgrades on a refund alone', () => {
      given(...gold)
        .when(refund('o1', 'f1', 8_000_00, '2024-03-02'))
        .then([{ type: 'PurchaseRefunded' }, { type: 'PointsReversed' }]);
    });

    it('leaves the lowest tier alone', () => {
      given(signUp('2024-01-01')).when(reviewTier('2026-01-01')).then([]);
    });
  });
});

describe('months that end on the 29th, 30th and 31st (calendar months clamp)', () => {
  const tz = 'Asia/Shanghai';
  it.each([
    ['2024-01-29T10:00:00+08:00', '2026-01-29T02:00:00.000Z'],
    ['2024-01-31T10:00:00+08:00', '2026-01-31T02:00:00.000Z'],
    ['2024-02-29T10:00:00+08:00', '2026-02-28T02:00:00.000Z'],
    ['2023-12-30T10:00:00+08:00', '2025-12-30T02:00:00.000Z'],
  ])('a standard lot earned %s expires %s', (earned, expires) => {
    expect(lotExpiresAt('standard', toInstant(earned), RETAIL_CHAIN_V1, tz)).toBe(expires);
  });

  it.each([
    ['2024-01-31T10:00:00+08:00', 1, '2024-02-29T02:00:00.000Z'],
    ['2023-01-31T10:00:00+08:00', 1, '2023-02-28T02:00:00.000Z'],
    ['2024-03-31T10:00:00+08:00', 1, '2024-04-30T02:00:00.000Z'],
    ['2024-05-30T10:00:00+08:00', 9, '2025-02-28T02:00:00.000Z'],
  ])('%s + %i months = %s', (from, months, to) => {
    expect(addCalendarMonths(toInstant(from), months, tz)).toBe(to);
  });

  it('holds a tier reached on 29 February until 28 February next year', () => {
    const outcome = given().when(purchase('o1', 2_000_00, '2024-02-29 10:00'));
    expect(outcome.view().tierHeldUntil).toBe('2025-02-28T02:00:00.000Z');
  });

  it('keeps a purchase of 31 March in the window until 31 March next year, same local time', () => {
    const outcome = given().when(purchase('o1', 2_000_00, '2024-03-31 10:00'));
    expect(outcome.view('2025-03-31T09:59:00+08:00').qualifyingSpendMinor).toBe(2_000_00);
    expect(outcome.view('2025-03-31T10:00:00+08:00').qualifyingSpendMinor).toBe(0);
  });
});
