import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/**
 * Accounts events are recognised as applied by their member's stream position instead of a row
 * per event id (`applied_events` grew by a row for every accounts event, for ever). The
 * positions already applied are carried over from the ids (`member-<memberId>/<position>`), so
 * an event published again after the upgrade is still recognised; those rows then go.
 */
export class AppliedPositions1767484800000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(
      `ALTER TABLE ${s}.members ADD COLUMN applied_position integer NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(
      `UPDATE ${s}.members m SET applied_position = a.position
       FROM (SELECT substring(event_id FROM '^member-(.*)/[0-9]+$') AS member_id,
                    max(substring(event_id FROM '/([0-9]+)$')::integer) AS position
             FROM ${s}.applied_events WHERE event_id ~ '^member-.*/[0-9]+$' GROUP BY 1) a
       WHERE m.member_id = a.member_id`,
    );
    await queryRunner.query(
      `DELETE FROM ${s}.applied_events WHERE event_id ~ '^member-.*/[0-9]+$'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(
      `INSERT INTO ${s}.applied_events (event_id)
       SELECT 'member-' || m.member_id || '/' || p FROM ${s}.members m,
              generate_series(1, m.applied_position) AS p
       ON CONFLICT DO NOTHING`,
    );
    await queryRunner.query(`ALTER TABLE ${s}.members DROP COLUMN applied_position`);
  }
}
