import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { SERVICE_POOL } from '@jifen/event-store';
import { CatalogueItem, isActive } from '../redemptions/pricing';

interface ItemRow {
  item_id: string;
  name: string;
  category: string;
  points_price: number;
  cash_price_minor: string | null;
  unit_cost_minor: string;
  stock: number | null;
  active: boolean;
  active_from: Date | null;
  active_until: Date | null;
}

const toItem = (row: ItemRow): CatalogueItem => ({
  itemId: row.item_id,
  name: row.name,
  category: row.category,
  pointsPrice: row.points_price,
  cashPriceMinor: row.cash_price_minor === null ? null : Number(row.cash_price_minor),
  unitCostMinor: Number(row.unit_cost_minor),
  stock: row.stock,
  active: row.active,
  activeFrom: row.active_from?.toISOString() ?? null,
  activeUntil: row.active_until?.toISOString() ?? null,
});

/** The reward catalogue in redemption's schema; stock moves only by conditional updates. */
@Injectable()
export class CatalogueService {
  constructor(@Inject(SERVICE_POOL) private readonly pool: Pool) {}

  async list(
    filter: { category?: string; affordableWith?: number },
    now: Date,
  ): Promise<CatalogueItem[]> {
    const { rows } = await this.pool.query<ItemRow>(
      `SELECT * FROM catalogue_items
       WHERE ($1::text IS NULL OR category = $1) AND ($2::int IS NULL OR points_price <= $2)
       ORDER BY category, points_price, item_id`,
      [filter.category ?? null, filter.affordableWith ?? null],
    );
    const items = rows.map(toItem);
    // A member sees only what can be redeemed now; the full list shows inactive items too.
    return filter.affordableWith === undefined
      ? items
      : items.filter((item) => isActive(item, now) && item.stock !== 0);
  }

  async find(db: PoolClient | Pool, itemId: string): Promise<CatalogueItem | undefined> {
    const { rows } = await db.query<ItemRow>('SELECT * FROM catalogue_items WHERE item_id = $1', [
      itemId,
    ]);
    return rows[0] && toItem(rows[0]);
  }

  async upsert(
    item: Omit<CatalogueItem, 'activeFrom' | 'activeUntil'> & {
      activeFrom?: string | null;
      activeUntil?: string | null;
    },
  ): Promise<CatalogueItem> {
    const { rows } = await this.pool.query<ItemRow>(
      `INSERT INTO catalogue_items (item_id, name, category, points_price, cash_price_minor,
         unit_cost_minor, stock, active, active_from, active_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (item_id) DO UPDATE SET name = excluded.name, category = excluded.category,
         points_price = excluded.points_price, cash_price_minor = excluded.cash_price_minor,
         unit_cost_minor = excluded.unit_cost_minor, stock = excluded.stock, active = excluded.active,
         active_from = excluded.active_from, active_until = excluded.active_until, updated_at = now()
       RETURNING *`,
      [
        item.itemId,
        item.name,
        item.category,
        item.pointsPrice,
        item.cashPriceMinor,
        item.unitCostMinor,
        item.stock,
        item.active,
        item.activeFrom ?? null,
        item.activeUntil ?? null,
      ],
    );
    return toItem(rows[0]);
  }

  /** Takes one unit if any is left; false when out of stock. Unlimited items always succeed. */
  async takeOne(db: PoolClient, itemId: string): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE catalogue_items SET stock = stock - 1 WHERE item_id = $1 AND (stock IS NULL OR stock > 0)`,
      [itemId],
    );
    return rowCount === 1;
  }

  async returnOne(db: PoolClient, itemId: string): Promise<void> {
    await db.query(
      `UPDATE catalogue_items SET stock = stock + 1 WHERE item_id = $1 AND stock IS NOT NULL`,
      [itemId],
    );
  }
}
