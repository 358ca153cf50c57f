import { RedemptionEventData } from '@jifen/contracts';

export type RedemptionStatus =
  | 'pending'
  | 'confirmed'
  | 'awaiting_payment'
  | 'confirming'
  | 'releasing'
  | 'released'
  | 'refused';

/** A row of `redemptions`: the saga's durable state. */
export interface RedemptionRow {
  redemption_id: string;
  member_id: string;
  mode: RedemptionEventData['mode'];
  item_id: string | null;
  order_id: string | null;
  points: number;
  cash_due_minor: string;
  unit_cost_minor: string;
  status: RedemptionStatus;
  reason: string | null;
  detail: string | null;
  stock_taken: boolean;
  payment_due_at: Date | null;
  category: string | null;
}

/** What `POST /redemptions` and `GET /redemptions/{id}` answer. */
export interface RedemptionAnswer {
  redemptionId: string;
  memberId: string;
  /** pending: the outcome is not known yet; ask again at GET /redemptions/{redemptionId}. */
  status: 'pending' | 'confirmed' | 'awaiting_payment' | 'released' | 'refused';
  mode: RedemptionEventData['mode'];
  itemId: string | null;
  orderId: string | null;
  pointsDebited: number;
  cashDueMinor: number;
  paymentDueAt?: string;
  reason?: string;
  detail?: string;
}

export function answerOf(row: RedemptionRow): RedemptionAnswer {
  // Steps in flight are still pending to the member.
  const status = row.status === 'confirming' || row.status === 'releasing' ? 'pending' : row.status;
  return {
    redemptionId: row.redemption_id,
    memberId: row.member_id,
    status,
    mode: row.mode,
    itemId: row.item_id,
    orderId: row.order_id,
    pointsDebited: status === 'refused' || status === 'released' ? 0 : row.points,
    cashDueMinor: Number(row.cash_due_minor),
    ...(row.payment_due_at &&
      status === 'awaiting_payment' && { paymentDueAt: row.payment_due_at.toISOString() }),
    ...(row.reason && { reason: row.reason }),
    ...(row.detail && { detail: row.detail }),
  };
}

export function isSettled(row: RedemptionRow): boolean {
  return row.status !== 'pending' && row.status !== 'confirming' && row.status !== 'releasing';
}
