import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { InboundCommandMessage, Topics } from '@jifen/contracts';
import {
  createMetricsRegistry,
  ensureDatabase,
  METRICS_REGISTRY,
  quoteIdent,
  ServiceConfigModule,
  ServiceDatabaseModule,
  ServiceConfig,
  serviceConfigFromEnv,
} from '@jifen/platform';
import {
  accountsMigrations,
  commandsConsumerProviders,
} from '../apps/accounts/src/accounts.module';
import { fmt } from './report';

// The accounts commands consumer alone, against commands already on the topic: N purchase
// commands over M members, applied batch by batch (decide, append, processed ids, counters,
// offsets in one transaction per batch). Beside it, in the same run, the floor of such a
// design: the minimal durable batch (processed ids + one event row per command + the offset)
// with raw pg in batches of the same size, and that minimal write one transaction per command.
//
//   npm run bench                          # 20,000 commands over 2,000 members
//   BENCH_COMMANDS=50000 BENCH_MEMBERS=5000 npm run bench

const commands = Number(process.env.BENCH_COMMANDS ?? 20_000);
const members = Number(process.env.BENCH_MEMBERS ?? 2_000);
const perCommandSample = 2_000;
const partitions = 12;
const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/jifen_bench';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

@Module({})
class ConsumerOnlyModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: ConsumerOnlyModule,
      // Configuration, the migrated schema and a metrics registry: no HTTP, no outbox relay.
      imports: [
        ServiceConfigModule.forRoot(config),
        ServiceDatabaseModule.forService({ migrations: accountsMigrations }),
      ],
      providers: [
        { provide: METRICS_REGISTRY, useFactory: () => createMetricsRegistry('accounts') },
        ...commandsConsumerProviders,
      ],
    };
  }
}

async function main(): Promise<void> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const id = randomBytes(4).toString('hex');
  const topicPrefix = `bench-${id}.`;
  const schemaPrefix = `bench_${id}_`;
  const schema = `${schemaPrefix}accounts`;
  const topic = `${topicPrefix}${Topics.commands}`;
  await ensureDatabase(databaseUrl);
  const kafka = new Kafka({ clientId: `bench-${id}`, brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
    await produce(kafka, topic);
    print(`${commands} purchase commands over ${members} members on ${partitions} partitions`);

    const consumer = await measureConsumer(db, schema, topic, {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: topicPrefix,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA_PREFIX: schemaPrefix,
      JIFEN_JOBS_SCHEDULE: 'off',
      LOG_LEVEL: 'error',
    });
    const batchSize = Math.max(1, Math.round(commands / consumer.transactions));
    const batched = await measureMinimal(db, `${schemaPrefix}floor`, commands, batchSize);
    const single = await measureMinimal(db, `${schemaPrefix}single`, perCommandSample, 1);

    const rows: Array<[string, number, number, number]> = [
      [
        'accounts consumer (decide + event store + processed ids)',
        consumer.commandsPerSecond,
        consumer.eventsPerSecond,
        batchSize,
      ],
      ['baseline: minimal durable batch, raw pg', batched, batched, batchSize],
      ['baseline: minimal write, one transaction per command', single, single, 1],
    ];
    print(
      `\n${'what'.padEnd(54)} ${'commands/s'.padStart(11)} ${'events/s'.padStart(10)} ${'batch'.padStart(6)}`,
    );
    for (const [what, c, e, b] of rows) {
      print(
        `${what.padEnd(54)} ${fmt(c).padStart(11)} ${fmt(e).padStart(10)} ${String(b).padStart(6)}`,
      );
    }
    print(
      `\nconsumer: ${consumer.events} events in ${consumer.transactions} transactions, ${(consumer.ms / 1000).toFixed(2)} s from first to last commit`,
    );
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    const { rows } = await db.query<{ nspname: string }>(
      'SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)',
      [schemaPrefix],
    );
    for (const { nspname } of rows) await db.query(`DROP SCHEMA ${quoteIdent(nspname)} CASCADE`);
    await db.end();
  }
}

