import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { Topics } from '@jifen/contracts';
import { eventStoreMigrations, OutboxRelay, poolOf } from '@jifen/event-store';
import { sendInChunks } from '@jifen/messaging';
import { ensureDatabase, openServiceDataSource, quoteIdent } from '@jifen/platform';

// The outbox relay alone: N outbox rows of the size of accounts' integration events, committed
// in transactions of 2,000 (as the accounts consumer writes them), published by one relay to a
// topic of 12 partitions. Beside it, in the same run, what bounds it: the same messages sent by
// a bare kafkajs producer with the relay's settings (one request in flight, acks=all, the same
// request size), and the relay's SELECT alone.
//
//   npm run bench                               # part of the whole bench
//   node dist/bench/outbox-relay.bench.js       # alone, after `npm run build`
//   BENCH_OUTBOX_ROWS=200000 ...

const rows = Number(process.env.BENCH_OUTBOX_ROWS ?? 60_000);
const perTransaction = 2_000;
const partitions = 12;
const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/jifen_bench';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** A `points.earned` integration event as accounts writes it, about 600 bytes of JSON. */
function payload(i: number) {
  const memberId = `bench-m${i % 10_000}`;
  const streamPosition = Math.floor(i / 10_000) + 1;
  return {
    memberId,
    message: {
      eventId: `member-${memberId}/${streamPosition}`,
      type: 'points.earned',
      memberId,
      occurredAt: new Date(1_780_000_000_000 + i * 1000).toISOString(),
      streamPosition,
      data: {
        lotId: `lot-${randomUUID()}`,
        points: 120 + (i % 300),
        reason: 'purchase',
        orderId: `order-${i}`,
        rule: 'base',
        multiplier: 1.2,
        expiresAt: '2028-12-31T15:59:59.999Z',
        occurredAt: new Date(1_780_000_000_000 + i * 1000).toISOString(),
        entryId: `member-${memberId}/${streamPosition}`,
        kind: 'earned',
        description: 'Points for order',
        sourceEventId: `upstream/${randomUUID()}`,
      },
    },
    streamId: `member-${memberId}`,
    streamPosition,
  };
}

async function main(): Promise<void> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const id = randomBytes(4).toString('hex');
  const schema = `bench_${id}_relay`;
  const topicPrefix = `bench-${id}.`;
  const topic = `${topicPrefix}${Topics.accountsEvents}`;
  await ensureDatabase(databaseUrl);
  const kafka = new Kafka({ clientId: `bench-${id}`, brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  const dataSource = await openServiceDataSource({
    url: databaseUrl,
    schema,
    migrations: eventStoreMigrations,
    poolSize: 4,
  });
  const pool = poolOf(dataSource);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
    for (let from = 0; from < rows; from += perTransaction) {
      const batch = Array.from({ length: Math.min(perTransaction, rows - from) }, (_, i) =>
        payload(from + i),
      );
      await db.query(
        `INSERT INTO ${quoteIdent(schema)}.outbox
           (message_id, topic, key, type, payload, headers, stream_id, stream_position)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[],
                              $6::jsonb[], $7::text[], $8::bigint[])`,
        [
          batch.map(() => randomUUID()),
          batch.map(() => Topics.accountsEvents),
          batch.map((b) => b.memberId),
          batch.map((b) => b.message.type),
          batch.map((b) => JSON.stringify(b.message)),
          batch.map(() => '{}'),
          batch.map((b) => b.streamId),
          batch.map((b) => b.streamPosition),
        ],
      );
    }
    print(
      `${rows} outbox rows in transactions of ${perTransaction}, topic of ${partitions} partitions`,
    );

    // Baseline: the SELECT the relay issues, batch by batch, with nothing published.
    let started = performance.now();
    let read = 0;
    let after = { tx: '0', position: '0' };
    for (;;) {
      const { rows: got } = await db.query<{ position: string; transaction_id: string }>(
        `SELECT o.position::text, o.transaction_id::text, o.message_id, o.topic, o.key, o.type,
                o.payload::text, o.headers, o.stream_id, o.stream_position::text
         FROM ${quoteIdent(schema)}.outbox o
         WHERE (o.transaction_id, o.position) > ($1::xid8, $2::bigint)
           AND o.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY o.transaction_id, o.position LIMIT 2000`,
        [after.tx, after.position],
      );
      if (got.length === 0) break;
      read += got.length;
      after = { tx: got[got.length - 1].transaction_id, position: got[got.length - 1].position };
    }
    const selectRate = read / ((performance.now() - started) / 1000);

    // Baseline: the same messages from a bare producer, the relay's settings, 2,000 a batch.
    const messages = Array.from({ length: rows }, (_, i) => {
      const p = payload(i);
      return {
        key: p.memberId,
        value: JSON.stringify(p.message),
        headers: {
          'event-id': randomUUID(),
          'event-type': p.message.type,
          'outbox-position': String(i + 1),
          'stream-id': p.streamId,
          'stream-position': String(p.streamPosition),
        },
      };
    });
    started = performance.now();
    for (let from = 0; from < rows; from += 2_000) {
      await sendInChunks(producer, [{ topic, messages: messages.slice(from, from + 2_000) }]);
    }
    const produceRate = rows / ((performance.now() - started) / 1000);

    // The relay.
    const relay = new OutboxRelay({
      pool,
      producer,
      schema,
      topicPrefix,
      pollIntervalMs: 200,
      batchSize: 2_000,
    });
    started = performance.now();
    relay.start();
    while (relay.status.published < rows) await new Promise((r) => setTimeout(r, 20));
    const relayRate = rows / ((performance.now() - started) / 1000);
    await relay.stop();

    const table = [
      ['outbox relay, rows/s', relayRate],
      ['baseline: bare producer, same messages and settings, messages/s', produceRate],
      ["baseline: the relay's SELECT alone, rows/s", selectRate],
    ] as const;
    for (const [what, rate] of table)
      print(`${what.padEnd(66)} ${Math.round(rate).toLocaleString('en-US').padStart(9)}`);
    print(
      `relay: rows_per_s=${Math.round(relayRate)} producer_per_s=${Math.round(produceRate)} select_per_s=${Math.round(selectRate)}`,
    );
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await db.end();
    await dataSource.destroy();
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
