import { MigrationInterface, QueryRunner } from 'typeorm';
import { intakeTablesSql } from '@jifen/messaging';
import { migrationSchema } from '@jifen/platform';
import { retailChainCatalogue } from '../catalogue/retail-chain-catalogue';

/**
 * The catalogue (seeded with the retail-chain items), the redemption sagas, the members'
 * available balances as accounts announces them, and the intake tables for accounts' events.
 */
export class Redemption1764201600300 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.catalogue_items (
        item_id          text        PRIMARY KEY,
        name             text        NOT NULL,
        category         text        NOT NULL,
        points_price     integer     NOT NULL CHECK (points_price > 0),
        cash_price_minor bigint      CHECK (cash_price_minor > 0),
        unit_cost_minor  bigint      NOT NULL CHECK (unit_cost_minor >= 0),
        -- null: unlimited
        stock            integer     CHECK (stock >= 0),
        active           boolean     NOT NULL DEFAULT true,
        active_from      timestamptz,
        active_until     timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX ON ${s}.catalogue_items (category)`);
    await queryRunner.query(`
      CREATE TABLE ${s}.redemptions (
        redemption_id   text        PRIMARY KEY,
        member_id       text        NOT NULL,
        mode            text        NOT NULL,
        item_id         text,
        order_id        text,
        points          integer     NOT NULL,
        cash_due_minor  bigint      NOT NULL,
        unit_cost_minor bigint      NOT NULL,
        -- pending → confirmed | awaiting_payment → confirming → confirmed
        --                         awaiting_payment → releasing → released;  pending → refused
        status          text        NOT NULL,
        reason          text,
        detail          text,
        stock_taken     boolean     NOT NULL,
        payment_due_at  timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX ON ${s}.redemptions (payment_due_at) WHERE status = 'awaiting_payment'`,
    );
    await queryRunner.query(`
      CREATE TABLE ${s}.member_balances (
        member_id       text    PRIMARY KEY,
        balance         integer NOT NULL,
        stream_position bigint  NOT NULL
      )`);
    for (const sql of intakeTablesSql(s)) await queryRunner.query(sql);
    for (const item of retailChainCatalogue) {
      await queryRunner.query(
        `INSERT INTO ${s}.catalogue_items
           (item_id, name, category, points_price, cash_price_minor, unit_cost_minor, stock)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          item.itemId,
          item.name,
          item.category,
          item.pointsPrice,
          item.cashPriceMinor,
          item.unitCostMinor,
          item.stock,
        ],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(
      `DROP TABLE ${s}.catalogue_items, ${s}.redemptions, ${s}.member_balances, ${s}.intake_counters, ${s}.consumed_offsets`,
    );
  }
}
