/**
 * What a redemption costs, decided from the request and the catalogue item alone (CONTRACT.md
 * sections 4 and 7): at least 100 points; points + cash pays `cashPriceMinor − points` fen,
 * with points paying at most 30% of the cash price; a cash offset takes any whole number of
 * points ≥ 100 at 1 fen each. Stock and the member's balance are checked where they live.
 */
export const MinimumPoints = 100;
/** Points may pay at most this share (in percent) of a points + cash item's cash price. */
export const MaxPointsSharePercent = 30;

export interface CatalogueItem {
  itemId: string;
  name: string;
  category: string;
  pointsPrice: number;
  cashPriceMinor: number | null;
  unitCostMinor: number;
  stock: number | null;
  active: boolean;
  activeFrom: string | null;
  activeUntil: string | null;
}

export type RedemptionRequest =
  | { mode: 'points'; itemId: string }
  | { mode: 'points_plus_cash'; itemId: string; points: number }
  | { mode: 'cash_offset'; orderId: string; points: number };

export interface Priced {
  mode: RedemptionRequest['mode'];
  itemId: string | null;
  orderId: string | null;
  points: number;
  cashDueMinor: number;
  unitCostMinor: number;
  takesStock: boolean;
}

export type PricingRefusal = {
  reason:
    'unknown_item' | 'item_inactive' | 'below_minimum' | 'points_share_too_high' | 'no_cash_price';
  detail: string;
};

export function price(
  request: RedemptionRequest,
  item: CatalogueItem | undefined,
  now: Date,
): { ok: true; priced: Priced } | { ok: false; refusal: PricingRefusal } {
  if (request.mode === 'cash_offset') {
    if (request.points < MinimumPoints)
      return refuse('below_minimum', `a redemption takes at least ${MinimumPoints} points`);
    return {
      ok: true,
      priced: {
        mode: 'cash_offset',
        itemId: null,
        orderId: request.orderId,
        points: request.points,
        // The points pay points × 1 fen of the order; what remains is the checkout's to collect.
        cashDueMinor: 0,
        unitCostMinor: request.points,
        takesStock: false,
      },
    };
  }
  if (!item) return refuse('unknown_item', `there is no catalogue item "${request.itemId}"`);
  if (!isActive(item, now)) return refuse('item_inactive', `"${item.name}" cannot be redeemed now`);

  if (request.mode === 'points') {
    if (item.pointsPrice < MinimumPoints)
      return refuse('below_minimum', `a redemption takes at least ${MinimumPoints} points`);
    return { ok: true, priced: itemPriced('points', item, item.pointsPrice, 0) };
  }
  if (item.cashPriceMinor === null) {
    return refuse('no_cash_price', `"${item.name}" has no cash price; redeem it with points only`);
  }
  if (request.points < MinimumPoints)
    return refuse('below_minimum', `a redemption takes at least ${MinimumPoints} points`);
  // points × 1 fen ≤ 30% of the cash price, in integers.
  if (request.points * 100 > item.cashPriceMinor * MaxPointsSharePercent) {
    const most = Math.floor((item.cashPriceMinor * MaxPointsSharePercent) / 100);
    return refuse(
      'points_share_too_high',
      `points may pay at most ${MaxPointsSharePercent}% of the cash price: at most ${most} points for "${item.name}"`,
    );
  }
  return {
    ok: true,
    priced: itemPriced(
      'points_plus_cash',
      item,
      request.points,
      item.cashPriceMinor - request.points,
    ),
  };
}

export function isActive(item: CatalogueItem, now: Date): boolean {
  if (!item.active) return false;
  if (item.activeFrom && Date.parse(item.activeFrom) > now.getTime()) return false;
  if (item.activeUntil && Date.parse(item.activeUntil) <= now.getTime()) return false;
  return true;
}

function itemPriced(
  mode: Priced['mode'],
  item: CatalogueItem,
  points: number,
  cashDueMinor: number,
): Priced {
  return {
    mode,
    itemId: item.itemId,
    orderId: null,
    points,
    cashDueMinor,
    unitCostMinor: item.unitCostMinor,
    takesStock: item.stock !== null,
  };
}

function refuse(
  reason: PricingRefusal['reason'],
  detail: string,
): { ok: false; refusal: PricingRefusal } {
  return { ok: false, refusal: { reason, detail } };
}
