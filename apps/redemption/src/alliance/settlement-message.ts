import { firstUnstorableText, isStorableText } from '@jifen/contracts';
import { PartnerTerms } from '@jifen/ledger';
import { verify } from './signature';

/** The alliance's rejection reasons, in the order the checks run (CONTRACT.md section 5). */
export type AllianceReason =
  | 'unknown_partner'
  | 'bad_signature'
  | 'rate_mismatch'
  | 'units_mismatch'
  | 'unknown_member'
  | 'over_limit'
  | 'insufficient_points'
  | 'duplicate_message'
  | 'malformed';

export interface ConversionMessage {
  messageId: string;
  partnerId: string;
  type: 'credit' | 'debit';
  memberId: string;
  partnerMemberRef: string;
  points: number;
  partnerUnits: number;
  rate: number;
  occurredAt: string;
  signature: string;
}

export interface PartnerStatementMessage {
  messageId: string;
  partnerId: string;
  type: 'statement';
  date: string;
  messageIds: string[];
  sums?: Record<string, unknown>;
  occurredAt: string;
  signature: string;
}

export type SettlementMessage = ConversionMessage | PartnerStatementMessage;

export type Checked =
  | { ok: true; message: SettlementMessage; partner: PartnerTerms }
  | { ok: false; reason: AllianceReason; detail: string; partnerId?: string; messageId?: string };

// Storable: ids are written to PostgreSQL, and a write that fails stops the partition.
const isText = (v: unknown, max = 128): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max && isStorableText(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/**
 * The checks a message's own content decides, in the contract's order: the partner, the
 * signature, the rate, the units. The member, the limits and replays need state and follow.
 */
export function checkMessage(
  body: unknown,
  partners: readonly PartnerTerms[],
  secrets: Record<string, string>,
): Checked {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'malformed', detail: 'a settlement message is a JSON object' };
  }
  const m = body as Record<string, unknown>;
  const ids = {
    partnerId: isText(m.partnerId) ? m.partnerId : undefined,
    messageId: isText(m.messageId) ? m.messageId : undefined,
  };
  const partner = partners.find((p) => p.partnerId === m.partnerId);
  const secret = typeof m.partnerId === 'string' ? secrets[m.partnerId] : undefined;
  if (!partner || secret === undefined) {
    return {
      ok: false,
      reason: 'unknown_partner',
      // Not String(m.partnerId): {"toString": 1} makes that throw, and a throw stops the
      // partition.
      // JSON.stringify escapes U+0000 and lone surrogates, so the detail can be stored.
      detail: `${typeof m.partnerId === 'string' ? JSON.stringify(m.partnerId.slice(0, 64)) : 'a partnerId that is not a string'} is not a partner of the alliance`,
      ...ids,
    };
  }
  if (!verify(m, secret)) {
    return {
      ok: false,
      reason: 'bad_signature',
      detail: "the signature does not match the message and the partner's key",
      ...ids,
    };
  }
  if (!ids.messageId || !isText(m.occurredAt, 40) || Number.isNaN(Date.parse(m.occurredAt))) {
    return {
      ok: false,
      reason: 'malformed',
      detail: 'messageId and occurredAt (RFC 3339) are required',
      ...ids,
    };
  }
  if (m.type === 'statement') {
    if (
      !isText(m.date, 10) ||
      !/^\d{4}-\d{2}-\d{2}$/.test(m.date) ||
      !Array.isArray(m.messageIds) ||
      !m.messageIds.every((id) => isText(id))
    ) {
      return {
        ok: false,
        reason: 'malformed',
        detail: 'a statement has date (YYYY-MM-DD) and messageIds (strings)',
        ...ids,
      };
    }
    // Stored as given: a value PostgreSQL refuses would stop the partition for good.
    const unstorable = firstUnstorableText(m.sums, 'sums');
    if (unstorable !== undefined) {
      return {
        ok: false,
        reason: 'malformed',
        detail: `${unstorable} holds a character that cannot be stored`,
        ...ids,
      };
    }
    return { ok: true, message: m as unknown as PartnerStatementMessage, partner };
  }
  if (
    (m.type !== 'credit' && m.type !== 'debit') ||
    !isText(m.memberId) ||
    !isText(m.partnerMemberRef) ||
    !isCount(m.points) ||
    !Number.isSafeInteger(m.partnerUnits) ||
    !Number.isSafeInteger(m.rate)
  ) {
    return {
      ok: false,
      reason: 'malformed',
      detail:
        'type (credit or debit), memberId, partnerMemberRef, points (> 0), partnerUnits and rate (integers) are required',
      ...ids,
    };
  }
  if (m.rate !== partner.unitsPer100Points) {
    return {
      ok: false,
      reason: 'rate_mismatch',
      detail: `${partner.partnerId}'s rate is ${partner.unitsPer100Points} units per 100 points, not ${m.rate}`,
      ...ids,
    };
  }
  const expected = Math.floor((m.points * partner.unitsPer100Points) / 100);
  if (m.partnerUnits !== expected) {
    return {
      ok: false,
      reason: 'units_mismatch',
      detail: `${m.points} points are ${expected} units at rate ${partner.unitsPer100Points}, not ${m.partnerUnits}`,
      ...ids,
    };
  }
  return { ok: true, message: m as unknown as ConversionMessage, partner };
}
