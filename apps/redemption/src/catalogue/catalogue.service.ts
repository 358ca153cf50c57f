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

/**
 * An item as read for pricing a redemption, with its row's version (PostgreSQL's `xmin`, which
 * every update of the row changes, whoever makes it). `remembered`: this instance's copy, not
 * read now; the statement that uses it must check `stillAt`.
 */
export interface ItemForPricing {
  item: CatalogueItem;
  version: string;
  remembered: boolean;
}

/** At most this many items are remembered; the catalogue is a few hundred. */
const rememberedItems = 10_000;

/**
 * A condition true while the item `$itemParam` is still at the version `$versionParam`, or
 * when that version is null (the item was read in the same request).
 */
export const stillAt = (itemParam: string, versionParam: string) =>
  `(${versionParam}::text IS NULL OR EXISTS (SELECT 1 FROM catalogue_items
     WHERE item_id = ${itemParam} AND xmin::text = ${versionParam}))`;

/** The reward catalogue in redemption's schema; stock moves only by conditional updates. */
@Injectable()
export class CatalogueService {
  /**
   * Unlimited items as this instance last read them. A redemption request priced from one
   * writes its row only if the item has not changed since (`stillAt`), and reads it again if it
   * has: no price or state is ever used stale, and the common request costs one statement
   * instead of two (the read was a third of redemption's writes to PostgreSQL under 50 clients
   * on one member; BENCHMARKS.md). Items with stock are always read: their stock moves with
   * every redemption.
   */
  private readonly remembered = new Map<string, Omit<ItemForPricing, 'remembered'>>();

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

  /** The item to price a request with: remembered when `mayRemember` and known, else read. */
  async forPricing(itemId: string, mayRemember: boolean): Promise<ItemForPricing | undefined> {
    const known = mayRemember ? this.remembered.get(itemId) : undefined;
    if (known) return { ...known, remembered: true };
    const { rows } = await this.pool.query<ItemRow & { version: string }>(
      'SELECT *, xmin::text AS version FROM catalogue_items WHERE item_id = $1',
      [itemId],
    );
    if (!rows[0]) return undefined;
    const read = { item: toItem(rows[0]), version: rows[0].version };
    if (read.item.stock === null) {
      if (this.remembered.size >= rememberedItems) this.remembered.clear();
      this.remembered.set(itemId, read);
    } else {
      this.remembered.delete(itemId);
    }
    return { ...read, remembered: false };
  }

  /** Drops the remembered copy of an item that has changed. */
  forget(itemId: string): void {
    this.remembered.delete(itemId);
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
