import { MigrationInterface, QueryRunner } from 'typeorm';
import { intakeCountersPerShardSql, intakeCountersUnshardedSql } from '@jifen/messaging';
import { migrationSchema } from '@jifen/platform';

/** The intake counters get a row per partition, so concurrent batches do not queue on them. */
export class IntakeCountersPerShard1764201600003 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of intakeCountersPerShardSql(migrationSchema(queryRunner))) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of intakeCountersUnshardedSql(migrationSchema(queryRunner))) {
      await queryRunner.query(sql);
    }
  }
}
