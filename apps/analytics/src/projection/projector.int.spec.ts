import { KafkaMessage } from 'kafkajs';
import { Pool, PoolClient } from 'pg';
import { QueryRunner } from 'typeorm';
import { PartitionBatch } from '@jifen/messaging';
import { createTestContext, TestContext } from '@jifen/testing';
import { ReadModels1767398400000 } from '../migrations/1767398400000-read-models';
import { AppliedPositions1767484800000 } from '../migrations/1767484800000-applied-positions';
import { applyBatches } from './projector';

// applyBatches against PostgreSQL: what it skips as already applied, and two consumers that
// hold the same partition at once (a rebalance overlapping a batch in flight).

let ctx: TestContext;
let pool: Pool;

beforeAll(async () => {
  ctx = await createTestContext({ topics: [] });
  const schema = `${ctx.schemaPrefix}analytics`;
  pool = new Pool({ connectionString: ctx.databaseUrl, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  const runner = {
    connection: { options: { schema } },
    query: (sql: string) => pool.query(sql),
  } as unknown as QueryRunner;
  await new ReadModels1767398400000().up(runner);
  await new AppliedPositions1767484800000().up(runner);
});
afterAll(async () => {
  await pool?.end();
  await ctx?.dispose();
});

const earned = (memberId: string, position: number, points: number) => ({
  eventId: `member-${memberId}/${position}`,
  type: 'points.earned',
  memberId,
  streamPosition: position,
  occurredAt: '2026-11-20T10:00:00+08:00',
  data: { points, balanceAfter: points * position, ruleId: 'base' },
});

const batch = (topic: string, fromOffset: number, events: object[]): PartitionBatch => ({
  topic,
  partition: 0,
  messages: events.map(
    (event, i) =>
      ({
        offset: String(fromOffset + i),
        timestamp: String(Date.now()),
        key: null,
        value: Buffer.from(JSON.stringify(event)),
        headers: {},
        attributes: 0,
      }) as unknown as KafkaMessage,
  ),
});

async function inTransaction<T>(work: (db: PoolClient) => Promise<T>, holdMs = 0): Promise<T> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    const result = await work(db);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    await db.query('COMMIT');
    return result;
  } finally {
    db.release();
  }
}

const apply = (batches: PartitionBatch[], holdMs = 0) =>
  inTransaction((db) => applyBatches(db, batches, () => 'accounts', 'Asia/Shanghai'), holdMs);

const issued = async () =>
  Number((await pool.query('SELECT coalesce(sum(issued), 0) AS n FROM daily_flows')).rows[0].n);
const balance = async (memberId: string) =>
  (await pool.query('SELECT balance FROM members WHERE member_id = $1', [memberId])).rows[0]
    ?.balance as string | undefined;

it('applies an accounts event once: a copy at a new offset, in the same batch or a later one, is skipped', async () => {
  const topic = 'copies';
  const events = [earned('ann', 1, 10), earned('ann', 2, 10), earned('ben', 1, 7)];
  expect(await apply([batch(topic, 0, [...events, events[0]])])).toBe(3);
  // The relay published everything again, then one new event.
  expect(await apply([batch(topic, 4, [...events, earned('ann', 3, 10)])])).toBe(1);
  expect(await issued()).toBe(37);
  expect(await balance('ann')).toBe('30');
});

it('applies a partition batch once when two consumers hold the partition at the same time', async () => {
  const topic = 'overlap';
  const before = await issued();
  const same = () => [batch(topic, 0, [earned('cat', 1, 100), earned('cat', 2, 100)])];
  // The first holds its transaction open; the second starts meanwhile with the same batch.
  const first = apply(same(), 300);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const second = apply(same());
  expect(await Promise.all([first, second])).toEqual([2, 0]);
  expect((await issued()) - before).toBe(200);
  expect(await balance('cat')).toBe('200');
});
