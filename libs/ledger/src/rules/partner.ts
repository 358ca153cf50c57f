import type { CreditPartnerPoints, DebitPartnerPoints } from '../commands';
import { emit, enrolled, entryData, type Decision } from '../context';
import { InsufficientPoints } from '../errors';
import { formatPoints } from '../explain';
import { draw } from '../lots';
import { balanceOf } from '../state';
import { creditPoints } from './credit';
import { requirePositiveInteger } from './validate';
import { keyedHas } from '../keyed';

/**
 * Alliance credits create standard lots and pay off debt first like any earned credit. They
 * are not behaviour points: no monthly cap, and the control group receives them. Signatures,
 * rates and per-partner daily limits are checked by the redemption service before this.
 */
export function decidePartnerCredit(d: Decision, command: CreditPartnerPoints): void {
  const member = enrolled(d);
  if (keyedHas(member.partnerMessages, command.messageId)) return;
  requirePositiveInteger(command.points, 'points');
  creditPoints(d, {
    points: command.points,
    ruleId: 'partner_credit',
    lot: d.program.partnerCreditLot,
    behaviour: false,
    partner: { messageId: command.messageId, partnerId: command.partnerId },
    explanation: `${formatPoints(command.points)} points converted from ${command.partnerId}`,
  });
}

/** A member converts points into partner units: a debit beyond the balance is refused. */
export function decidePartnerDebit(d: Decision, command: DebitPartnerPoints): void {
  const member = enrolled(d);
  if (keyedHas(member.partnerMessages, command.messageId)) return;
  requirePositiveInteger(command.points, 'points');
  const balance = balanceOf(member);
  if (command.points > balance) {
    throw new InsufficientPoints(`${command.points} points asked, ${balance} available`);
  }
  emit(d, {
    type: 'PartnerPointsDebited',
    data: {
      ...entryData(d, {
        points: -command.points,
        ruleId: 'partner_debit',
        lots: draw(member.lots, command.points),
        explanation: `${formatPoints(command.points)} points converted to ${command.partnerId}`,
      }),
      messageId: command.messageId,
      partnerId: command.partnerId,
    },
  });
}
