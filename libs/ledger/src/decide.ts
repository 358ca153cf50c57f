import type { LedgerCommand } from './commands';
import { enrolled, startDecision, type Decision } from './context';
import type { LedgerEvent } from './events';
import { evolve } from './evolve';
import { runExpiry } from './expiry';
import { DEFAULT_CONFIG, type LedgerConfig } from './program';
import { decideReferralBonus } from './rules/referral';
import { decideCheckIn, decideReview, decideShare } from './rules/engagement';
import { decideCompleteProfile, decideSignUp } from './rules/enrolment';
import { decidePartnerCredit, decidePartnerDebit } from './rules/partner';
import { decidePurchase } from './rules/purchase';
import { decideConfirm, decideRedeem, decideRelease, decideReserve } from './rules/redemption';
import { decideRefund } from './rules/refund';
import { decideTransferIn, decideTransferOut } from './rules/transfer';
import { initialState, type MemberState } from './state';
import { reviewTier } from './tiers';

/**
 * decide(command, state) → events, or a thrown `LedgerRefusal` carrying the contract's reason.
 * The program version in force at the command's time decides; the same command on the same
 * state always gives the same events. An empty list means "applied, nothing changed" (a
 * duplicate order, refund, transfer, redemption or partner message; a second check-in).
 */
export function decide(
  command: LedgerCommand,
  state: MemberState,
  config: LedgerConfig = DEFAULT_CONFIG,
): LedgerEvent[] {
  return decision(command, state, config).events;
}

/**
 * decide, with the state the events lead to: `events.reduce(evolve, state)`, which the
 * decision has already folded (each rule sees the state after the rules before it), so a
 * caller that keeps the state need not fold the events a second time.
 */
export function decision(
  command: LedgerCommand,
  state: MemberState,
  config: LedgerConfig = DEFAULT_CONFIG,
): { events: LedgerEvent[]; state: MemberState } {
  const d = startDecision(command, state, config);
  route(d, command);
  return { events: d.events, state: d.state };
}

function route(d: Decision, command: LedgerCommand): void {
  switch (command.type) {
    case 'SignUp':
      return decideSignUp(d, command);
    case 'CompleteProfile':
      return decideCompleteProfile(d, command);
    case 'RecordPurchase':
      return decidePurchase(d, command);
    case 'RefundPurchase':
      return decideRefund(d, command);
    case 'RecordShare':
      return decideShare(d, command);
    case 'RecordReview':
      return decideReview(d, command);
    case 'CheckIn':
      return decideCheckIn(d, command);
    case 'CreditReferralBonus':
      return decideReferralBonus(d, command);
    case 'CreditPartnerPoints':
      return decidePartnerCredit(d, command);
    case 'DebitPartnerPoints':
      return decidePartnerDebit(d, command);
    case 'TransferPoints':
      return decideTransferOut(d, command);
    case 'ReceiveTransfer':
      return decideTransferIn(d, command);
    case 'ReservePoints':
      return decideReserve(d, command);
    case 'ConfirmReservation':
      return decideConfirm(d, command);
    case 'ReleaseReservation':
      return decideRelease(d, command);
    case 'RedeemPoints':
      return decideRedeem(d, command);
    case 'RunExpiry':
      enrolled(d);
      return runExpiry(d);
    case 'ReviewTier':
      return reviewTier(d);
    default: {
      const unreachable: never = command;
      throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Folds a stream's events into its state. */
export function fold(
  events: readonly LedgerEvent[],
  from: MemberState = initialState(),
): MemberState {
  return events.reduce(evolve, from);
}

/** The decider as one value, for code that wants `{ initialState, evolve, decide }`. */
export const memberDecider = { initialState, evolve, decide } as const;
