import { given } from '../testing/given';
import { checkIn, command, ME, profile, purchase, signUp } from '../testing/builders';
import { referralBonusCommandFor } from './referral';
import type { ReferrerBonusDue } from '../events';

describe('sign-up: 50 points, promotional', () => {
  it('credits 50 in a promotional lot expiring 30 × 24 hours later', () => {
    given()
      .when(signUp('2024-03-01 10:00'))
      .then([
        { type: 'MemberSignedUp', data: { memberId: ME, referrerId: null, controlGroup: false } },
        {
          type: 'PointsEarned',
          data: {
            points: 50,
            ruleId: 'sign_up',
            explanation: 'Sign-up bonus = 50 points',
            lots: [{ kind: 'promotional', expiresAt: '2024-03-31T02:00:00.000Z' }],
          },
        },
      ]);
  });

  it('refuses a second sign-up', () => {
    given(signUp('2024-03-01')).when(signUp('2024-03-02')).thenThrows('already_enrolled');
  });

  it('earns as a sign-up for a member enrolled implicitly by a purchase', () => {
    given(purchase('o1', 100_00, '2024-03-01'))
      .when(signUp('2024-03-02'))
      .thenIncludes([{ type: 'PointsEarned', data: { points: 50, ruleId: 'sign_up' } }]);
  });

  it('refuses a malformed birthday', () => {
    given()
      .when(signUp('2024-03-01', { birthday: '13-01' }))
      .thenThrows('invalid');
  });
});

describe('referral', () => {
  it('gives the referee 50 more (standard) and tells the referrer stream to credit 50', () => {
    const outcome = given()
      .when(signUp('2024-03-01', { referrerId: 'm-2' }))
      .then([
        { type: 'MemberSignedUp', data: { referrerId: 'm-2' } },
        { type: 'PointsEarned', data: { points: 50, ruleId: 'sign_up' } },
        {
          type: 'PointsEarned',
          data: { points: 50, ruleId: 'referral.sign_up.referee', lots: [{ kind: 'standard' }] },
        },
        {
          type: 'ReferrerBonusDue',
          data: { referrerId: 'm-2', refereeId: ME, trigger: 'sign_up' },
        },
      ]);
    expect(outcome.view().balance).toBe(100);
    const due = outcome.events.find((e): e is ReferrerBonusDue => e.type === 'ReferrerBonusDue');
    expect(due && referralBonusCommandFor(due)).toMatchObject({
      type: 'CreditReferralBonus',
      memberId: 'm-2',
      refereeId: ME,
      trigger: 'sign_up',
    });
  });

  it('refuses a self-referral before an unknown referrer, and both after already_enrolled', () => {
    given()
      .when(signUp('2024-03-01', { referrerId: ME, referrerEnrolled: false }))
      .thenThrows('self_referral');
    given()
      .when(signUp('2024-03-01', { referrerId: 'm-9', referrerEnrolled: false }))
      .thenThrows('unknown_referrer');
    given(signUp('2024-03-01'))
      .when(signUp('2024-03-02', { referrerId: ME }))
      .thenThrows('already_enrolled');
  });

  it('credits the referrer +50 on sign-up and +100 on the first purchase, standard lots', () => {
    const referrer = 'm-2';
    given(command('SignUp', '2024-02-01', { memberId: referrer }))
      .when(
        command('CreditReferralBonus', '2024-03-01', {
          memberId: referrer,
          refereeId: ME,
          trigger: 'sign_up',
        }),
      )
      .then([
        {
          type: 'PointsEarned',
          data: { points: 50, ruleId: 'referral.sign_up.referrer', lots: [{ kind: 'standard' }] },
        },
      ]);
    given(command('SignUp', '2024-02-01', { memberId: referrer }))
      .when(
        command('CreditReferralBonus', '2024-03-05', {
          memberId: referrer,
          refereeId: ME,
          trigger: 'first_purchase',
        }),
      )
      .then([{ type: 'PointsEarned', data: { points: 100, ruleId: 'referral.first_purchase' } }]);
  });

  it("asks for the referrer's +100 on the referee's first purchase ever, after the referred sign-up", () => {
    given(signUp('2024-03-01', { referrerId: 'm-2' }))
      .when(purchase('o1', 100_00, '2024-03-05'))
      .thenIncludes([
        { type: 'ReferrerBonusDue', data: { trigger: 'first_purchase', referrerId: 'm-2' } },
      ]);
    given(signUp('2024-03-01', { referrerId: 'm-2' }), purchase('o1', 100_00, '2024-03-05'))
      .when(purchase('o2', 100_00, '2024-03-06'))
      .then([{ type: 'PurchaseRecorded' }, { type: 'PointsEarned' }]);
  });

  it('gives no referrer bonus when the first purchase ever came before the sign-up', () => {
    const outcome = given(
      purchase('o1', 100_00, '2024-02-01'),
      signUp('2024-03-01', { referrerId: 'm-2' }),
    ).when(purchase('o2', 100_00, '2024-03-05'));
    expect(outcome.events.map((e) => e.type)).not.toContain('ReferrerBonusDue');
  });
});

