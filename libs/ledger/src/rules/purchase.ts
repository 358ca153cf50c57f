import type { RecordPurchase } from '../commands';
import { emit, enrolled, fact, type Decision } from '../context';
import { formatMultiplier, formatPoints } from '../explain';
import type { ProgramVersion, Tier } from '../program';
import { localMonth } from '../time';
import { multiplierTenths, upgradeOnPurchase } from '../tiers';
import { creditPoints } from './credit';
import { checkNewMemberPack } from './new-member-pack';
import { requirePositiveInteger } from './validate';
import { keyedHas } from '../keyed';

export interface PurchaseEarning {
  readonly basePoints: number;
  readonly multiplierTenths: number;
  readonly points: number;
  readonly explanation: string;
}

/**
 * floor(amountMinor / 100) × the tier multiplier, floored, in integers (multipliers are tenths).
 * A diamond member earns ×3 instead of ×2 on a purchase in their birthday month.
 */
export function purchaseEarning(
  amountMinor: number,
  tier: Tier,
  birthdayMonth: boolean,
  program: ProgramVersion,
): PurchaseEarning {
  const basePoints = Math.floor(amountMinor / program.purchase.minorUnitsPerBasePoint);
  const birthday = tier === 'diamond' && birthdayMonth;
  const tenths = birthday
    ? program.diamondBirthdayMultiplierTenths
    : multiplierTenths(tier, program);
  const points = Math.floor((basePoints * tenths) / 10);
  const label = birthday ? `${tier} birthday month` : tier;
  return {
    basePoints,
    multiplierTenths: tenths,
    points,
    explanation: `${formatPoints(basePoints)} CNY × ${formatMultiplier(tenths)} ${label} = ${formatPoints(points)} points`,
  };
}

export function decidePurchase(d: Decision, command: RecordPurchase): void {
  requirePositiveInteger(command.amountMinor, 'amountMinor');
  // Only a purchase enrols implicitly (no sign-up bonus).
  if (d.state.status === 'unknown') {
    emit(d, { type: 'MemberEnrolled', data: { ...fact(d), memberId: d.memberId } });
  }
  const member = enrolled(d);
  if (keyedHas(member.orders, command.orderId)) return; // the same order again changes nothing
  const birthdayMonth =
    member.birthday !== null &&
    member.birthday.slice(0, 2) === localMonth(d.time, d.timeZone).slice(5);
  // The tier before the purchase decides the multiplier, even when this purchase upgrades.
  const earning = purchaseEarning(command.amountMinor, member.tier, birthdayMonth, d.program);
  emit(d, {
    type: 'PurchaseRecorded',
    data: {
      ...fact(d),
      orderId: command.orderId,
      amountMinor: command.amountMinor,
      points: earning.points,
      tierBefore: member.tier,
    },
  });
  if (earning.points > 0) {
    creditPoints(d, {
      points: earning.points,
      ruleId: 'purchase',
      lot: 'standard',
      explanation: earning.explanation,
      behaviour: false,
    });
  }
  upgradeOnPurchase(d);
  referrerBonusOnFirstPurchase(
    d,
    member.firstPurchaseAt === null,
    member.signedUpAt,
    member.referrerId,
  );
  checkNewMemberPack(d);
}

/** The referee's first purchase ever, if it comes after the referred sign-up: referrer +100. */
function referrerBonusOnFirstPurchase(
  d: Decision,
  firstPurchaseEver: boolean,
  signedUpAt: string | null,
  referrerId: string | null,
): void {
  if (!firstPurchaseEver || referrerId === null || signedUpAt === null) return;
  if (d.time < signedUpAt) return;
  emit(d, {
    type: 'ReferrerBonusDue',
    data: { ...fact(d), referrerId, refereeId: d.memberId, trigger: 'first_purchase' },
  });
}
