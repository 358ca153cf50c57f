import { emit, enrolled, fact, type Decision } from './context';
import { formatCny } from './explain';
import { TIERS, type ProgramVersion, type Tier } from './program';
import type { EnrolledMember } from './state';
import { addCalendarMonths, windowBefore, type Instant } from './time';

export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/**
 * Qualifying spend as of t: purchases less refunds whose `time` lies in (t − 12 months, t].
 * A refund counts at its own time; the sum never goes below zero.
 */
export function qualifyingSpendMinor(
  member: EnrolledMember,
  asOf: Instant,
  program: ProgramVersion,
  timeZone: string,
): number {
  const inWindow = windowBefore(asOf, program.qualifyingSpendMonths, timeZone);
  const sum = member.spend
    .filter((s) => inWindow(s.at))
    .reduce((total, s) => total + s.amountMinor, 0);
  return Math.max(0, sum);
}

/** The highest tier a spend reaches. */
export function tierForSpend(spendMinor: number, program: ProgramVersion): Tier {
  let reached: Tier = 'member';
  for (const t of program.tiers) {
    if (spendMinor >= t.thresholdMinor && tierRank(t.tier) > tierRank(reached)) reached = t.tier;
  }
  return reached;
}

export function multiplierTenths(tier: Tier, program: ProgramVersion): number {
  const found = program.tiers.find((t) => t.tier === tier);
  if (!found) throw new RangeError(`program ${program.version} has no tier ${tier}`);
  return found.multiplierTenths;
}

/** The next tier up and the spend still needed for it, or null at the top. */
export function nextTier(
  tier: Tier,
  spendMinor: number,
  program: ProgramVersion,
): { tier: Tier; spendNeededMinor: number } | null {
  const next = TIERS[tierRank(tier) + 1];
  if (!next) return null;
  const threshold = program.tiers.find((t) => t.tier === next)?.thresholdMinor ?? 0;
  return { tier: next, spendNeededMinor: Math.max(0, threshold - spendMinor) };
}

/**
 * After a purchase: an upgrade happens at once, to the highest tier the spend reaches, held for
 * 12 months from the purchase. A purchase that does not upgrade leaves the hold as it is.
 */
export function upgradeOnPurchase(d: Decision): void {
  const member = enrolled(d);
  const spend = qualifyingSpendMinor(member, d.time, d.program, d.timeZone);
  const reached = tierForSpend(spend, d.program);
  if (tierRank(reached) <= tierRank(member.tier)) return;
  const heldUntil = addCalendarMonths(d.time, d.program.tierHoldMonths, d.timeZone);
  emit(d, {
    type: 'TierChanged',
    data: {
      ...fact(d),
      from: member.tier,
      tier: reached,
      heldUntil,
      qualifyingSpendMinor: spend,
      reason: 'upgrade',
      ruleId: 'tier.upgrade',
      ruleVersion: d.program.version,
      explanation: `Qualifying spend of ${formatCny(spend)} in 12 months reaches ${reached}: upgraded from ${member.tier}, held until ${heldUntil}`,
    },
  });
}

/**
 * The tier review as of t, for a member whose hold has ended: renewed until t + 12 months if
 * the spend still qualifies, otherwise down one tier only, held until t + 12 months. The
 * lowest tier has nothing to review.
 */
export function reviewTier(d: Decision): void {
  const member = enrolled(d);
  if (member.tier === 'member' || member.tierHeldUntil === null) return;
  if (member.tierHeldUntil > d.time) return;
  const spend = qualifyingSpendMinor(member, d.time, d.program, d.timeZone);
  const reached = tierForSpend(spend, d.program);
  const heldUntil = addCalendarMonths(d.time, d.program.tierHoldMonths, d.timeZone);
  const common = {
    ...fact(d),
    heldUntil,
    qualifyingSpendMinor: spend,
    ruleId: 'tier.review',
    ruleVersion: d.program.version,
  };
  if (tierRank(reached) >= tierRank(member.tier)) {
    emit(d, {
      type: 'TierHoldRenewed',
      data: {
        ...common,
        tier: member.tier,
        explanation: `Qualifying spend of ${formatCny(spend)} in 12 months still qualifies for ${member.tier}: held until ${heldUntil}`,
      },
    });
    return;
  }
  const lower = TIERS[tierRank(member.tier) - 1];
  emit(d, {
    type: 'TierChanged',
    data: {
      ...common,
      from: member.tier,
      tier: lower,
      reason: 'review_downgrade',
      explanation: `Qualifying spend of ${formatCny(spend)} in 12 months no longer qualifies for ${member.tier}: down one tier to ${lower}, held until ${heldUntil}`,
    },
  });
}
