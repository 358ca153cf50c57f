import { CatalogueItem, price } from './pricing';

const now = new Date('2026-11-26T10:00:00Z');
const kettle: CatalogueItem = {
  itemId: 'kettle',
  name: 'Electric kettle',
  category: 'home',
  pointsPrice: 12_900,
  cashPriceMinor: 15_900,
  unitCostMinor: 9_800,
  stock: 10,
  active: true,
  activeFrom: null,
  activeUntil: null,
};

describe('pricing a redemption', () => {
  it('charges the points price for a points-only redemption', () => {
    expect(price({ mode: 'points', itemId: 'kettle' }, kettle, now)).toEqual({
      ok: true,
      priced: expect.objectContaining({ points: 12_900, cashDueMinor: 0, takesStock: true }),
    });
  });

  it('charges the cash price less the points for points + cash', () => {
    expect(
      price({ mode: 'points_plus_cash', itemId: 'kettle', points: 4_000 }, kettle, now),
    ).toEqual({
      ok: true,
      priced: expect.objectContaining({ points: 4_000, cashDueMinor: 11_900 }),
    });
  });

  it('lets points pay exactly 30% of the cash price, not one point more', () => {
    // 30% of 159.00 CNY = 47.70 CNY = 4,770 points.
    expect(
      price({ mode: 'points_plus_cash', itemId: 'kettle', points: 4_770 }, kettle, now).ok,
    ).toBe(true);
    expect(
      price({ mode: 'points_plus_cash', itemId: 'kettle', points: 4_771 }, kettle, now),
    ).toEqual({
      ok: false,
      refusal: {
        reason: 'points_share_too_high',
        detail:
          'points may pay at most 30% of the cash price: at most 4770 points for "Electric kettle"',
      },
    });
  });

  it('refuses fewer than 100 points', () => {
    expect(price({ mode: 'cash_offset', orderId: 'o', points: 99 }, undefined, now)).toMatchObject({
      ok: false,
      refusal: { reason: 'below_minimum' },
    });
    expect(
      price({ mode: 'points_plus_cash', itemId: 'kettle', points: 99 }, kettle, now),
    ).toMatchObject({
      refusal: { reason: 'below_minimum' },
    });
  });

  it('values a cash offset at 1 fen a point, with no item and no stock', () => {
    expect(price({ mode: 'cash_offset', orderId: 'o-1', points: 2_500 }, undefined, now)).toEqual({
      ok: true,
      priced: {
        mode: 'cash_offset',
        itemId: null,
        orderId: 'o-1',
        points: 2_500,
        cashDueMinor: 0,
        unitCostMinor: 2_500,
        takesStock: false,
      },
    });
  });

  it('refuses unknown, inactive and out-of-window items, and points + cash without a cash price', () => {
    expect(price({ mode: 'points', itemId: 'x' }, undefined, now)).toMatchObject({
      refusal: { reason: 'unknown_item' },
    });
    expect(
      price({ mode: 'points', itemId: 'kettle' }, { ...kettle, active: false }, now),
    ).toMatchObject({
      refusal: { reason: 'item_inactive' },
    });
    expect(
      price(
        { mode: 'points', itemId: 'kettle' },
        { ...kettle, activeUntil: '2026-11-26T10:00:00Z' },
        now,
      ),
    ).toMatchObject({ refusal: { reason: 'item_inactive' } });
    expect(
      price(
        { mode: 'points_plus_cash', itemId: 'kettle', points: 500 },
        { ...kettle, cashPriceMinor: null },
        now,
      ),
    ).toMatchObject({ refusal: { reason: 'no_cash_price' } });
  });
});
