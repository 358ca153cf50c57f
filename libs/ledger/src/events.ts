import type { LotKind, Tier } from './program';
import type { Instant } from './time';

/** A lot a credit created, or the part of a lot a debit drew from. */
export interface LotLine {
  readonly lotId: string;
  readonly points: number;
  readonly kind: LotKind;
  readonly earnedAt: Instant;
  readonly expiresAt: Instant;
}

/**
 * What every event that is a ledger entry carries (CONTRACT.md section 7): the view is a
 * projection of these fields, nothing is recomputed when it is read.
 */
export interface EntryData {
  readonly entryId: string;
  /** Signed: what the entry did to the available balance. */
  readonly points: number;
  readonly balanceAfter: number;
  readonly occurredAt: Instant;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly sourceEventId: string;
  readonly explanation: string;
  readonly lots: readonly LotLine[];
}

interface Fact {
  readonly occurredAt: Instant;
  readonly sourceEventId: string;
}

type Event<T extends string, D> = { readonly type: T; readonly data: D };

// Facts about the member (no points move).
export type MemberEnrolled = Event<'MemberEnrolled', Fact & { memberId: string }>;
export type MemberSignedUp = Event<
  'MemberSignedUp',
  Fact & {
    memberId: string;
    birthday: string | null;
    referrerId: string | null;
    /** Whether the member was in the control group when signing up (for ROI analytics). */
    controlGroup: boolean;
  }
>;
export type ProfileCompleted = Event<
  'ProfileCompleted',
  Fact & { birthday: string | null; first: boolean }
>;
export type PurchaseRecorded = Event<
  'PurchaseRecorded',
  Fact & { orderId: string; amountMinor: number; points: number; tierBefore: Tier }
>;
export type PurchaseRefunded = Event<
  'PurchaseRefunded',
  Fact & {
    orderId: string;
    refundId: string;
    amountMinor: number;
    /** Totals for the order after this refund. */
    refundedMinor: number;
    reversedPoints: number;
  }
>;
export type ShareRecorded = Event<
  'ShareRecorded',
  Fact & { shareId: string; day: string; rewarded: boolean }
>;
export type ReviewRecorded = Event<'ReviewRecorded', Fact & { reviewId: string; first: boolean }>;
export type CheckedIn = Event<'CheckedIn', Fact & { day: string; rewarded: boolean }>;
/** The first profile completion, first review and a purchase all fell in the window. */
export type NewMemberPackCompleted = Event<'NewMemberPackCompleted', Fact>;
/** The referrer earns: the accounts service turns this into `CreditReferralBonus` for them. */
export type ReferrerBonusDue = Event<
  'ReferrerBonusDue',
  Fact & { referrerId: string; refereeId: string; trigger: 'sign_up' | 'first_purchase' }
>;
interface TierData extends Fact {
  tier: Tier;
  heldUntil: Instant | null;
  qualifyingSpendMinor: number;
  ruleId: string;
  ruleVersion: number;
  explanation: string;
}
export type TierChanged = Event<
  'TierChanged',
  TierData & { from: Tier; reason: 'upgrade' | 'review_downgrade' }
>;
export type TierHoldRenewed = Event<'TierHoldRenewed', TierData>;
/** `points.expiring_soon`: lots expiring within `withinDays` days of `occurredAt`. */
export type PointsExpiringSoon = Event<
  'PointsExpiringSoon',
  Fact & {
    withinDays: number;
    points: number;
    lots: readonly { lotId: string; points: number; expiresAt: Instant }[];
  }
>;

// Ledger entries (points move; `capped` moves none and says what was withheld).
export type PointsEarned = Event<
  'PointsEarned',
  EntryData & {
    /** The calendar month whose behaviour cap this credit counts against; null for purchases. */
    behaviourMonth: string | null;
  }
>;
export type PointsCapped = Event<
  'PointsCapped',
  EntryData & { withheld: number; behaviourMonth: string }
>;
export type PartnerPointsCredited = Event<
  'PartnerPointsCredited',
  EntryData & { messageId: string; partnerId: string }
>;
export type DebtPaidOff = Event<'DebtPaidOff', EntryData & { debtAfter: number }>;
export type PointsReversed = Event<
  'PointsReversed',
  EntryData & { orderId: string; refundId: string; debtIncurred: number }
>;
export type PointsReserved = Event<'PointsReserved', EntryData & { redemptionId: string }>;
export type ReservationConfirmed = Event<
  'ReservationConfirmed',
  EntryData & { redemptionId: string; redeemedPoints: number }
>;
export type ReservationReleased = Event<
  'ReservationReleased',
  EntryData & { redemptionId: string }
>;
export type PointsRedeemed = Event<'PointsRedeemed', EntryData & { redemptionId: string }>;
export type PartnerPointsDebited = Event<
  'PartnerPointsDebited',
  EntryData & { messageId: string; partnerId: string }
>;
export type PointsExpired = Event<'PointsExpired', EntryData>;
export type PointsTransferredOut = Event<
  'PointsTransferredOut',
  EntryData & { transferId: string; toMemberId: string; day: string }
>;
export type PointsTransferredIn = Event<
  'PointsTransferredIn',
  EntryData & { transferId: string; fromMemberId: string }
>;

export type LedgerEntryEvent =
  | PointsEarned
  | PointsCapped
  | PartnerPointsCredited
  | DebtPaidOff
  | PointsReversed
  | PointsReserved
  | ReservationConfirmed
  | ReservationReleased
  | PointsRedeemed
  | PartnerPointsDebited
  | PointsExpired
  | PointsTransferredOut
  | PointsTransferredIn;

export type LedgerEvent =
  | MemberEnrolled
  | MemberSignedUp
  | ProfileCompleted
  | PurchaseRecorded
  | PurchaseRefunded
  | ShareRecorded
  | ReviewRecorded
  | CheckedIn
  | NewMemberPackCompleted
  | ReferrerBonusDue
  | TierChanged
  | TierHoldRenewed
  | PointsExpiringSoon
  | LedgerEntryEvent;
