import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { ANALYTICS_POOL } from '../analytics.tokens';
import { DayFlows, FlowTotals, PurchaseHistory } from './figures';
import { Period } from './period';

const n = (value: string | number | null | undefined): number => Number(value ?? 0);

/** Reads of the read models; the calculations on them are in figures.ts. */
@Injectable()
export class ReadModels {
  constructor(@Inject(ANALYTICS_POOL) private readonly pool: Pool) {}

  /** Flows within the period, flows up to its end, and sales within it. */
  async totals(period: Period): Promise<{
    period: FlowTotals & { salesMinor: number };
    upToEnd: FlowTotals;
  }> {
    const { rows } = await this.pool.query(
      `SELECT
         sum(issued)      FILTER (WHERE $1::date IS NULL OR day >= $1) AS issued,
         sum(reversed)    FILTER (WHERE $1::date IS NULL OR day >= $1) AS reversed,
         sum(redeemed)    FILTER (WHERE $1::date IS NULL OR day >= $1) AS redeemed,
         sum(expired)     FILTER (WHERE $1::date IS NULL OR day >= $1) AS expired,
         sum(sales_minor) FILTER (WHERE $1::date IS NULL OR day >= $1) AS sales_minor,
         sum(issued) AS all_issued, sum(reversed) AS all_reversed,
         sum(redeemed) AS all_redeemed, sum(expired) AS all_expired
       FROM daily_flows WHERE $2::date IS NULL OR day <= $2`,
      [period.from, period.to],
    );
    const r = rows[0] as Record<string, string | null>;
    return {
      period: {
        issued: n(r.issued),
        reversed: n(r.reversed),
        redeemed: n(r.redeemed),
        expired: n(r.expired),
        salesMinor: n(r.sales_minor),
      },
      upToEnd: {
        issued: n(r.all_issued),
        reversed: n(r.all_reversed),
        redeemed: n(r.all_redeemed),
        expired: n(r.all_expired),
      },
    };
  }

