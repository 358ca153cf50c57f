import { RedemptionEvent } from '@jifen/contracts';
import { AccountsEvent, ledgerEntryTypes } from './accounts-event';
import { addFlows, Flows, flowsOf, hasFlow, noFlows, reservedDeltaOf } from './flows';
import { localDay } from '@jifen/ledger';

/** What a batch changes about one member; merged into the stored row by position and sums. */
export interface MemberDelta {
  memberId: string;
  /** The tier and the stream position that set it (0: none in this batch). */
  tier: string;
  tierPosition: number;
  balance: number;
  balancePosition: number;
  reserved: number;
  controlGroup: boolean;
  purchases: number;
  salesMinor: number;
  lastPurchaseAt: string | null;
  /** The highest stream position among the batch's events of the member (0: none). */
  appliedPosition: number;
}

export interface RedemptionRow {
  redemptionId: string;
  memberId: string;
  mode: string;
  itemId: string | null;
  category: string;
  points: number;
  cashMinor: number;
  unitCostMinor: number;
  quantity: number;
  occurredAt: string;
}

/** Everything one batch adds to the read models, as sums and upserts. */
export interface BatchEffects {
  daily: Map<string, Flows>;
  /** `day|ruleId|memberId` → points issued. */
  ruleIssuance: Map<string, { day: string; ruleId: string; memberId: string; points: number }>;
  /** `memberId|day` → purchases. */
  memberSales: Map<
    string,
    { memberId: string; day: string; salesMinor: number; purchases: number }
  >;
  members: Map<string, MemberDelta>;
  redemptions: RedemptionRow[];
}

export function emptyEffects(): BatchEffects {
  return {
    daily: new Map(),
    ruleIssuance: new Map(),
    memberSales: new Map(),
    members: new Map(),
    redemptions: [],
  };
}

/** Adds one (new, never applied) accounts event to the batch's effects. */
export function addAccountsEvent(effects: BatchEffects, event: AccountsEvent, timeZone: string) {
  const day = localDay(event.occurredAt, timeZone);
  const flows = flowsOf(event);
  if (hasFlow(flows)) {
    effects.daily.set(day, addFlows(effects.daily.get(day) ?? noFlows(), flows));
  }
  if (flows.issued) {
    const ruleId = event.data.ruleId ?? 'unknown';
    const key = `${day}|${ruleId}|${event.memberId}`;
    const row = effects.ruleIssuance.get(key) ?? {
      day,
      ruleId,
      memberId: event.memberId,
      points: 0,
    };
    row.points += flows.issued;
    effects.ruleIssuance.set(key, row);
  }
  const member = memberDelta(effects, event.memberId);
  if (event.streamPosition > member.appliedPosition) member.appliedPosition = event.streamPosition;
  if (ledgerEntryTypes.has(event.type) && event.streamPosition > member.balancePosition) {
    member.balance = event.data.balanceAfter ?? member.balance;
    member.balancePosition = event.streamPosition;
  }
  member.reserved += reservedDeltaOf(event);
  if (event.type === 'tier.changed' && event.streamPosition > member.tierPosition) {
    member.tier = event.data.tier ?? member.tier;
    member.tierPosition = event.streamPosition;
  }
  if (event.type === 'member.signed_up' && event.data.controlGroup) member.controlGroup = true;
  if (event.type === 'purchase.recorded') {
    const amount = event.data.amountMinor ?? 0;
    member.purchases += 1;
    member.salesMinor += amount;
    if (member.lastPurchaseAt === null || event.occurredAt > member.lastPurchaseAt) {
      member.lastPurchaseAt = event.occurredAt;
    }
    const key = `${event.memberId}|${day}`;
    const row = effects.memberSales.get(key) ?? {
      memberId: event.memberId,
      day,
      salesMinor: 0,
      purchases: 0,
    };
    row.salesMinor += amount;
    row.purchases += 1;
    effects.memberSales.set(key, row);
  }
}

/** Adds one (new) redemption event: only confirmations are figures. */
export function addRedemptionEvent(effects: BatchEffects, event: RedemptionEvent): void {
  if (event.type !== 'redemption.confirmed') return;
  const d = event.data;
  effects.redemptions.push({
    redemptionId: d.redemptionId,
    memberId: event.memberId,
    mode: d.mode,
    itemId: d.itemId,
    category: d.category,
    points: d.points,
    cashMinor: d.cashMinor,
    unitCostMinor: d.unitCostMinor,
    quantity: d.quantity,
    occurredAt: event.occurredAt,
  });
}

function memberDelta(effects: BatchEffects, memberId: string): MemberDelta {
  let member = effects.members.get(memberId);
  if (!member) {
    member = {
      memberId,
      tier: 'member',
      tierPosition: 0,
      balance: 0,
      balancePosition: 0,
      reserved: 0,
      controlGroup: false,
      purchases: 0,
      salesMinor: 0,
      lastPurchaseAt: null,
      appliedPosition: 0,
    };
    effects.members.set(memberId, member);
  }
  return member;
}
