import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/**
 * `member_balances`, updated by every accounts event that moves a balance, keeps 30% of each
 * page free (fillfactor 70), so that an update can put the row's new version on the same page
 * (a HOT update): no new index entry, and the old version is pruned when the page is next
 * read, VACUUM or not. At the default of 100 more than half the updates went to another page
 * (BENCHMARKS.md, eighteenth session). Pages written from now on get the room.
 */
export class RoomForUpdates1767571200000 implements MigrationInterface {
  name = 'RoomForUpdates1767571200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.member_balances SET (fillfactor = 70)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.member_balances RESET (fillfactor)`);
  }
}
