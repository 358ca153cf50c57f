import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/** DLQ records already re-published by `npm run dlq:replay`, by their partition and offset. */
export class DlqReplays1764201600002 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ${migrationSchema(queryRunner)}.dlq_replays (
        dlq_topic   text        NOT NULL,
        partition   integer     NOT NULL,
        "offset"    bigint      NOT NULL,
        reason      text        NOT NULL,
        replayed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (dlq_topic, partition, "offset")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${migrationSchema(queryRunner)}.dlq_replays`);
  }
}