/** What ingestion would have sent: `purchase.completed` as an inbound command, key = member. */
async function produce(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const start = Date.parse('2026-01-05T02:00:00Z');
  for (let from = 0; from < commands; from += 2_000) {
    const messages = [];
    for (let i = from; i < Math.min(commands, from + 2_000); i++) {
      const memberId = `bench-m-${i % members}`;
      const event = {
        specversion: '1.0' as const,
        id: `e-${i}`,
        source: 'bench/pos',
        type: 'purchase.completed' as const,
        time: new Date(start + i * 1_000).toISOString(),
        subject: memberId,
        datacontenttype: 'application/json',
        data: {
          memberId,
          orderId: `o-${i}`,
          amountMinor: 1_000 + (i % 50_000),
          currency: 'CNY',
        },
      };
      const message = {
        kind: 'inbound',
        memberId,
        event,
        origin: { original: '', key: memberId, topic: 'bench', partition: 0, offset: String(i) },
      } as unknown as InboundCommandMessage;
      messages.push({ key: memberId, value: JSON.stringify(message) });
    }
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

async function measureConsumer(
  db: Client,
  schema: string,
  topic: string,
  env: Record<string, string>,
): Promise<{
  commandsPerSecond: number;
  eventsPerSecond: number;
  events: number;
  transactions: number;
  ms: number;
}> {
  const config = serviceConfigFromEnv('accounts', { ...process.env, ...env });
  const app = await NestFactory.createApplicationContext(ConsumerOnlyModule.forRoot(config), {
    logger: ['error'],
  });
  await app.init();
  const s = quoteIdent(schema);
  const applied = async () =>
    Number(
      (
        await db.query<{ n: string }>(
          `SELECT coalesce(sum(next_offset), 0) AS n FROM ${s}.consumed_offsets WHERE topic = $1`,
          [topic],
        )
      ).rows[0].n,
    );
  const eventCount = async () =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.messages`)).rows[0].n);
  // From the first commit on: the group join and the fetch before it are not the consumer's work.
  let first: { at: number; applied: number; events: number } | undefined;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const n = await applied();
    if (Date.now() > deadline) {
      await app.close();
      throw new Error(`the consumer applied ${n} of ${commands} commands in 5 minutes`);
    }
    if (!first && n > 0) first = { at: performance.now(), applied: n, events: await eventCount() };
    if (n >= commands) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const end = performance.now();
  await app.close();
  const events = await eventCount();
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(DISTINCT transaction_id) AS n FROM ${s}.messages`,
  );
  const ms = end - first!.at;
  return {
    commandsPerSecond: ((commands - first!.applied) * 1000) / ms,
    eventsPerSecond: ((events - first!.events) * 1000) / ms,
    events,
    transactions: Number(rows[0].n),
    ms,
  };
}

/**
 * The least a batch consumer that is exactly-once in effect must write: each command's id,
 * one event row (of a purchase's size) and the partition's next offset, in one transaction per
 * `batchSize` commands. Commands per second.
 */
async function measureMinimal(
  db: Client,
  schema: string,
  count: number,
  batchSize: number,
): Promise<number> {
  const s = quoteIdent(schema);
  await db.query(`CREATE SCHEMA ${s}`);
  await db.query(`CREATE TABLE ${s}.processed (source text, id text, PRIMARY KEY (source, id))`);
  await db.query(`CREATE TABLE ${s}.messages (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id text NOT NULL, stream_position bigint NOT NULL, type text NOT NULL,
    data jsonb NOT NULL, transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    UNIQUE (stream_id, stream_position))`);
  await db.query(
    `CREATE TABLE ${s}.offsets (partition int PRIMARY KEY, next_offset bigint NOT NULL)`,
  );
  const data = JSON.stringify({
    entryId: 'bench-m-1:1',
    points: 123,
    balanceAfter: 456,
    occurredAt: '2026-01-05T02:00:00.000Z',
    ruleId: 'purchase',
    ruleVersion: 1,
    sourceEventId: 'bench/pos/e-1',
    explanation: '123 CNY × 1.0 member = 123 points',
    lots: [{ lotId: 'bench-m-1:lot:1', points: 123, expiresAt: '2028-01-05T02:00:00.000Z' }],
  });
  const started = performance.now();
  for (let from = 0; from < count; from += batchSize) {
    const ids = Array.from({ length: Math.min(batchSize, count - from) }, (_, i) => from + i);
    await db.query('BEGIN');
    await db.query(`INSERT INTO ${s}.processed (source, id) SELECT 'bench', unnest($1::text[])`, [
      ids.map((i) => `e-${i}`),
    ]);
    await db.query(
      `INSERT INTO ${s}.messages (stream_id, stream_position, type, data)
       SELECT 'member-' || (i % $2), i / $2 + 1, 'PointsEarned', $3::jsonb FROM unnest($1::int[]) AS i`,
      [ids, members, data],
    );
    await db.query(
      `INSERT INTO ${s}.offsets VALUES (0, $1)
       ON CONFLICT (partition) DO UPDATE SET next_offset = excluded.next_offset`,
      [from + ids.length],
    );
    await db.query('COMMIT');
  }
  return (count * 1000) / (performance.now() - started);
}

const print = (line: string) => process.stdout.write(`${line}\n`);

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
