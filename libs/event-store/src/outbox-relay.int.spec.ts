import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import { Topics } from '@jifen/contracts';
import { createTestContext, eventually, TestContext } from '@jifen/testing';
import { OutboxRelay, OutboxRelayOptions, relayBacklog } from './outbox-relay';
import { numbered, openTestStore, TestStore } from './test-support';
import { withTransaction } from './transaction';
import { OutboxMapper, Queryable } from './types';

interface Received {
  partition: number;
  key: string;
  eventId: string;
  /** `global-position` of an event, `outbox-position` of an outbox row. */
  position: number;
  payload: { eventId: string; streamPosition: number };
}

let ctx: TestContext;
let db: TestStore;
let consumer: Consumer;
const received: Received[] = [];
const relays: OutboxRelay[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ topics: [Topics.accountsEvents] });
  db = await openTestStore(ctx.databaseUrl, `${ctx.schemaPrefix}accounts`);
  consumer = ctx.kafka.consumer({ groupId: `${ctx.topicPrefix}relay-spec` });
  await consumer.connect();
  await consumer.subscribe({ topic: ctx.topic(Topics.accountsEvents), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      received.push({
        partition,
        key: String(message.key),
        eventId: String(message.headers?.['event-id']),
        position: Number(
          String(message.headers?.['global-position'] ?? message.headers?.['outbox-position']),
        ),
        payload: JSON.parse(String(message.value)),
      });
    },
  });
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});
afterAll(async () => {
  await consumer?.disconnect();
  await db?.close();
  await ctx?.dispose();
});

const member = () => `m-${randomUUID()}`;

/** Integration events keyed by the member id the test appended them for (metadata `key`). */
const toMessage: OutboxMapper = (event) => ({
  topic: Topics.accountsEvents,
  key: String(event.metadata.key),
  type: 'numbered.v1',
  payload: { eventId: event.id, streamPosition: event.streamPosition },
});

function startRelay(options: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  const relay = new OutboxRelay({
    pool: db.pool,
    producer: ctx.producer,
    schema: db.schema,
    topicPrefix: ctx.topicPrefix,
    batchSize: 4,
    pollIntervalMs: 250,
    lockRetryMs: 200,
    backoff: { initialMs: 50, maxMs: 500 },
    events: toMessage,
    ...options,
  });
  relays.push(relay);
  relay.start();
  return relay;
}

async function appendFor(
  db_: Queryable,
  memberId: string,
  streamId: string,
  version: number,
  count: number,
) {
  return db.store.append(db_, streamId, version, numbered(count, version + 1), {
    metadata: { key: memberId },
  });
}

/** The members' events in the relay's order: (writing transaction, global position). */
async function eventOrder(keys: string[]): Promise<number[]> {
  const { rows } = await db.pool.query<{ position: string }>(
    `SELECT global_position::text AS position FROM "${db.schema}".messages
     WHERE metadata->>'key' = ANY($1) ORDER BY transaction_id, global_position`,
    [keys],
  );
  return rows.map((row) => Number(row.position));
}

function receivedFor(keys: string[]): Received[] {
  return received.filter((message) => keys.includes(message.key));
}

