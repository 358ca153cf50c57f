import { MigrationInterface, QueryRunner } from 'typeorm';
import { intakeTablesSql } from '@jifen/messaging';
import { migrationSchema } from '@jifen/platform';

/** Processed command ids, the intake counters and the consumed offsets of the commands topic. */
export class Intake1764201600100 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = migrationSchema(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${schema}.processed_commands (
        source       text        NOT NULL,
        event_id     text        NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source, event_id)
      )`);
    for (const sql of intakeTablesSql(schema)) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = migrationSchema(queryRunner);
    await queryRunner.query(
      `DROP TABLE ${schema}.processed_commands, ${schema}.intake_counters, ${schema}.consumed_offsets`,
    );
  }
}
