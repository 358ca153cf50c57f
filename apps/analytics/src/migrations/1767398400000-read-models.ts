import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/**
 * The read models, their positions and the applied event ids. Every table here is derived
 * from the event topics and is emptied and refilled by `npm run analytics:rebuild`.
 */
export class ReadModels1767398400000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    const statements = [
      // The next offset to apply per partition (the shape libs/messaging's helpers read), and
      // the broker timestamp of the last message applied there, for GET /analytics/lag.
      `CREATE TABLE ${s}.consumed_offsets (
         topic        text    NOT NULL,
         partition    integer NOT NULL,
         next_offset  bigint  NOT NULL,
         last_message_at timestamptz,
         PRIMARY KEY (topic, partition)
       )`,
      // The relay may publish an event twice (a crash between the broker's acknowledgement
      // and its checkpoint): the second copy, at another offset, is recognised by its id.
      `CREATE TABLE ${s}.applied_events (event_id text PRIMARY KEY)`,
      `CREATE TABLE ${s}.daily_flows (
         day         date   PRIMARY KEY,
         issued      bigint NOT NULL,
         reversed    bigint NOT NULL,
         redeemed    bigint NOT NULL,
         expired     bigint NOT NULL,
         sales_minor bigint NOT NULL
       )`,
      `CREATE TABLE ${s}.rule_issuance (
         day       date   NOT NULL,
         rule_id   text   NOT NULL,
         member_id text   NOT NULL,
         points    bigint NOT NULL,
         PRIMARY KEY (day, rule_id, member_id)
       )`,
      `CREATE TABLE ${s}.member_sales (
         member_id   text    NOT NULL,
         day         date    NOT NULL,
         sales_minor bigint  NOT NULL,
         purchases   integer NOT NULL,
         PRIMARY KEY (member_id, day)
       )`,
      `CREATE INDEX member_sales_day ON ${s}.member_sales (day)`,
      `CREATE TABLE ${s}.members (
         member_id        text    PRIMARY KEY,
         tier             text    NOT NULL,
         tier_position    integer NOT NULL,
         balance          bigint  NOT NULL,
         balance_position integer NOT NULL,
         reserved         bigint  NOT NULL,
         control_group    boolean NOT NULL,
         purchases        integer NOT NULL,
         sales_minor      bigint  NOT NULL,
         last_purchase_at timestamptz
       )`,
      `CREATE TABLE ${s}.redemptions (
         redemption_id   text        PRIMARY KEY,
         member_id       text        NOT NULL,
         mode            text        NOT NULL,
         item_id         text,
         category        text        NOT NULL,
         points          bigint      NOT NULL,
         cash_minor      bigint      NOT NULL,
         unit_cost_minor bigint      NOT NULL,
         quantity        integer     NOT NULL,
         occurred_at     timestamptz NOT NULL
       )`,
    ];
    for (const sql of statements) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    for (const table of readModelTables) await queryRunner.query(`DROP TABLE ${s}.${table}`);
  }
}

/** Every table a rebuild empties: all of them are derived from the topics. */
export const readModelTables = [
  'consumed_offsets',
  'applied_events',
  'daily_flows',
  'rule_issuance',
  'member_sales',
  'members',
  'redemptions',
];
