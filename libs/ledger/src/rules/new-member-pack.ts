import { emit, enrolled, fact, type Decision } from '../context';
import { formatPoints } from '../explain';
import { addHours } from '../time';
import { creditPoints } from './credit';

/**
 * The new-member pack: +50 once, when the last of three things happens, each with `time`
 * within 30 × 24 hours after sign-up (nothing before the sign-up counts): the first profile
 * completion, the first review, and any purchase.
 */
export function checkNewMemberPack(d: Decision): void {
  const member = enrolled(d);
  const start = member.signedUpAt;
  if (start === null || member.newMemberPackGranted) return;
  const rule = d.program.newMemberPack;
  const end = addHours(start, rule.windowHours);
  const inWindow = (at: string | null) => at !== null && at >= start && at <= end;
  const purchased = member.spend.some((s) => s.amountMinor > 0 && inWindow(s.at));
  if (!inWindow(member.firstProfileCompletedAt) || !inWindow(member.firstReviewAt) || !purchased) {
    return;
  }
  emit(d, { type: 'NewMemberPackCompleted', data: fact(d) });
  creditPoints(d, {
    points: rule.points,
    ruleId: 'new_member_pack',
    lot: rule.lot,
    behaviour: true,
    explanation: `New-member pack: profile, first review and a purchase within 30 days of sign-up = ${formatPoints(rule.points)} points`,
  });
}