it('publishes in transaction order and waits for a transaction held open, never skipping it', async () => {
  const [a, b, c] = [member(), member(), member()];
  startRelay();
  const held = await db.pool.connect();
  try {
    await held.query('BEGIN');
    await appendFor(held, a, `member-${a}`, 0, 2);
    // Committed after the held transaction began: b, c, and another stream keyed by a.
    await appendFor(db.pool, b, `member-${b}`, 0, 3);
    await appendFor(db.pool, c, `member-${c}`, 0, 3);
    await appendFor(db.pool, a, `redemption-${randomUUID()}`, 0, 1);
    await appendFor(db.pool, b, `member-${b}`, 3, 2);

    // Give the relay several polls (and the commits' NOTIFYs): none of it may go out yet.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receivedFor([a, b, c])).toEqual([]);
    await held.query('COMMIT');
  } finally {
    held.release();
  }

  const order = await eventOrder([a, b, c]);
  const messages = await eventually(() => {
    const got = receivedFor([a, b, c]);
    expect(got).toHaveLength(11);
    return got;
  });
  // Each partition received its messages in the relay's order; nothing twice, nothing missing.
  for (const partition of new Set(messages.map((m) => m.partition))) {
    const positions = messages.filter((m) => m.partition === partition).map((m) => m.position);
    expect(positions).toEqual(order.filter((position) => positions.includes(position)));
  }
  expect(new Set(messages.map((m) => m.eventId)).size).toBe(11);
  // The held transaction's events come first for its member, though others committed first.
  expect(messages.filter((m) => m.key === a).map((m) => m.payload.streamPosition)).toEqual([
    1, 2, 1,
  ]);
  expect(messages.filter((m) => m.key === b).map((m) => m.payload.streamPosition)).toEqual([
    1, 2, 3, 4, 5,
  ]);
});

it('re-publishes a batch when the relay dies between publishing and recording it', async () => {
  const memberId = member();
  let killed = 0;
  // The real producer; once Kafka has acknowledged this member's first batch, the relay's
  // database session is terminated, as when its process dies before the checkpoint update.
  const producer = new Proxy(ctx.producer, {
    get(target, property, receiver) {
      if (property !== 'sendBatch') return Reflect.get(target, property, receiver);
      return async (batch: Parameters<Producer['sendBatch']>[0]) => {
        const result = await target.sendBatch(batch);
        const ours = batch.topicMessages?.some((t) => t.messages.some((m) => m.key === memberId));
        if (ours && killed === 0) {
          killed += 1;
          await db.pool.query('SELECT pg_terminate_backend($1)', [relay.status.backendPid]);
        }
        return result;
      };
    },
  });
  await appendFor(db.pool, memberId, `member-${memberId}`, 0, 6);
  const relay = startRelay({ producer, batchSize: 4 });

  const messages = await eventually(() => {
    const got = receivedFor([memberId]);
    expect(new Set(got.map((m) => m.eventId)).size).toBe(6);
    return got;
  });
  expect(killed).toBe(1);
  expect(relay.status.lastError).toBeDefined(); // the checkpoint update failed
  // At least once: the first batch went out twice, with the same event ids.
  const positions = messages.map((m) => m.payload.streamPosition);
  expect(positions).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 5, 6]);
  const firstIds = messages.slice(0, 4).map((m) => m.eventId);
  expect(messages.slice(4, 8).map((m) => m.eventId)).toEqual(firstIds);
});

