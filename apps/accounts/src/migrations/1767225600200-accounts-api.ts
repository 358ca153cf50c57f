import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/**
 * What the HTTP side of accounts keeps beside the event store: the outcome of every internal
 * command (written in the consumer's batch transaction, read by the requests that wait for
 * it), the transfer requests, the published program versions and the scheduled job runs.
 */
export class AccountsApi1767225600200 implements MigrationInterface {
  name = 'AccountsApi1767225600200';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.command_outcomes (
        command_id  text        PRIMARY KEY,
        member_id   text        NOT NULL,
        status      text        NOT NULL CHECK (status IN ('applied', 'refused')),
        reason      text,
        detail      text,
        events      jsonb       NOT NULL DEFAULT '[]',
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE ${s}.transfer_requests (
        transfer_id    text        PRIMARY KEY,
        from_member_id text        NOT NULL,
        to_member_id   text        NOT NULL,
        points         integer     NOT NULL,
        requested_at   timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE ${s}.program_versions (
        version        integer     PRIMARY KEY CHECK (version > 1),
        effective_from timestamptz NOT NULL UNIQUE,
        document       jsonb       NOT NULL,
        published_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE ${s}.scheduled_job_runs (
        due_at     timestamptz PRIMARY KEY,
        members    integer     NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(
      `DROP TABLE ${s}.command_outcomes, ${s}.transfer_requests, ${s}.program_versions, ${s}.scheduled_job_runs`,
    );
  }
}
