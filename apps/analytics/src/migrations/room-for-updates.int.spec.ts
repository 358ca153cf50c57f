import { Client } from 'pg';
import { QueryRunner } from 'typeorm';
import { createTestContext, TestContext } from '@jifen/testing';
import { ReadModels1767398400000 } from './1767398400000-read-models';
import { AppliedPositions1767484800000 } from './1767484800000-applied-positions';
import { RoomForUpdates1767571200000 } from './1767571200000-room-for-updates';

// The projection upserts a member's row for every accounts event, a few members per
// transaction. With room left on each page, those updates stay on the row's page (HOT): no new
// index entry and no dead row left for VACUUM.
let ctx: TestContext;
let db: Client;

beforeAll(async () => {
  ctx = await createTestContext({ topics: [] });
  const schema = `${ctx.schemaPrefix}analytics`;
  db = new Client({ connectionString: ctx.databaseUrl });
  await db.connect();
  await db.query(`CREATE SCHEMA "${schema}"`);
  await db.query(`SET search_path TO "${schema}"`);
  const runner = {
    connection: { options: { schema } },
    query: (sql: string) => db.query(sql),
  } as unknown as QueryRunner;
  for (const migration of [
    new ReadModels1767398400000(),
    new AppliedPositions1767484800000(),
    new RoomForUpdates1767571200000(),
  ]) {
    await migration.up(runner);
  }
});
afterAll(async () => {
  await db?.end();
  await ctx?.dispose();
});

it("updates a member's row on its own page while other transactions still see the old one", async () => {
  // A transaction of another service that is still open: row versions it could see cannot be
  // pruned, so an update needs free room on the page to stay there (HOT).
  const reader = new Client({ connectionString: ctx.databaseUrl });
  await reader.connect();
  await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await reader.query('SELECT 1 FROM pg_class LIMIT 1');
  // The backend's counts not yet reported, read around a statement: its own updates.
  const counts = async () => {
    const { rows } = await db.query<{ updated: string; hot: string }>(
      `SELECT pg_stat_get_xact_tuples_updated('members'::regclass) AS updated,
              pg_stat_get_xact_tuples_hot_updated('members'::regclass) AS hot`,
    );
    return { updated: Number(rows[0].updated), hot: Number(rows[0].hot) };
  };
  let updated = 0;
  let hot = 0;
  try {
    // As the projection's batches go: each transaction enrols 20 new members and updates the
    // 20 that enrolled in the one before (their first purchase).
    const ids = (round: number) => Array.from({ length: 20 }, (_, i) => `m${round}-${i}`);
    for (let round = 0; round < 100; round++) {
      await db.query('BEGIN');
      await db.query(
        `INSERT INTO members (member_id, tier, tier_position, balance, balance_position,
                              reserved, control_group, purchases, sales_minor)
         SELECT id, 'member', 0, 0, 0, 0, false, 0, 0 FROM unnest($1::text[]) AS id`,
        [ids(round)],
      );
      const before = await counts();
      await db.query(
        `UPDATE members SET balance = balance + 100, purchases = purchases + 1
         WHERE member_id = ANY($1::text[])`,
        [ids(round - 1)],
      );
      const after = await counts();
      await db.query('COMMIT');
      updated += after.updated - before.updated;
      hot += after.hot - before.hot;
    }
  } finally {
    await reader.end();
  }
  expect(updated).toBe(99 * 20);
  // 0.80 measured with the room, 0.20 without.
  expect(hot / updated).toBeGreaterThan(0.6);
});
