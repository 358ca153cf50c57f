import type { LotKind } from './program';

/**
 * Commands for one member's stream. `memberId` names the stream, `time` (RFC 3339, any
 * offset) is when it happened and decides the program version, day and month; jobs carry
 * `asOf` instead. `sourceEventId` is the inbound event, message or request the command came
 * from, copied into every ledger entry.
 */
interface CommandBase {
  readonly memberId: string;
  readonly sourceEventId: string;
}
interface Timed extends CommandBase {
  readonly time: string;
}

export interface SignUp extends Timed {
  readonly type: 'SignUp';
  /** "MM-DD" */
  readonly birthday?: string;
  readonly referrerId?: string;
  /** Whether the referrer is an enrolled member, when the caller has checked it. */
  readonly referrerEnrolled?: boolean;
}
export interface CompleteProfile extends Timed {
  readonly type: 'CompleteProfile';
  readonly birthday?: string;
}
export interface RecordPurchase extends Timed {
  readonly type: 'RecordPurchase';
  readonly orderId: string;
  readonly amountMinor: number;
}
export interface RefundPurchase extends Timed {
  readonly type: 'RefundPurchase';
  readonly orderId: string;
  readonly refundId: string;
  readonly amountMinor: number;
}
export interface RecordShare extends Timed {
  readonly type: 'RecordShare';
  readonly shareId: string;
}
export interface RecordReview extends Timed {
  readonly type: 'RecordReview';
  readonly reviewId: string;
}
export interface CheckIn extends Timed {
  readonly type: 'CheckIn';
}
/** For the referrer's stream, issued from a referee's `ReferrerBonusDue` event. */
export interface CreditReferralBonus extends Timed {
  readonly type: 'CreditReferralBonus';
  readonly refereeId: string;
  readonly trigger: 'sign_up' | 'first_purchase';
}
export interface CreditPartnerPoints extends Timed {
  readonly type: 'CreditPartnerPoints';
  readonly messageId: string;
  readonly partnerId: string;
  readonly points: number;
}
export interface DebitPartnerPoints extends Timed {
  readonly type: 'DebitPartnerPoints';
  readonly messageId: string;
  readonly partnerId: string;
  readonly points: number;
}
/** Debit on the sender; its event carries the lots for the recipient's `ReceiveTransfer`. */
export interface TransferPoints extends Timed {
  readonly type: 'TransferPoints';
  readonly transferId: string;
  readonly toMemberId: string;
  readonly points: number;
}
export interface TransferredLot {
  readonly points: number;
  readonly kind: LotKind;
  readonly earnedAt: string;
  readonly expiresAt: string;
}
export interface ReceiveTransfer extends Timed {
  readonly type: 'ReceiveTransfer';
  readonly transferId: string;
  readonly fromMemberId: string;
  readonly lots: readonly TransferredLot[];
}
export interface ReservePoints extends Timed {
  readonly type: 'ReservePoints';
  readonly redemptionId: string;
  readonly points: number;
}
export interface ConfirmReservation extends Timed {
  readonly type: 'ConfirmReservation';
  readonly redemptionId: string;
}
export interface ReleaseReservation extends Timed {
  readonly type: 'ReleaseReservation';
  readonly redemptionId: string;
}
/** Points-only redemptions and cash offsets: one `redeem` entry. */
export interface RedeemPoints extends Timed {
  readonly type: 'RedeemPoints';
  readonly redemptionId: string;
  readonly points: number;
}
export interface RunExpiry extends CommandBase {
  readonly type: 'RunExpiry';
  readonly asOf: string;
}
export interface ReviewTier extends CommandBase {
  readonly type: 'ReviewTier';
  readonly asOf: string;
}

export type LedgerCommand =
  | SignUp
  | CompleteProfile
  | RecordPurchase
  | RefundPurchase
  | RecordShare
  | RecordReview
  | CheckIn
  | CreditReferralBonus
  | CreditPartnerPoints
  | DebitPartnerPoints
  | TransferPoints
  | ReceiveTransfer
  | ReservePoints
  | ConfirmReservation
  | ReleaseReservation
  | RedeemPoints
  | RunExpiry
  | ReviewTier;

/** The instant a command is judged at: its `time`, or a job's `asOf`. */
export function commandTime(command: LedgerCommand): string {
  return command.type === 'RunExpiry' || command.type === 'ReviewTier'
    ? command.asOf
    : command.time;
}
