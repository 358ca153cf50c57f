import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { Topics } from '@jifen/contracts';
import { createTestContext, eventually, TestContext } from '@jifen/testing';
import { ExpectedVersionConflict } from './errors';
import { numbered, openTestStore, TestStore } from './test-support';
import { Closing, withTransaction } from './transaction';

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

async function conflictOf(promise: Promise<unknown>): Promise<ExpectedVersionConflict> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ExpectedVersionConflict);
  return error as ExpectedVersionConflict;
}

describe('append and read', () => {
  it('appends with positions from 1 and reads the stream back in order, with metadata', async () => {
    const { store, pool } = db;
    const id = stream();
    const first = await store.append(pool, id, 0, numbered(2), {
      metadata: { correlationId: 'c-1', ruleVersion: 3 },
    });
    await store.append(pool, id, 2, [{ ...numbered(1, 3)[0], metadata: { causationId: 'cmd-9' } }]);

    expect(first.nextExpectedVersion).toBe(2);
    const events = await store.readStream(pool, id);
    expect(events.map((e) => [e.streamPosition, e.type, e.data])).toEqual([
      [1, 'Numbered', { n: 1 }],
      [2, 'Numbered', { n: 2 }],
      [3, 'Numbered', { n: 3 }],
    ]);
    expect(events[0].metadata).toEqual({ correlationId: 'c-1', ruleVersion: 3 });
    expect(events[2].metadata).toEqual({ causationId: 'cmd-9' });
    expect(events[0].id).toBe(first.events[0].id);
    expect(events[1].globalPosition).toBeGreaterThan(events[0].globalPosition);
    expect(await store.readStream(pool, id, 3)).toHaveLength(1);
    expect(await store.streamVersion(pool, id)).toBe(3);
    expect(await store.streamVersion(pool, stream())).toBe(0);
  });

  it('appends to many streams in one statement, all or nothing', async () => {
    const { store, pool } = db;
    const [a, b, c] = [stream(), stream(), stream()];
    await store.append(pool, c, 0, numbered(1));

    const results = await store.appendMany(pool, [
      { streamId: a, expectedVersion: 0, events: numbered(2) },
      { streamId: b, expectedVersion: 0, events: numbered(1) },
    ]);
    expect(results.map((r) => [r.streamId, r.nextExpectedVersion])).toEqual([
      [a, 2],
      [b, 1],
    ]);

    const conflict = await conflictOf(
      store.appendMany(pool, [
        { streamId: a, expectedVersion: 2, events: numbered(1, 3) },
        { streamId: c, expectedVersion: 0, events: numbered(1) },
      ]),
    );
    expect(conflict.conflicts).toEqual([
      { streamId: c, expected: 0, actual: 1, reason: 'version-mismatch' },
    ]);
    expect(await store.streamVersion(pool, a)).toBe(2);
  });

  it('appends a Kafka-batch-sized set of streams in one statement', async () => {
    const { store, pool, schema } = db;
    const ids = Array.from({ length: 500 }, stream);
    const results = await withTransaction(pool, (client) =>
      store.appendMany(
        client,
        ids.map((streamId) => ({ streamId, expectedVersion: 0, events: numbered(2) })),
        { metadata: { correlationId: 'batch-1' } },
      ),
    );
    expect(results.map((r) => r.nextExpectedVersion)).toEqual(ids.map(() => 2));
    const globals = results.flatMap((r) => r.events.map((e) => e.globalPosition));
    expect(globals).toEqual([...globals].sort((x, y) => x - y)); // input order
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM "${schema}".messages
       WHERE stream_id = ANY($1) AND metadata->>'correlationId' = 'batch-1'`,
      [ids],
    );
    expect(rows[0].n).toBe(1000);
    const tails = await store.readStreams(
      pool,
      ids.slice(0, 3).map((streamId) => ({ streamId, fromPosition: 2 })),
    );
    expect([...tails.values()].map((events) => events.map((e) => e.streamPosition))).toEqual([
      [2],
      [2],
      [2],
    ]);
  });

  it('enqueues outbox rows in the caller transaction: they roll back with the events', async () => {
    const { store, pool, schema } = db;
    const id = stream();
    const outbox = (n: number) => ({
      topic: Topics.accountsEvents,
      key: id,
      type: 'numbered.v1',
      payload: { n },
    });
    await withTransaction(pool, async (client) => {
      await store.append(client, id, 0, numbered(2));
      await store.enqueue(client, [outbox(1), outbox(2)]);
    });
    await expect(
      withTransaction(pool, async (client) => {
        await store.append(client, id, 2, numbered(1, 3));
        await store.enqueue(client, [outbox(3)]);
        throw new Error('the caller fails after appending');
      }),
    ).rejects.toThrow('the caller fails');

    const { rows } = await pool.query(
      `SELECT payload FROM "${schema}".outbox WHERE key = $1 ORDER BY position`,
      [id],
    );
    expect(await store.readStream(pool, id)).toHaveLength(2);
    expect(rows).toEqual([{ payload: { n: 1 } }, { payload: { n: 2 } }]);
  });
});

describe('insertThenEnqueue', () => {
  it('enqueues only when its insert inserted a row, in one statement', async () => {
    const { store, pool, schema } = db;
    await pool.query(`CREATE TABLE IF NOT EXISTS "${schema}".requests (id text PRIMARY KEY)`);
    const id = stream();
    const entry = { topic: Topics.accountsEvents, key: id, type: 'requested', payload: { id } };
    const insert = {
      text: `INSERT INTO "${schema}".requests (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id`,
      values: [id],
    };
    expect(await store.insertThenEnqueue(pool, insert, [entry])).toEqual([{ id }]);
    // The same request again: nothing inserted, nothing enqueued.
    expect(await store.insertThenEnqueue(pool, insert, [entry])).toEqual([]);
    const { rows } = await pool.query(`SELECT payload FROM "${schema}".outbox WHERE key = $1`, [
      id,
    ]);
    expect(rows).toEqual([{ payload: { id } }]);
  });
});

describe('closing writes (sent with the COMMIT)', () => {
  it('commits them with the transaction, and a failing one rolls everything back', async () => {
    const { store, pool } = db;
    const kept = stream();
    const lost = stream();
    const value = await withTransaction(
      pool,
      async (client) => new Closing('done', () => [store.append(client, kept, 0, numbered(2))]),
    );
    expect(value).toBe('done');
    expect(await store.streamVersion(pool, kept)).toBe(2);

    await expect(
      withTransaction(pool, async (client) => {
        await store.append(client, lost, 0, numbered(1));
        return new Closing(undefined, () => [
          store.append(client, lost, 1, numbered(1, 2)),
          client.query('SELECT 1 / 0'),
          store.append(client, kept, 2, numbered(1, 3)),
        ]);
      }),
    ).rejects.toThrow('division by zero');
    // Neither the work's append nor the closing ones before or after the failure stayed.
    expect(await store.streamVersion(pool, lost)).toBe(0);
    expect(await store.streamVersion(pool, kept)).toBe(2);
    // The pool's connections are still usable.
    await withTransaction(pool, (client) => store.append(client, lost, 0, numbered(1)));
    expect(await store.streamVersion(pool, lost)).toBe(1);
  });
});

describe('expected version', () => {
  it('refuses a stale expected version without aborting the transaction', async () => {
    const { store, pool } = db;
    const id = stream();
    await store.append(pool, id, 0, numbered(2));

    await withTransaction(pool, async (client) => {
      const conflict = await conflictOf(store.append(client, id, 1, numbered(1)));
      expect(conflict).toMatchObject({ streamId: id, expected: 1, actual: 2 });
      expect(conflict.reason).toBe('version-mismatch');
      expect(conflict.transactionAborted).toBe(false);
      // The same transaction carries on with the right version.
      await store.append(client, id, 2, numbered(1, 3));
    });
    expect(await store.streamVersion(pool, id)).toBe(3);
    await conflictOf(store.append(pool, stream(), 1, numbered(1)));
  });

  it('two concurrent appenders with the same expected version: one wins, the other retries', async () => {
    const { store, pool } = db;
    const id = stream();
    await store.append(pool, id, 0, numbered(1));
    const winner = await pool.connect();
    const loser = await pool.connect();
    try {
      await winner.query('BEGIN');
      await loser.query('BEGIN');
      expect(await store.streamVersion(winner, id)).toBe(1);
      expect(await store.streamVersion(loser, id)).toBe(1);
      await store.append(winner, id, 1, [{ type: 'Won', data: {} }]);
      // Blocks on the unique index until the winner commits, then fails.
      const loserPid = (await loser.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const losing = store.append(loser, id, 1, [{ type: 'Retried', data: {} }]);
      losing.catch(() => undefined); // asserted below
      await eventually(async () => {
        const { rows } = await pool.query(
          'SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1',
          [loserPid],
        );
        expect(rows[0].wait_event_type).toBe('Lock');
      });
      await winner.query('COMMIT');
      const conflict = await conflictOf(losing);
      expect(conflict).toMatchObject({ streamId: id, expected: 1, reason: 'concurrent-append' });
      expect(conflict.transactionAborted).toBe(true);
      await loser.query('ROLLBACK');

      // The retry: re-read, decide again, append with the version it read.
      await withTransaction(pool, async (client) => {
        const version = await store.streamVersion(client, id);
        await store.append(client, id, version, [{ type: 'Retried', data: {} }]);
      });
    } finally {
      winner.release();
      loser.release();
    }
    const events = await store.readStream(pool, id);
    expect(events.map((e) => [e.streamPosition, e.type])).toEqual([
      [1, 'Numbered'],
      [2, 'Won'],
      [3, 'Retried'],
    ]);
  });

  it('many writers racing on one stream with retries lose nothing and duplicate nothing', async () => {
    const { store, pool } = db;
    const id = stream();
    const writers = 6;
    const perWriter = 8;
    let conflicts = 0;
    const appendWithRetry = async (label: string) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await withTransaction(pool, async (client: PoolClient) => {
            const version = await store.streamVersion(client, id);
            await store.append(client, id, version, [{ type: 'Written', data: { label } }]);
          });
        } catch (error) {
          if (!(error instanceof ExpectedVersionConflict) || attempt > 50) throw error;
          conflicts += 1;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
        }
      }
    };
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) await appendWithRetry(`${w}:${i}`);
      }),
    );

    const events = await store.readStream<{ type: 'Written'; data: { label: string } }>(pool, id);
    expect(events.map((e) => e.streamPosition)).toEqual(
      Array.from({ length: writers * perWriter }, (_, i) => i + 1),
    );
    expect(new Set(events.map((e) => e.data.label)).size).toBe(writers * perWriter);
    expect(conflicts).toBeGreaterThan(0);
  });

  it('refuses to extend a stream last written by a newer transaction (keeps read-all order)', async () => {
    const { store, pool } = db;
    const id = stream();
    const older = await pool.connect();
    try {
      await older.query('BEGIN');
      await older.query('SELECT pg_current_xact_id()'); // takes its transaction id now
      await store.append(pool, id, 0, numbered(1)); // a newer transaction commits first
      const conflict = await conflictOf(store.append(older, id, 1, numbered(1, 2)));
      expect(conflict).toMatchObject({ actual: 1, reason: 'newer-transaction' });
      await older.query('ROLLBACK');
    } finally {
      older.release();
    }
    // Retried in a new transaction, it goes through.
    await withTransaction(pool, (client) => db.store.append(client, id, 1, numbered(1, 2)));
    const events = await store.readStream(pool, id);
    expect(BigInt(events[1].transactionId)).toBeGreaterThan(BigInt(events[0].transactionId));
  });

  it('rejects a stream named twice in one append', async () => {
    const id = stream();
    await expect(
      db.store.appendMany(db.pool, [
        { streamId: id, expectedVersion: 0, events: numbered(1) },
        { streamId: id, expectedVersion: 1, events: numbered(1) },
      ]),
    ).rejects.toThrow('appears twice');
  });
});
