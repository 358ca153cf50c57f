import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/** The days whose signed statement went out to each partner: each is sent once. */
export class AllianceStatementsSent1764201600302 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ${migrationSchema(queryRunner)}.alliance_statements_sent (
        partner_id text        NOT NULL,
        day        date        NOT NULL,
        sent_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (partner_id, day)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${migrationSchema(queryRunner)}.alliance_statements_sent`);
  }
}
