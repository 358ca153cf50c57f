import { randomUUID } from 'node:crypto';
import { Topics } from '@jifen/contracts';
import { createTestContext, TestContext } from '@jifen/testing';
import { numbered, openTestStore, TestStore } from './test-support';

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

type Numbered = { type: 'Numbered'; data: { n: number } };
interface Sum {
  total: number;
  seen: number[];
}
const folding = (snapshotSchemaVersion?: number) => ({
  initialState: (): Sum => ({ total: 0, seen: [] }),
  evolve: (state: Sum, event: Numbered): Sum => ({
    total: state.total + event.data.n,
    seen: [...state.seen, event.data.n],
  }),
  snapshotSchemaVersion,
});
const stream = () => `member-${randomUUID()}`;

it('gives the same state with or without a snapshot, reading only the events after it', async () => {
  const { store, pool } = db;
  const id = stream();
  await store.append(pool, id, 0, numbered(4));
  const atFour = await store.aggregateStream(pool, id, folding(1));
  expect(atFour).toEqual({ state: { total: 10, seen: [1, 2, 3, 4] }, version: 4, fromSnapshot: 0 });
  await store.saveSnapshot(pool, {
    streamId: id,
    streamPosition: 4,
    schemaVersion: 1,
    state: atFour.state,
  });
  await store.append(pool, id, 4, numbered(2, 5));

  const withSnapshot = await store.aggregateStream(pool, id, folding(1));
  const fromEvents = await store.aggregateStream(pool, id, folding());
  expect(withSnapshot.fromSnapshot).toBe(4);
  expect(fromEvents.fromSnapshot).toBe(0);
  expect(withSnapshot.state).toEqual(fromEvents.state);
  expect(withSnapshot.version).toBe(6);
  expect(fromEvents.state.seen).toEqual([1, 2, 3, 4, 5, 6]);
});

it('ignores a snapshot of another schema version', async () => {
  const { store, pool } = db;
  const id = stream();
  await store.append(pool, id, 0, numbered(3));
  await store.saveSnapshot(pool, {
    streamId: id,
    streamPosition: 3,
    schemaVersion: 1,
    state: { old: 'shape' },
  });
  const loaded = await store.aggregateStream(pool, id, folding(2));
  expect(loaded).toEqual({ state: { total: 6, seen: [1, 2, 3] }, version: 3, fromSnapshot: 0 });
});

it('ignores a snapshot ahead of the stream: the events are the truth', async () => {
  const { store, pool } = db;
  const id = stream();
  await store.append(pool, id, 0, numbered(2));
  await store.saveSnapshot(pool, {
    streamId: id,
    streamPosition: 9,
    schemaVersion: 1,
    state: { total: 999, seen: [] },
  });
  const loaded = await store.aggregateStream(pool, id, folding(1));
  expect(loaded).toEqual({ state: { total: 3, seen: [1, 2] }, version: 2, fromSnapshot: 0 });
});

it('never replaces a newer snapshot with an older one, and dropping them all changes nothing', async () => {
  const { store, pool, schema } = db;
  const ids = [stream(), stream()];
  for (const id of ids) await store.append(pool, id, 0, numbered(5));
  const states = await Promise.all(ids.map((id) => store.aggregateStream(pool, id, folding(1))));
  await store.saveSnapshots(
    pool,
    ids.map((id, i) => ({
      streamId: id,
      streamPosition: 5,
      schemaVersion: 1,
      state: states[i].state,
    })),
  );
  await store.saveSnapshot(pool, {
    streamId: ids[0],
    streamPosition: 2,
    schemaVersion: 1,
    state: { total: 3, seen: [1, 2] },
  });
  expect((await store.loadSnapshot(pool, ids[0], 1))?.streamPosition).toBe(5);

  await pool.query(`DELETE FROM "${schema}".snapshots`);
  for (const [i, id] of ids.entries()) {
    expect(await store.aggregateStream(pool, id, folding(1))).toEqual({
      ...states[i],
      fromSnapshot: 0,
    });
  }
});

it('aggregates many streams in one call exactly as one at a time, snapshots or not', async () => {
  const { store, pool } = db;
  const [plain, snapshotted, idle, ahead, empty] = [
    stream(),
    stream(),
    stream(),
    stream(),
    stream(),
  ];
  await store.append(pool, plain, 0, numbered(3));
  await store.append(pool, snapshotted, 0, numbered(5));
  await store.saveSnapshot(pool, {
    streamId: snapshotted,
    streamPosition: 2,
    schemaVersion: 1,
    state: { total: 3, seen: [1, 2] },
  });
  await store.append(pool, idle, 0, numbered(2));
  await store.saveSnapshot(pool, {
    streamId: idle,
    streamPosition: 2,
    schemaVersion: 1,
    state: { total: 3, seen: [1, 2] },
  });
  await store.append(pool, ahead, 0, numbered(1));
  // A snapshot saved by a transaction whose events did not commit: ahead of its stream.
  await store.saveSnapshot(pool, {
    streamId: ahead,
    streamPosition: 9,
    schemaVersion: 1,
    state: { total: 99, seen: [99] },
  });

  const ids = [plain, snapshotted, idle, ahead, empty];
  const together = await store.aggregateStreams(pool, ids, folding(1));
  for (const id of ids) {
    expect(together.get(id)).toEqual(await store.aggregateStream(pool, id, folding(1)));
  }
  expect(together.get(ahead)).toEqual({
    state: { total: 1, seen: [1] },
    version: 1,
    fromSnapshot: 0,
  });
  expect(together.get(empty)).toEqual({
    state: { total: 0, seen: [] },
    version: 0,
    fromSnapshot: 0,
  });
});
