import type { CreditReferralBonus } from '../commands';
import { enrolled, type Decision } from '../context';
import type { ReferrerBonusDue } from '../events';
import { formatPoints } from '../explain';
import { creditPoints } from './credit';

/**
 * The referrer's side of a referral, on the referrer's own stream: +50 when the referee signs
 * up, +100 on the referee's first purchase ever after that sign-up. Never reversed by refunds.
 */
export function decideReferralBonus(d: Decision, command: CreditReferralBonus): void {
  enrolled(d);
  const { referralSignUp, referralFirstPurchase } = d.program;
  const signUp = command.trigger === 'sign_up';
  const points = signUp ? referralSignUp.referrer : referralFirstPurchase.referrer;
  creditPoints(d, {
    points,
    ruleId: signUp ? 'referral.sign_up.referrer' : 'referral.first_purchase',
    lot: signUp ? referralSignUp.lot : referralFirstPurchase.lot,
    behaviour: true,
    explanation: signUp
      ? `${command.refereeId} signed up with your referral = ${formatPoints(points)} points`
      : `${command.refereeId}, whom you referred, made a first purchase = ${formatPoints(points)} points`,
  });
}

/** The command the accounts service sends to the referrer's stream for a referee's event. */
export function referralBonusCommandFor(event: ReferrerBonusDue): CreditReferralBonus {
  return {
    type: 'CreditReferralBonus',
    memberId: event.data.referrerId,
    refereeId: event.data.refereeId,
    trigger: event.data.trigger,
    time: event.data.occurredAt,
    sourceEventId: event.data.sourceEventId,
  };
}
