import { given } from './testing/given';
import { command, ME, purchase, signUp } from './testing/builders';
import { RETAIL_CHAIN_V1, type LedgerConfig } from './program';
import { isInControlGroup, memberIdHash } from './control-group';

/** Referral bonuses are behaviour points worth 100 each: a quick way to approach the cap. */
const bulkBehaviour = (n: number, time: string) =>
  Array.from({ length: n }, (_, i) =>
    command('CreditReferralBonus', time, { refereeId: `r${i}`, trigger: 'first_purchase' }),
  );

describe('monthly behaviour cap: 5,000 per member per calendar month', () => {
  // 50 sign-up + 49 × 100 referral = 4,950; the next 100 crosses the cap.
  const history = [signUp('2024-03-01'), ...bulkBehaviour(49, '2024-03-10')];

  it('credits what fits and records a capped entry for what is withheld, mid-month', () => {
    const outcome = given(...history)
      .when(
        command('CreditReferralBonus', '2024-03-15', { refereeId: 'x', trigger: 'first_purchase' }),
      )
      .then([
        {
          type: 'PointsEarned',
          data: { points: 50, behaviourMonth: '2024-03' },
        },
        {
          type: 'PointsCapped',
          data: {
            points: 0,
            withheld: 50,
            ruleId: 'monthly_cap',
            explanation:
              'Monthly cap of 5,000 behaviour points reached in 2024-03: 50 points withheld (referral.first_purchase)',
          },
        },
      ]);
    expect(outcome.view().balance).toBe(5_000);
    expect(outcome.view().lifetime.earned).toBe(5_000);
  });

  it('withholds everything once the cap is reached, but never purchase points', () => {
    const full = [...history, ...bulkBehaviour(1, '2024-03-15')];
    given(...full)
      .when(command('RecordShare', '2024-03-20', { shareId: 's1' }))
      .then([
        { type: 'ShareRecorded' },
        { type: 'PointsCapped', data: { withheld: 10, points: 0 } },
      ]);
    given(...full)
      .when(purchase('o1', 100_00, '2024-03-20'))
      .thenIncludes([{ type: 'PointsEarned', data: { points: 100 } }]);
  });

  it('starts again in the next calendar month of program time', () => {
    const full = [...history, ...bulkBehaviour(1, '2024-03-15')];
    given(...full)
      .when(command('RecordShare', '2024-04-01 00:00', { shareId: 's1' }))
      .then([
        { type: 'ShareRecorded' },
        { type: 'PointsEarned', data: { points: 10, behaviourMonth: '2024-04' } },
      ]);
  });

  it('does not count partner credits against the cap', () => {
    given(...history)
      .when(
        command('CreditPartnerPoints', '2024-03-15', {
          messageId: 'p1',
          partnerId: 'airline-x',
          points: 20_000,
        }),
      )
      .then([{ type: 'PartnerPointsCredited', data: { points: 20_000 } }]);
  });
});

describe('control group', () => {
  const everyone: LedgerConfig = {
    timeZone: 'Asia/Shanghai',
    program: { versions: [{ ...RETAIL_CHAIN_V1, controlGroupShareBasisPoints: 10_000 }] },
  };

  it('is chosen by a stable hash of the member id (0 in retail-chain)', () => {
    expect(memberIdHash('m-1')).toBe(memberIdHash('m-1'));
    expect(memberIdHash('m-1')).not.toBe(memberIdHash('m-2'));
    expect(memberIdHash('')).toBe(0x811c9dc5);
    expect(isInControlGroup('m-1', RETAIL_CHAIN_V1)).toBe(false);
  });

  it('takes about the configured share of members', () => {
    const half = { ...RETAIL_CHAIN_V1, controlGroupShareBasisPoints: 5_000 };
    const members = Array.from({ length: 2_000 }, (_, i) => `member-${i}`);
    const inGroup = members.filter((m) => isInControlGroup(m, half)).length;
    expect(inGroup).toBeGreaterThan(900);
    expect(inGroup).toBeLessThan(1_100);
  });

  it('earns no behaviour points, but earns purchase points', () => {
    given()
      .withConfig(everyone)
      .when(signUp('2024-03-01'))
      .then([{ type: 'MemberSignedUp', data: { controlGroup: true } }]);
    given({
      type: 'MemberEnrolled',
      data: { memberId: ME, occurredAt: '2024-03-01T00:00:00.000Z', sourceEventId: 'e' },
    })
      .withConfig(everyone)
      .when(purchase('o1', 100_00, '2024-03-02'))
      .thenIncludes([{ type: 'PointsEarned', data: { points: 100 } }]);
  });
});
