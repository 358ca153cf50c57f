import { applyBehaviourCap } from '../cap';
import { emit, enrolled, entryData, type Decision } from '../context';
import { isInControlGroup } from '../control-group';
import type { LotLine } from '../events';
import { formatPoints, pointsWord } from '../explain';
import { lotExpiresAt, lotId } from '../lots';
import type { LotKind } from '../program';
import { balanceOf } from '../state';
import { localMonth } from '../time';

export interface Credit {
  readonly points: number;
  readonly ruleId: string;
  readonly lot: LotKind;
  readonly explanation: string;
  /** Behaviour points count against the monthly cap and are not paid to the control group. */
  readonly behaviour: boolean;
  /** A partner credit is its own ledger kind; everything else is `earn`. */
  readonly partner?: { readonly messageId: string; readonly partnerId: string };
}

/**
 * Every credit but a transfer goes through here: the control group and the monthly cap for
 * behaviour points, then debt is paid off first, and what is left becomes a new lot.
 */
export function creditPoints(d: Decision, credit: Credit): void {
  const member = enrolled(d);
  if (credit.behaviour && isInControlGroup(member.memberId, d.program)) return;
  const month = localMonth(d.time, d.timeZone);
  const { credited, withheld } = credit.behaviour
    ? applyBehaviourCap(member, month, credit.points, d.program)
    : { credited: credit.points, withheld: 0 };

  if (credited > 0) {
    const before = balanceOf(member);
    const payoff = Math.min(member.debt, credited);
    const lotPoints = credited - payoff;
    const lots: LotLine[] =
      lotPoints > 0
        ? [
            {
              lotId: lotId(member.memberId, member.lotSeq + 1),
              points: lotPoints,
              kind: credit.lot,
              earnedAt: d.time,
              expiresAt: lotExpiresAt(credit.lot, d.time, d.program, d.timeZone),
            },
          ]
        : [];
    const explanation =
      withheld > 0
        ? `${credit.explanation}; ${pointsWord(credited)} credited, the rest is over the monthly cap`
        : credit.explanation;
    const data = entryData(d, {
      points: credited,
      ruleId: credit.ruleId,
      explanation,
      lots,
      balanceAfter: before + credited,
    });
    if (credit.partner) {
      emit(d, { type: 'PartnerPointsCredited', data: { ...data, ...credit.partner } });
    } else {
      emit(d, {
        type: 'PointsEarned',
        data: { ...data, behaviourMonth: credit.behaviour ? month : null },
      });
    }
    if (payoff > 0) {
      const debtAfter = member.debt - payoff;
      emit(d, {
        type: 'DebtPaidOff',
        data: {
          ...entryData(d, {
            points: -payoff,
            ruleId: 'debt_payoff',
            explanation: `${pointsWord(payoff)} of this credit paid off debt from an earlier refund; debt left: ${formatPoints(debtAfter)}`,
            balanceAfter: before + lotPoints,
          }),
          debtAfter,
        },
      });
    }
  }

  if (withheld > 0) {
    emit(d, {
      type: 'PointsCapped',
      data: {
        ...entryData(d, {
          points: 0,
          ruleId: 'monthly_cap',
          explanation: `Monthly cap of ${formatPoints(d.program.behaviourCapPerMonth)} behaviour points reached in ${month}: ${pointsWord(withheld)} withheld (${credit.ruleId})`,
        }),
        withheld,
        behaviourMonth: month,
      },
    });
  }
}
