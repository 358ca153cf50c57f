import type { CompleteProfile, SignUp } from '../commands';
import { emit, enrolled, fact, type Decision } from '../context';
import { isInControlGroup } from '../control-group';
import { AlreadyEnrolled, SelfReferral, UnknownReferrer } from '../errors';
import { formatPoints } from '../explain';
import { creditPoints } from './credit';
import { checkNewMemberPack } from './new-member-pack';
import { requireBirthday } from './validate';

/**
 * Sign-up: 50 points (promotional). With a referrer: the referee earns 50 more (standard) and
 * the referrer's stream is told to credit its 50. A member enrolled implicitly by a purchase
 * signs up once and earns as one; a second sign-up is refused.
 */
export function decideSignUp(d: Decision, command: SignUp): void {
  if (d.state.status === 'enrolled' && d.state.signedUpAt !== null) {
    throw new AlreadyEnrolled(`member ${d.memberId} already signed up`);
  }
  const referrerId = command.referrerId ?? null;
  if (referrerId === d.memberId) throw new SelfReferral('a member cannot refer themselves');
  if (referrerId !== null && command.referrerEnrolled === false) {
    throw new UnknownReferrer(`referrer ${referrerId} is not an enrolled member`);
  }
  requireBirthday(command.birthday);
  emit(d, {
    type: 'MemberSignedUp',
    data: {
      ...fact(d),
      memberId: d.memberId,
      birthday: command.birthday ?? null,
      referrerId,
      controlGroup: isInControlGroup(d.memberId, d.program),
    },
  });
  const { signUp, referralSignUp } = d.program;
  creditPoints(d, {
    points: signUp.points,
    ruleId: 'sign_up',
    lot: signUp.lot,
    behaviour: true,
    explanation: `Sign-up bonus = ${formatPoints(signUp.points)} points`,
  });
  if (referrerId === null) return;
  creditPoints(d, {
    points: referralSignUp.referee,
    ruleId: 'referral.sign_up.referee',
    lot: referralSignUp.lot,
    behaviour: true,
    explanation: `Signed up with a referral from ${referrerId} = ${formatPoints(referralSignUp.referee)} points`,
  });
  emit(d, {
    type: 'ReferrerBonusDue',
    data: { ...fact(d), referrerId, refereeId: d.memberId, trigger: 'sign_up' },
  });
}

/** The first profile completion earns 30 (promotional), once per member. */
export function decideCompleteProfile(d: Decision, command: CompleteProfile): void {
  const member = enrolled(d);
  requireBirthday(command.birthday);
  const first = member.firstProfileCompletedAt === null;
  emit(d, {
    type: 'ProfileCompleted',
    data: { ...fact(d), birthday: command.birthday ?? null, first },
  });
  if (!first) return;
  const rule = d.program.profileCompletion;
  creditPoints(d, {
    points: rule.points,
    ruleId: 'profile_completion',
    lot: rule.lot,
    behaviour: true,
    explanation: `First profile completion = ${formatPoints(rule.points)} points`,
  });
  checkNewMemberPack(d);
}
