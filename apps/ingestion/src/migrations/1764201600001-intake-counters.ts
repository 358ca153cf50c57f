import { MigrationInterface, QueryRunner } from 'typeorm';
import { intakeTablesSql } from '@jifen/messaging';
import { migrationSchema } from '@jifen/platform';

/**
 * Counters and consumed offsets replace the inbox: de-duplication by `source` + `id` is
 * decided by accounts (docs/architecture.md, "Where duplicates are caught").
 */
export class IntakeCounters1764201600001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = migrationSchema(queryRunner);
    await queryRunner.query(`DROP TABLE ${schema}.inbox`);
    for (const sql of intakeTablesSql(schema)) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = migrationSchema(queryRunner);
    await queryRunner.query(`DROP TABLE ${schema}.consumed_offsets, ${schema}.intake_counters`);
  }
}
