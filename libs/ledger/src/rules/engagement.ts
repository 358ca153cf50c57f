import type { CheckIn, RecordReview, RecordShare } from '../commands';
import { emit, enrolled, fact, type Decision } from '../context';
import { formatPoints } from '../explain';
import { localDay } from '../time';
import { creditPoints } from './credit';
import { checkNewMemberPack } from './new-member-pack';

/** Daily check-in: 5 points (standard), at most once per calendar day in program time. */
export function decideCheckIn(d: Decision, _command: CheckIn): void {
  const member = enrolled(d);
  const day = localDay(d.time, d.timeZone);
  const rule = d.program.checkIn;
  const today = member.checkIns?.day === day ? member.checkIns.count : 0;
  const rewarded = today < rule.perDay;
  emit(d, { type: 'CheckedIn', data: { ...fact(d), day, rewarded } });
  if (!rewarded) return;
  creditPoints(d, {
    points: rule.points,
    ruleId: 'check_in',
    lot: rule.lot,
    behaviour: true,
    explanation: `Daily check-in on ${day} = ${formatPoints(rule.points)} points`,
  });
}

/** Share: 10 points (standard), at most 3 rewarded shares per calendar day. */
export function decideShare(d: Decision, command: RecordShare): void {
  const member = enrolled(d);
  const day = localDay(d.time, d.timeZone);
  const rule = d.program.share;
  const today = member.shares?.day === day ? member.shares.count : 0;
  const rewarded = today < rule.perDay;
  emit(d, { type: 'ShareRecorded', data: { ...fact(d), shareId: command.shareId, day, rewarded } });
  if (!rewarded) return;
  creditPoints(d, {
    points: rule.points,
    ruleId: 'share',
    lot: rule.lot,
    behaviour: true,
    explanation: `Share ${today + 1} of ${rule.perDay} rewarded on ${day} = ${formatPoints(rule.points)} points`,
  });
}

/** The first review earns 20 (promotional), once per member; later reviews earn nothing. */
export function decideReview(d: Decision, command: RecordReview): void {
  const member = enrolled(d);
  const first = member.firstReviewAt === null;
  emit(d, { type: 'ReviewRecorded', data: { ...fact(d), reviewId: command.reviewId, first } });
  if (!first) return;
  const rule = d.program.firstReview;
  creditPoints(d, {
    points: rule.points,
    ruleId: 'first_review',
    lot: rule.lot,
    behaviour: true,
    explanation: `First review = ${formatPoints(rule.points)} points`,
  });
  checkNewMemberPack(d);
}
