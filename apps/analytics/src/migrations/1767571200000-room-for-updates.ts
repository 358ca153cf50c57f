import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/**
 * The read models that an accounts event updates keep 30% of each page free (fillfactor 70), so
 * that an update can put the row's new version on the same page (a HOT update): no new index
 * entry, and the old version is pruned when the page is next read, VACUUM or not. At the
 * default of 100 the inserts filled the pages, and two updates in three went to another page,
 * each adding index entries and leaving a dead row for VACUUM (BENCHMARKS.md, eighteenth
 * session). Pages written from now on get the room; existing ones as they are rewritten.
 */
export class RoomForUpdates1767571200000 implements MigrationInterface {
  name = 'RoomForUpdates1767571200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    for (const table of ['members', 'member_sales', 'rule_issuance']) {
      await queryRunner.query(`ALTER TABLE ${s}.${table} SET (fillfactor = 70)`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    for (const table of ['members', 'member_sales', 'rule_issuance']) {
      await queryRunner.query(`ALTER TABLE ${s}.${table} RESET (fillfactor)`);
    }
  }
}