describe('first profile completion: 30, once', () => {
  it('credits 30 promotional the first time only', () => {
    given(signUp('2024-03-01'))
      .when(profile('2024-03-02', { birthday: '05-20' }))
      .then([
        { type: 'ProfileCompleted', data: { first: true, birthday: '05-20' } },
        {
          type: 'PointsEarned',
          data: { points: 30, ruleId: 'profile_completion', lots: [{ kind: 'promotional' }] },
        },
      ]);
    given(signUp('2024-03-01'), profile('2024-03-02'))
      .when(profile('2024-03-03'))
      .then([{ type: 'ProfileCompleted', data: { first: false } }]);
  });

  it('refuses a member never enrolled', () => {
    given().when(profile('2024-03-02')).thenThrows('unknown_member');
  });
});

describe('reviews: the first earns 20, later ones nothing', () => {
  it('credits only the first review', () => {
    given(signUp('2024-03-01'))
      .when(command('RecordReview', '2024-03-02', { reviewId: 'r1' }))
      .then([
        { type: 'ReviewRecorded', data: { first: true } },
        {
          type: 'PointsEarned',
          data: { points: 20, ruleId: 'first_review', lots: [{ kind: 'promotional' }] },
        },
      ]);
    given(signUp('2024-03-01'), command('RecordReview', '2024-03-02', { reviewId: 'r1' }))
      .when(command('RecordReview', '2024-03-03', { reviewId: 'r2' }))
      .then([{ type: 'ReviewRecorded', data: { first: false } }]);
  });
});

describe('new-member pack: +50 once, when the last of three happens within 30 × 24 h of sign-up', () => {
  const review = (time: string) => command('RecordReview', time, { reviewId: `r-${time}` });

  it('is credited on the last of profile, first review and purchase', () => {
    given(signUp('2024-03-01 10:00'), profile('2024-03-05'), purchase('o1', 100_00, '2024-03-10'))
      .when(review('2024-03-31 10:00'))
      .then([
        { type: 'ReviewRecorded' },
        { type: 'PointsEarned', data: { points: 20 } },
        { type: 'NewMemberPackCompleted' },
        {
          type: 'PointsEarned',
          data: { points: 50, ruleId: 'new_member_pack', lots: [{ kind: 'promotional' }] },
        },
      ]);
  });

  it('is not credited when one of the three comes after 30 × 24 hours', () => {
    given(signUp('2024-03-01 10:00'), profile('2024-03-05'), purchase('o1', 100_00, '2024-03-10'))
      .when(review('2024-03-31 10:01'))
      .then([{ type: 'ReviewRecorded' }, { type: 'PointsEarned', data: { points: 20 } }]);
  });

  it('does not count a purchase made before the sign-up', () => {
    given(purchase('o1', 100_00, '2024-02-28'), signUp('2024-03-01'), profile('2024-03-02'))
      .when(review('2024-03-03'))
      .then([{ type: 'ReviewRecorded' }, { type: 'PointsEarned', data: { points: 20 } }]);
  });

  it('is credited once only', () => {
    given(
      signUp('2024-03-01'),
      profile('2024-03-02'),
      review('2024-03-03'),
      purchase('o1', 100_00, '2024-03-04'),
    )
      .when(purchase('o2', 100_00, '2024-03-05'))
      .then([{ type: 'PurchaseRecorded' }, { type: 'PointsEarned', data: { points: 100 } }]);
  });
});

describe('daily check-in: 5, once per calendar day in program time', () => {
  it('rewards check-ins either side of local midnight, not two on the same local day', () => {
    const history = [signUp('2024-03-01'), checkIn('2024-03-10 23:59')];
    given(...history)
      .when(checkIn('2024-03-11 00:00'))
      .then([
        { type: 'CheckedIn', data: { day: '2024-03-11', rewarded: true } },
        {
          type: 'PointsEarned',
          data: { points: 5, ruleId: 'check_in', lots: [{ kind: 'standard' }] },
        },
      ]);
    // 2024-03-10 16:30 UTC is 00:30 on the 11th in Shanghai, but 23:59 on the 10th was not.
    given(...history, checkIn('2024-03-11 00:00'))
      .when(checkIn('2024-03-11 23:59'))
      .then([{ type: 'CheckedIn', data: { day: '2024-03-11', rewarded: false } }]);
  });
});

describe('shares: 10, at most 3 rewarded a day', () => {
  const share = (n: number, time = '2024-03-10 09:00') =>
    command('RecordShare', time, { shareId: `s${n}` });

  it('rewards three shares a day and not the fourth', () => {
    given(signUp('2024-03-01'), share(1), share(2), share(3))
      .when(share(4))
      .then([{ type: 'ShareRecorded', data: { rewarded: false } }]);
    given(signUp('2024-03-01'), share(1), share(2))
      .when(share(3))
      .then([
        { type: 'ShareRecorded', data: { rewarded: true } },
        { type: 'PointsEarned', data: { points: 10 } },
      ]);
  });

  it('rewards shares again the next local day', () => {
    given(signUp('2024-03-01'), share(1), share(2), share(3))
      .when(share(4, '2024-03-11 00:01'))
      .thenIncludes([{ type: 'PointsEarned', data: { points: 10 } }]);
  });

  it('refuses engagement from a member never enrolled', () => {
    given().when(share(1)).thenThrows('unknown_member');
    given().when(checkIn('2024-03-10')).thenThrows('unknown_member');
  });
});
