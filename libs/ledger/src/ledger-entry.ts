import type { LedgerEntryEvent, LedgerEvent } from './events';

export type EntryKind =
  | 'earn'
  | 'partner_credit'
  | 'reverse'
  | 'debt_payoff'
  | 'reserve'
  | 'redeem'
  | 'release'
  | 'partner_debit'
  | 'expire'
  | 'transfer_in'
  | 'transfer_out'
  | 'capped';

/** One row of `GET /members/{id}/ledger` (CONTRACT.md section 7). */
export interface LedgerEntry {
  readonly entryId: string;
  readonly kind: EntryKind;
  readonly points: number;
  readonly balanceAfter: number;
  readonly occurredAt: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly sourceEventId: string;
  readonly explanation: string;
  readonly lots: readonly { lotId: string; points: number; expiresAt: string }[];
}

export const ENTRY_KIND: { readonly [T in LedgerEntryEvent['type']]: EntryKind } = {
  PointsEarned: 'earn',
  PartnerPointsCredited: 'partner_credit',
  PointsReversed: 'reverse',
  DebtPaidOff: 'debt_payoff',
  PointsReserved: 'reserve',
  ReservationConfirmed: 'redeem',
  PointsRedeemed: 'redeem',
  ReservationReleased: 'release',
  PartnerPointsDebited: 'partner_debit',
  PointsExpired: 'expire',
  PointsTransferredIn: 'transfer_in',
  PointsTransferredOut: 'transfer_out',
  PointsCapped: 'capped',
};

export function isLedgerEntryEvent(event: LedgerEvent): event is LedgerEntryEvent {
  return event.type in ENTRY_KIND;
}

/** The ledger row an event is, or null for facts that move no points (sign-up, tier, ...). */
export function toLedgerEntry(event: LedgerEvent): LedgerEntry | null {
  if (!isLedgerEntryEvent(event)) return null;
  const d = event.data;
  return {
    entryId: d.entryId,
    kind: ENTRY_KIND[event.type],
    points: d.points,
    balanceAfter: d.balanceAfter,
    occurredAt: d.occurredAt,
    ruleId: d.ruleId,
    ruleVersion: d.ruleVersion,
    sourceEventId: d.sourceEventId,
    explanation: d.explanation,
    lots: d.lots.map(({ lotId, points, expiresAt }) => ({ lotId, points, expiresAt })),
  };
}
