import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/**
 * Each run of a job as of an instant, with the members it commanded: asked again, it answers
 * from them instead of sending every member's command once more.
 */
export class JobRuns1767225600400 implements MigrationInterface {
  name = 'JobRuns1767225600400';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.job_runs (
        job          text        NOT NULL CHECK (job IN ('expiry', 'tier-review')),
        as_of        text        NOT NULL,
        member_ids   text[]      NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job, as_of)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${migrationSchema(queryRunner)}.job_runs`);
  }
}