it('runs one active relay per schema; a standby takes over from the checkpoint', async () => {
  const memberId = member();
  const first = startRelay();
  const second = startRelay();
  await eventually(() =>
    expect([first.status.active, second.status.active].sort()).toEqual([false, true]),
  );
  const [active, standby] = first.status.active ? [first, second] : [second, first];

  await appendFor(db.pool, memberId, `member-${memberId}`, 0, 5);
  await eventually(() => expect(receivedFor([memberId])).toHaveLength(5));
  expect(standby.status.active).toBe(false);

  await active.stop();
  await eventually(() => expect(standby.status.active).toBe(true));
  await appendFor(db.pool, memberId, `member-${memberId}`, 5, 3);
  const messages = await eventually(() => {
    const got = receivedFor([memberId]);
    expect(got).toHaveLength(8);
    return got;
  });
  expect(messages.map((m) => m.payload.streamPosition)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
});

it('is woken by NOTIFY at commit rather than waiting for its next poll', async () => {
  const memberId = member();
  const relay = startRelay({ pollIntervalMs: 60_000 });
  await eventually(() => expect(relay.status.active).toBe(true));
  // Let it drain whatever is there and go to sleep for a minute.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  await appendFor(db.pool, memberId, `member-${memberId}`, 0, 1);
  await eventually(() => expect(receivedFor([memberId])).toHaveLength(1));
  expect(Date.now() - started).toBeLessThan(5_000);
});

it("publishes a transaction's events before its outbox rows, in transaction order", async () => {
  const memberId = member();
  const row = (n: number) => ({
    topic: Topics.accountsEvents,
    key: memberId,
    type: 'row.v1',
    payload: { eventId: `row-${memberId}-${n}`, streamPosition: -n },
  });
  // Outbox rows written before, between and after the events, in three transactions.
  await withTransaction(db.pool, async (client) => {
    await db.store.enqueue(client, [row(1)]);
    await appendFor(client, memberId, `member-${memberId}`, 0, 3);
    await db.store.enqueue(client, [row(2), row(3)]);
  });
  await db.store.enqueue(db.pool, [row(4)]);
  await appendFor(db.pool, memberId, `member-${memberId}`, 3, 2);
  // Batches of 4 end inside transactions and between the two sources.
  startRelay({ batchSize: 4 });

  const messages = await eventually(() => {
    const got = receivedFor([memberId]);
    expect(got).toHaveLength(9);
    return got;
  });
  expect(messages.map((m) => m.payload.streamPosition)).toEqual([1, 2, 3, -1, -2, -3, -4, 4, 5]);
});

it('publishes the outbox alone without a mapper, from its own checkpoint', async () => {
  const memberId = member();
  await withTransaction(db.pool, async (client) => {
    await appendFor(client, memberId, `member-${memberId}`, 0, 2);
    await db.store.enqueue(client, [
      {
        topic: Topics.accountsEvents,
        key: memberId,
        type: 'row.v1',
        payload: { eventId: `row-${memberId}`, streamPosition: 0 },
      },
    ]);
  });
  startRelay({ name: 'outbox-alone', events: undefined });
  await eventually(() => expect(receivedFor([memberId])).toHaveLength(1));
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(receivedFor([memberId]).map((m) => m.payload.eventId)).toEqual([`row-${memberId}`]);
});

it("counts what waits past a relay's checkpoint, the events only for a relay that publishes them", async () => {
  const own = await openTestStore(ctx.databaseUrl, `${ctx.schemaPrefix}backlog`);
  try {
    const memberId = member();
    const append = (version: number, count: number) =>
      own.store.append(own.pool, `member-${memberId}`, version, numbered(count, version + 1), {
        metadata: { key: memberId },
      });
    await withTransaction(own.pool, async (client) => {
      await own.store.append(client, `member-${memberId}`, 0, numbered(2, 1), {
        metadata: { key: memberId },
      });
      await own.store.enqueue(client, [
        {
          topic: Topics.accountsEvents,
          key: memberId,
          type: 'row.v1',
          payload: { eventId: `row-${memberId}`, streamPosition: 0 },
        },
      ]);
    });
    // No relay has run: every row waits, whichever relay will publish it.
    expect(await relayBacklog(own.pool, own.schema)).toBe(3);
    expect(await relayBacklog(own.pool, own.schema, { name: 'with-events' })).toBe(3);

    const alone = startRelay({ pool: own.pool, schema: own.schema, events: undefined });
    await eventually(() => expect(receivedFor([memberId])).toHaveLength(1));
    await eventually(async () => expect(await relayBacklog(own.pool, own.schema)).toBe(0));
    await alone.stop();
    const withEvents = startRelay({ pool: own.pool, schema: own.schema, name: 'with-events' });
    await eventually(() => expect(receivedFor([memberId])).toHaveLength(4));
    await eventually(async () =>
      expect(await relayBacklog(own.pool, own.schema, { name: 'with-events' })).toBe(0),
    );
    await withEvents.stop();

    await append(2, 1);
    expect(await relayBacklog(own.pool, own.schema)).toBe(0);
    expect(await relayBacklog(own.pool, own.schema, { name: 'with-events' })).toBe(1);
  } finally {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await own.close();
  }
});
