import { Client } from 'pg';
import { QueryRunner } from 'typeorm';
import { createTestContext, TestContext } from '@jifen/testing';
import { ReadModels1767398400000 } from './1767398400000-read-models';
import { AppliedPositions1767484800000 } from './1767484800000-applied-positions';

let ctx: TestContext;
let db: Client;
let schema: string;
let runner: QueryRunner;

beforeAll(async () => {
  ctx = await createTestContext({ topics: [] });
  schema = `${ctx.schemaPrefix}analytics`;
  db = new Client({ connectionString: ctx.databaseUrl });
  await db.connect();
  await db.query(`CREATE SCHEMA "${schema}"`);
  await db.query(`SET search_path TO "${schema}"`);
  // What the migrations use of TypeORM's query runner: the data source's schema and query().
  runner = {
    connection: { options: { schema } },
    query: (sql: string) => db.query(sql),
  } as unknown as QueryRunner;
  await new ReadModels1767398400000().up(runner);
});
afterAll(async () => {
  await db?.end();
  await ctx?.dispose();
});

const member = (id: string) =>
  db.query(
    `INSERT INTO members (member_id, tier, tier_position, balance, balance_position, reserved,
                          control_group, purchases, sales_minor)
     VALUES ($1, 'member', 0, 0, 0, 0, false, 0, 0)`,
    [id],
  );

it('carries the positions already applied over from the event ids, so a republished event is still skipped', async () => {
  for (const id of ['alice', 'bob/ski', 'carol']) await member(id);
  const applied = [
    'member-alice/1',
    'member-alice/3',
    'member-alice/12',
    'member-bob/ski/2',
    'redemption/r-1/redemption.confirmed',
  ];
  await db.query('INSERT INTO applied_events (event_id) SELECT unnest($1::text[])', [applied]);

  await new AppliedPositions1767484800000().up(runner);

  const { rows } = await db.query<{ member_id: string; applied_position: number }>(
    'SELECT member_id, applied_position FROM members ORDER BY member_id',
  );
  expect(rows).toEqual([
    { member_id: 'alice', applied_position: 12 },
    { member_id: 'bob/ski', applied_position: 2 },
    { member_id: 'carol', applied_position: 0 },
  ]);
  const left = await db.query<{ event_id: string }>('SELECT event_id FROM applied_events');
  expect(left.rows.map((r) => r.event_id)).toEqual(['redemption/r-1/redemption.confirmed']);

  await new AppliedPositions1767484800000().down(runner);
  const restored = await db.query<{ event_id: string }>(
    'SELECT event_id FROM applied_events ORDER BY event_id',
  );
  expect(restored.rows.map((r) => r.event_id)).toEqual([
    ...Array.from({ length: 12 }, (_, i) => `member-alice/${i + 1}`).sort(),
    'member-bob/ski/1',
    'member-bob/ski/2',
    'redemption/r-1/redemption.confirmed',
  ]);
});
