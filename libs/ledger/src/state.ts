import type { LotLine } from './events';
import type { LotKind, Tier } from './program';
import { type Keyed, keyedValues } from './keyed';
import type { Instant } from './time';

/** Points earned together, spent together, expiring together. `points` is what remains. */
export interface Lot {
  readonly lotId: string;
  readonly kind: LotKind;
  readonly earnedAt: Instant;
  readonly expiresAt: Instant;
  readonly points: number;
}

export interface OrderRecord {
  readonly amountMinor: number;
  readonly points: number;
  readonly refundedMinor: number;
  readonly reversedPoints: number;
  readonly occurredAt: Instant;
}

export interface Reservation {
  readonly points: number;
  /** The lots the reservation drew from, so a release puts the points back where they were. */
  readonly lots: readonly LotLine[];
  readonly status: 'held' | 'confirmed' | 'released';
}

export interface Lifetime {
  /** Earned and partner-credited (what analytics calls issued). */
  readonly earned: number;
  readonly reversed: number;
  readonly redeemed: number;
  readonly expired: number;
  readonly transferredIn: number;
  readonly transferredOut: number;
}

export interface DayCount {
  readonly day: string;
  readonly count: number;
}

export interface EnrolledMember {
  readonly status: 'enrolled';
  readonly memberId: string;
  readonly enrolledAt: Instant;
  /** Null for a member enrolled implicitly by a purchase who has not signed up. */
  readonly signedUpAt: Instant | null;
  readonly referrerId: string | null;
  /** "MM-DD" */
  readonly birthday: string | null;
  readonly firstProfileCompletedAt: Instant | null;
  readonly firstReviewAt: Instant | null;
  readonly newMemberPackGranted: boolean;
  readonly firstPurchaseAt: Instant | null;
  readonly lastPurchaseAt: Instant | null;
  readonly tier: Tier;
  readonly tierHeldUntil: Instant | null;
  /** Purchases (positive) and refunds (negative) by time, for the qualifying spend. */
  readonly spend: readonly { readonly at: Instant; readonly amountMinor: number }[];
  /** By order id (`keyed.ts`: records that grow by a key per event). */
  readonly orders: Keyed<OrderRecord>;
  readonly refunds: Keyed<true>;
  readonly lots: readonly Lot[];
  readonly debt: number;
  readonly reservations: Keyed<Reservation>;
  readonly redemptions: Keyed<true>;
  readonly partnerMessages: Keyed<true>;
  readonly transfersOut: Keyed<true>;
  readonly transfersIn: Keyed<true>;
  readonly transferredOutToday: { readonly day: string; readonly points: number } | null;
  readonly checkIns: DayCount | null;
  readonly shares: DayCount | null;
  readonly behaviourThisMonth: { readonly month: string; readonly points: number } | null;
  /** The last expiring-soon reminder sent for a lot, and for which expiry instant. */
  readonly reminders: Readonly<
    Record<string, { readonly expiresAt: Instant; readonly withinDays: number }>
  >;
  readonly lifetime: Lifetime;
  readonly entrySeq: number;
  readonly lotSeq: number;
}

export type MemberState = { readonly status: 'unknown' } | EnrolledMember;

export function initialState(): MemberState {
  return { status: 'unknown' };
}

/**
 * The empty records and lists of every new member: one frozen object each, shared, since states
 * are never changed in place (a change makes a new record). Most members hold few orders and no
 * reservations, redemptions, transfers or reminders: sharing them is about a seventh of a small
 * member's state in accounts' member cache (BENCHMARKS.md, eighth session).
 */
const none = Object.freeze({});
const noList = Object.freeze([]) as readonly never[];

export function newMember(memberId: string, enrolledAt: Instant): EnrolledMember {
  return {
    status: 'enrolled',
    memberId,
    enrolledAt,
    signedUpAt: null,
    referrerId: null,
    birthday: null,
    firstProfileCompletedAt: null,
    firstReviewAt: null,
    newMemberPackGranted: false,
    firstPurchaseAt: null,
    lastPurchaseAt: null,
    tier: 'member',
    tierHeldUntil: null,
    spend: noList,
    orders: none,
    refunds: none,
    lots: noList,
    debt: 0,
    reservations: none,
    redemptions: none,
    partnerMessages: none,
    transfersOut: none,
    transfersIn: none,
    transferredOutToday: null,
    checkIns: null,
    shares: null,
    behaviourThisMonth: null,
    reminders: none,
    lifetime: {
      earned: 0,
      reversed: 0,
      redeemed: 0,
      expired: 0,
      transferredIn: 0,
      transferredOut: 0,
    },
    entrySeq: 0,
    lotSeq: 0,
  };
}

/** Available points: every lot until an expiry run has expired it. */
export function balanceOf(state: MemberState): number {
  if (state.status === 'unknown') return 0;
  return state.lots.reduce((sum, lot) => sum + lot.points, 0);
}

export function reservedOf(state: MemberState): number {
  if (state.status === 'unknown') return 0;
  return keyedValues(state.reservations)
    .filter((r) => r.status === 'held')
    .reduce((sum, r) => sum + r.points, 0);
}
