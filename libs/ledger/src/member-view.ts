import { expectedExpiry } from './expiry';
import { DEFAULT_CONFIG, programAt, type LedgerConfig, type Tier } from './program';
import { balanceOf, reservedOf, type Lifetime, type MemberState } from './state';
import { nextTier, qualifyingSpendMinor } from './tiers';
import { DAY_MS, toInstant, toMs, type Instant } from './time';

/** `GET /members/{memberId}` (CONTRACT.md section 7), as of an instant. */
export interface MemberView {
  readonly memberId: string;
  readonly balance: number;
  readonly reserved: number;
  readonly debt: number;
  readonly tier: Tier;
  readonly tierHeldUntil: Instant | null;
  readonly qualifyingSpendMinor: number;
  readonly nextTier: { readonly tier: Tier; readonly spendNeededMinor: number } | null;
  /** Lots expected to expire within 30 days of `asOf`, summed per expiry instant. */
  readonly expiringSoon: readonly { readonly points: number; readonly expiresAt: Instant }[];
  readonly lifetime: Lifetime;
}

const EXPIRING_SOON_DAYS = 30;

/** Null for a member never enrolled (404). */
export function memberView(
  state: MemberState,
  asOfInput: string,
  config: LedgerConfig = DEFAULT_CONFIG,
): MemberView | null {
  if (state.status === 'unknown') return null;
  const asOf = toInstant(asOfInput, 'asOf');
  const program = programAt(config.program, asOf);
  const spend = qualifyingSpendMinor(state, asOf, program, config.timeZone);
  const horizon = toMs(asOf) + EXPIRING_SOON_DAYS * DAY_MS;
  const byInstant = new Map<Instant, number>();
  for (const lot of state.lots) {
    const expiresAt = expectedExpiry(lot, state, program, config.timeZone);
    if (toMs(expiresAt) <= horizon) {
      byInstant.set(expiresAt, (byInstant.get(expiresAt) ?? 0) + lot.points);
    }
  }
  const expiringSoon = [...byInstant.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([expiresAt, points]) => ({ points, expiresAt }));
  return {
    memberId: state.memberId,
    balance: balanceOf(state),
    reserved: reservedOf(state),
    debt: state.debt,
    tier: state.tier,
    tierHeldUntil: state.tierHeldUntil,
    qualifyingSpendMinor: spend,
    nextTier: nextTier(state.tier, spend, program),
    expiringSoon,
    lifetime: state.lifetime,
  };
}
