import type { Instant } from './time';

export type Tier = 'member' | 'silver' | 'gold' | 'diamond';
export const TIERS: readonly Tier[] = ['member', 'silver', 'gold', 'diamond'];

export type LotKind = 'standard' | 'promotional';

/** A partner brand of the points alliance (CONTRACT.md section 5). */
export interface PartnerTerms {
  readonly partnerId: string;
  readonly name: string;
  /** Partner units per 100 points, both directions. */
  readonly unitsPer100Points: number;
  /** What one point settles at between the companies, in fen. */
  readonly settlementMinorPerPoint: number;
  /** Points per member per day in each direction. */
  readonly dailyLimitPoints: number;
}

export interface BehaviourRule {
  readonly points: number;
  readonly lot: LotKind;
}

/**
 * One version of a loyalty program: every number of CONTRACT.md section 4 as data.
 * Multipliers are integers in tenths (1.5 = 15) so that earning stays in integer arithmetic.
 */
export interface ProgramVersion {
  readonly programId: string;
  readonly version: number;
  /** The version is in force for commands whose time is at or after this instant. */
  readonly effectiveFrom: Instant;
  /** Share of members, in basis points (1/10,000), who earn no behaviour points. */
  readonly controlGroupShareBasisPoints: number;
  readonly purchase: { readonly minorUnitsPerBasePoint: number };
  readonly signUp: BehaviourRule;
  readonly profileCompletion: BehaviourRule;
  readonly firstReview: BehaviourRule;
  readonly newMemberPack: BehaviourRule & { readonly windowHours: number };
  readonly checkIn: BehaviourRule & { readonly perDay: number };
  readonly share: BehaviourRule & { readonly perDay: number };
  readonly referralSignUp: {
    readonly referrer: number;
    readonly referee: number;
    readonly lot: LotKind;
  };
  readonly referralFirstPurchase: { readonly referrer: number; readonly lot: LotKind };
  readonly partnerCreditLot: LotKind;
  readonly behaviourCapPerMonth: number;
  readonly tiers: readonly {
    readonly tier: Tier;
    readonly thresholdMinor: number;
    readonly multiplierTenths: number;
  }[];
  /** A diamond member's multiplier on a purchase in their birthday month. */
  readonly diamondBirthdayMultiplierTenths: number;
  readonly tierHoldMonths: number;
  readonly qualifyingSpendMonths: number;
  readonly lots: {
    readonly standardMonths: number;
    readonly promotionalHours: number;
    /** A standard lot past its instant survives while the member purchased in this window. */
    readonly activityMonths: number;
  };
  readonly expiringSoonDays: readonly number[];
  readonly redemptionMinimumPoints: number;
  readonly transfers: { readonly maxPerTransfer: number; readonly maxPerDay: number };
  /** The alliance's partners; their HMAC secrets come from JIFEN_PARTNER_SECRETS, never from here. */
  readonly partners?: readonly PartnerTerms[];
}

/** The default program a fresh start runs: "retail-chain", version 1. */
export const RETAIL_CHAIN_V1: ProgramVersion = {
  programId: 'retail-chain',
  version: 1,
  effectiveFrom: '2000-01-01T00:00:00.000Z',
  controlGroupShareBasisPoints: 0,
  purchase: { minorUnitsPerBasePoint: 100 },
  signUp: { points: 50, lot: 'promotional' },
  profileCompletion: { points: 30, lot: 'promotional' },
  firstReview: { points: 20, lot: 'promotional' },
  newMemberPack: { points: 50, lot: 'promotional', windowHours: 30 * 24 },
  checkIn: { points: 5, lot: 'standard', perDay: 1 },
  share: { points: 10, lot: 'standard', perDay: 3 },
  referralSignUp: { referrer: 50, referee: 50, lot: 'standard' },
  referralFirstPurchase: { referrer: 100, lot: 'standard' },
  partnerCreditLot: 'standard',
  behaviourCapPerMonth: 5_000,
  tiers: [
    { tier: 'member', thresholdMinor: 0, multiplierTenths: 10 },
    { tier: 'silver', thresholdMinor: 2_000_00, multiplierTenths: 12 },
    { tier: 'gold', thresholdMinor: 8_000_00, multiplierTenths: 15 },
    { tier: 'diamond', thresholdMinor: 20_000_00, multiplierTenths: 20 },
  ],
  diamondBirthdayMultiplierTenths: 30,
  tierHoldMonths: 12,
  qualifyingSpendMonths: 12,
  lots: { standardMonths: 24, promotionalHours: 30 * 24, activityMonths: 12 },
  expiringSoonDays: [30, 15, 7],
  redemptionMinimumPoints: 100,
  transfers: { maxPerTransfer: 10_000, maxPerDay: 20_000 },
  partners: [
    {
      partnerId: 'airline-x',
      name: 'Airline X',
      unitsPer100Points: 8,
      settlementMinorPerPoint: 1,
      dailyLimitPoints: 50_000,
    },
    {
      partnerId: 'hotel-y',
      name: 'Hotel Y',
      unitsPer100Points: 25,
      settlementMinorPerPoint: 1,
      dailyLimitPoints: 50_000,
    },
  ],
};

/** The program as a versioned document: versions ordered by effectiveFrom. */
export interface Program {
  readonly versions: readonly ProgramVersion[];
}

export const RETAIL_CHAIN: Program = { versions: [RETAIL_CHAIN_V1] };

export interface LedgerConfig {
  readonly program: Program;
  /** The program's calendar (JIFEN_TIMEZONE): days, months, birthdays. */
  readonly timeZone: string;
}

export const DEFAULT_CONFIG: LedgerConfig = { program: RETAIL_CHAIN, timeZone: 'Asia/Shanghai' };

/** The version in force at `time`: the latest whose effectiveFrom is not after it. */
export function programAt(program: Program, time: Instant): ProgramVersion {
  let inForce: ProgramVersion | undefined;
  for (const version of program.versions) {
    if (Date.parse(version.effectiveFrom) <= Date.parse(time)) {
      if (!inForce || Date.parse(version.effectiveFrom) >= Date.parse(inForce.effectiveFrom)) {
        inForce = version;
      }
    }
  }
  if (!inForce) throw new RangeError(`no program version is in force at ${time}`);
  return inForce;
}