  /** Days with any flow or sales in the period, ascending. */
  async days(period: Period): Promise<DayFlows[]> {
    const { rows } = await this.pool.query<Record<string, string>>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS date, issued, reversed, redeemed, expired, sales_minor
       FROM daily_flows
       WHERE ($1::date IS NULL OR day >= $1) AND ($2::date IS NULL OR day <= $2)
         AND (issued <> 0 OR reversed <> 0 OR redeemed <> 0 OR expired <> 0 OR sales_minor <> 0)
       ORDER BY day`,
      [period.from, period.to],
    );
    return rows.map((r) => ({
      date: r.date,
      issued: n(r.issued),
      reversed: n(r.reversed),
      redeemed: n(r.redeemed),
      expired: n(r.expired),
      salesMinor: n(r.sales_minor),
    }));
  }

  async lastDay(): Promise<string | null> {
    const { rows } = await this.pool.query<{ day: string | null }>(
      `SELECT to_char(max(day), 'YYYY-MM-DD') AS day FROM daily_flows`,
    );
    return rows[0].day;
  }

  async tiers(): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ tier: string; members: string }>(
      'SELECT tier, count(*) AS members FROM members GROUP BY tier',
    );
    const tiers: Record<string, number> = { member: 0, silver: 0, gold: 0, diamond: 0 };
    for (const row of rows) tiers[row.tier] = n(row.members);
    return tiers;
  }

  async byItem(): Promise<
    Array<{
      itemId: string;
      category: string;
      count: number;
      quantity: number;
      points: number;
      cashMinor: number;
      costMinor: number;
      costPerPointMinor: number | null;
    }>
  > {
    const { rows } = await this.pool.query<Record<string, string>>(
      `SELECT item_id, min(category) AS category, count(*) AS count, sum(quantity) AS quantity,
              sum(points) AS points, sum(cash_minor) AS cash_minor,
              sum(unit_cost_minor * quantity) AS cost_minor
       FROM redemptions WHERE item_id IS NOT NULL
       GROUP BY item_id ORDER BY sum(points) DESC, item_id`,
    );
    return rows.map((r) => ({
      itemId: r.item_id,
      category: r.category,
      count: n(r.count),
      quantity: n(r.quantity),
      points: n(r.points),
      cashMinor: n(r.cash_minor),
      costMinor: n(r.cost_minor),
      costPerPointMinor: n(r.points) === 0 ? null : n(r.cost_minor) / n(r.points),
    }));
  }

  /**
   * Per rule: points issued in the period, and the members who earned them on the treatment
   * side (not in the control group) with their purchases in the period.
   */
  async issuanceByRule(
    period: Period,
  ): Promise<Array<{ ruleId: string; points: number; members: number; revenueMinor: number }>> {
    const { rows } = await this.pool.query<Record<string, string>>(
      `WITH earned AS (
         SELECT rule_id, member_id, sum(points) AS points FROM rule_issuance
         WHERE ($1::date IS NULL OR day >= $1) AND ($2::date IS NULL OR day <= $2)
         GROUP BY rule_id, member_id),
       revenue AS (
         SELECT member_id, sum(sales_minor) AS sales FROM member_sales
         WHERE ($1::date IS NULL OR day >= $1) AND ($2::date IS NULL OR day <= $2)
         GROUP BY member_id)
       SELECT e.rule_id, sum(e.points) AS points,
              count(*) FILTER (WHERE NOT coalesce(m.control_group, false)) AS members,
              coalesce(sum(r.sales) FILTER (WHERE NOT coalesce(m.control_group, false)), 0) AS revenue
       FROM earned e LEFT JOIN members m USING (member_id) LEFT JOIN revenue r USING (member_id)
       GROUP BY e.rule_id ORDER BY e.rule_id`,
      [period.from, period.to],
    );
    return rows.map((r) => ({
      ruleId: r.rule_id,
      points: n(r.points),
      members: n(r.members),
      revenueMinor: n(r.revenue),
    }));
  }

  /** The control group: its members and their purchases in the period. */
  async controlGroup(period: Period): Promise<{ members: number; revenueMinor: number }> {
    const { rows } = await this.pool.query<Record<string, string>>(
      `SELECT count(*) AS members, coalesce(sum(
         (SELECT sum(sales_minor) FROM member_sales s WHERE s.member_id = m.member_id
            AND ($1::date IS NULL OR s.day >= $1) AND ($2::date IS NULL OR s.day <= $2))), 0) AS revenue
       FROM members m WHERE m.control_group`,
      [period.from, period.to],
    );
    return { members: n(rows[0].members), revenueMinor: n(rows[0].revenue) };
  }

  async purchaseHistories(): Promise<PurchaseHistory[]> {
    const { rows } = await this.pool.query<Record<string, string | Date>>(
      `SELECT member_id, last_purchase_at, purchases, sales_minor FROM members
       WHERE purchases > 0 ORDER BY member_id`,
    );
    return rows.map((r) => ({
      memberId: String(r.member_id),
      lastPurchaseAt: (r.last_purchase_at as Date).toISOString(),
      purchases: n(r.purchases as string),
      salesMinor: n(r.sales_minor as string),
    }));
  }

  async membersWithoutPurchase(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM members WHERE purchases = 0',
    );
    return n(rows[0].n);
  }

  /** Members with no purchase in the 90 days before `asOf` and at least `minBalance`, by id. */
  async dormant(
    asOf: Date,
    minBalance: number,
    limit: number,
    after: string | null,
  ): Promise<{
    members: Array<{ memberId: string; balance: number; lastPurchaseAt: string | null }>;
    nextCursor: string | null;
  }> {
    const { rows } = await this.pool.query<Record<string, string | Date | null>>(
      `SELECT member_id, balance, last_purchase_at FROM members
       WHERE balance >= $2
         AND (last_purchase_at IS NULL OR last_purchase_at <= $1::timestamptz - interval '90 days')
         AND ($3::text IS NULL OR member_id > $3)
       ORDER BY member_id LIMIT $4`,
      [asOf.toISOString(), minBalance, after, limit + 1],
    );
    const page = rows.slice(0, limit).map((r) => ({
      memberId: String(r.member_id),
      balance: n(r.balance as string),
      lastPurchaseAt: r.last_purchase_at ? (r.last_purchase_at as Date).toISOString() : null,
    }));
    return {
      members: page,
      nextCursor: rows.length > limit ? page[page.length - 1].memberId : null,
    };
  }
}
