import { randomUUID } from 'node:crypto';
import { Topics } from '@jifen/contracts';
import { createTestContext, eventually, TestContext } from '@jifen/testing';
import { numbered, openTestStore, TestStore } from './test-support';
import { beforeAllEvents, GlobalCheckpoint, RecordedEvent } from './types';

// Other sessions on the same server (other spec files, other people) may hold transactions
// open too; they can only hold readers back further, so positive checks wait with eventually.
let ctx: TestContext;
let db: TestStore;

beforeAll(async () => {
  ctx = await createTestContext({ topics: [Topics.accountsEvents] });
  db = await openTestStore(ctx.databaseUrl, `${ctx.schemaPrefix}accounts`);
});
afterAll(async () => {
  await db?.close();
  await ctx?.dispose();
});

const stream = () => `member-${randomUUID()}`;

/** Everything readable after `from`, paging with `limit`. */
async function readToEnd(from: GlobalCheckpoint, limit = 100) {
  const events: RecordedEvent[] = [];
  let checkpoint = from;
  for (;;) {
    const page = await db.store.readAll(db.pool, checkpoint, limit);
    events.push(...page.events);
    checkpoint = page.checkpoint;
    if (page.events.length < limit) return { events, checkpoint };
  }
}

it('does not pass a transaction held open, and reads it once it commits', async () => {
  const { store, pool } = db;
  const { checkpoint: start } = await eventually(async () => readToEnd(beforeAllEvents));
  const held = stream();
  const later = [stream(), stream(), stream()];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await store.append(client, held, 0, numbered(1));
    for (const id of later) await store.append(pool, id, 0, numbered(2));

    // Committed after it, yet not readable while it is open: it would be passed over.
    const whileOpen = await readToEnd(start);
    expect(whileOpen.events).toEqual([]);
    expect(whileOpen.checkpoint).toEqual(start);
    expect(await store.readStream(pool, later[0])).toHaveLength(2);

    await client.query('COMMIT');
  } finally {
    client.release();
  }
  const afterCommit = await eventually(async () => {
    const read = await readToEnd(start, 2);
    expect(read.events).toHaveLength(7);
    return read;
  });
  expect(afterCommit.events.map((e) => [e.streamId, e.streamPosition])).toEqual([
    [held, 1],
    ...later.flatMap((id) => [
      [id, 1],
      [id, 2],
    ]),
  ]);
});

it('never skips a transaction with a smaller global position that commits after a bigger one', async () => {
  const { store, pool } = db;
  const { checkpoint: start } = await eventually(async () => readToEnd(beforeAllEvents));
  const [early, late] = [await pool.connect(), await pool.connect()];
  const [earlyStream, lateStream] = [stream(), stream()];
  let first: RecordedEvent[];
  let checkpoint: GlobalCheckpoint;
  try {
    await early.query('BEGIN');
    await early.query('SELECT pg_current_xact_id()'); // its transaction id comes first
    await late.query('BEGIN');
    const lateAppend = await store.append(late, lateStream, 0, numbered(1)); // smaller position
    const earlyAppend = await store.append(early, earlyStream, 0, numbered(1)); // bigger one
    expect(lateAppend.events[0].globalPosition).toBeLessThan(earlyAppend.events[0].globalPosition);
    await early.query('COMMIT');

    // A reader that kept only the last global position read would now stand past the open
    // transaction's event and never read it.
    ({ events: first, checkpoint } = await eventually(async () => {
      const read = await readToEnd(start);
      expect(read.events.map((e) => e.streamId)).toEqual([earlyStream]);
      return read;
    }));
    expect(first[0].globalPosition).toBeGreaterThan(lateAppend.events[0].globalPosition);
    await late.query('COMMIT');
  } finally {
    early.release();
    late.release();
  }
  const second = await eventually(async () => {
    const read = await readToEnd(checkpoint);
    expect(read.events).toHaveLength(1);
    return read;
  });
  expect(second.events[0].streamId).toBe(lateStream);
});

it('pages through everything exactly once, in a stable order', async () => {
  const { store, pool } = db;
  const { checkpoint: start } = await eventually(async () => readToEnd(beforeAllEvents));
  const ids = Array.from({ length: 5 }, stream);
  await store.appendMany(
    pool,
    ids.map((streamId) => ({ streamId, expectedVersion: 0, events: numbered(3) })),
  );
  for (const streamId of ids) await store.append(pool, streamId, 3, numbered(2, 4));

  const paged = await eventually(async () => {
    const read = await readToEnd(start, 4);
    expect(read.events).toHaveLength(25);
    return read;
  });
  const whole = await readToEnd(start, 1000);
  expect(paged.events.map((e) => e.id)).toEqual(whole.events.map((e) => e.id));
  for (const streamId of ids) {
    expect(
      paged.events.filter((e) => e.streamId === streamId).map((e) => e.streamPosition),
    ).toEqual([1, 2, 3, 4, 5]);
  }
});
