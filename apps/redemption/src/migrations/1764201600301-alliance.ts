import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/** Settlement messages with partner brands, their rejections, and partners' own statements. */
export class Alliance1764201600301 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.alliance_messages (
        partner_id         text        NOT NULL,
        message_id         text        NOT NULL,
        type               text        NOT NULL,
        member_id          text        NOT NULL,
        partner_member_ref text        NOT NULL,
        points             integer     NOT NULL,
        partner_units      bigint      NOT NULL,
        rate               integer     NOT NULL,
        settlement_minor   bigint      NOT NULL,
        occurred_at        timestamptz NOT NULL,
        day                date        NOT NULL,
        -- pending (sent to accounts) → accepted | rejected
        status             text        NOT NULL,
        reason             text,
        detail             text,
        entry_id           text,
        received_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (partner_id, message_id)
      )`);
    await queryRunner.query(`CREATE INDEX ON ${s}.alliance_messages (partner_id, day)`);
    await queryRunner.query(
      `CREATE INDEX ON ${s}.alliance_messages (partner_id, member_id, type, day)`,
    );
    await queryRunner.query(`
      CREATE TABLE ${s}.alliance_rejections (
        id          bigserial   PRIMARY KEY,
        partner_id  text,
        message_id  text,
        day         date,
        reason      text        NOT NULL,
        detail      text        NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX ON ${s}.alliance_rejections (partner_id, day)`);
    await queryRunner.query(`
      CREATE TABLE ${s}.alliance_partner_statements (
        partner_id  text        NOT NULL,
        day         date        NOT NULL,
        message_id  text        NOT NULL,
        message_ids jsonb       NOT NULL,
        sums        jsonb,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (partner_id, day)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(
      `DROP TABLE ${s}.alliance_messages, ${s}.alliance_rejections, ${s}.alliance_partner_statements`,
    );
  }
}
