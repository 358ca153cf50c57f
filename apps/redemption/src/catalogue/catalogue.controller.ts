import { Body, Controller, Get, Inject, Post, Query } from '@nestjs/common';
import { Pool } from 'pg';
import { SERVICE_POOL } from '@jifen/event-store';
import { Roles } from '@jifen/platform';
import { CatalogueItem } from '../redemptions/pricing';
import { CatalogueItemBody, CatalogueQuery } from './catalogue.dto';
import { CatalogueService } from './catalogue.service';

@Controller()
export class CatalogueController {
  constructor(
    private readonly catalogue: CatalogueService,
    @Inject(SERVICE_POOL) private readonly pool: Pool,
  ) {}

  /**
   * The catalogue; with `memberId`, only what that member can redeem with points now (active,
   * in stock, points price within the balance accounts last announced).
   */
  @Get('catalogue')
  @Roles('admin', 'analyst', 'member-app')
  async list(@Query() query: CatalogueQuery): Promise<{ items: CatalogueItem[] }> {
    let affordableWith: number | undefined;
    if (query.memberId !== undefined) {
      const { rows } = await this.pool.query<{ balance: number }>(
        'SELECT balance FROM member_balances WHERE member_id = $1',
        [query.memberId],
      );
      affordableWith = rows[0]?.balance ?? 0;
    }
    return {
      items: await this.catalogue.list({ category: query.category, affordableWith }, new Date()),
    };
  }

  @Post('admin/catalogue')
  @Roles('admin')
  async upsert(@Body() body: CatalogueItemBody): Promise<CatalogueItem> {
    return this.catalogue.upsert({
      itemId: body.itemId,
      name: body.name,
      category: body.category,
      pointsPrice: body.pointsPrice,
      cashPriceMinor: body.cashPriceMinor ?? null,
      unitCostMinor: body.unitCostMinor,
      stock: body.stock ?? null,
      active: body.active ?? true,
      activeFrom: body.activeFrom ?? null,
      activeUntil: body.activeUntil ?? null,
    });
  }
}
