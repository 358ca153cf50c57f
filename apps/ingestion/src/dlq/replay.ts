import { randomBytes } from 'node:crypto';
import { Kafka, KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import { DeadLetter, RejectionReason, Topics } from '@jifen/contracts';
import { idleFetchWaitMs, topicName } from '@jifen/messaging';

export interface ReplayOptions {
  kafka: Kafka;
  /** A pool on the database, with the ingestion schema first on its search_path. */
  pool: Pool;
  topicPrefix: string;
  /** Only records with one of these reasons (all when absent). */
  reasons?: RejectionReason[];
  /** Only records of this DLQ partition, within [fromOffset, toOffset] when given. */
  partition?: number;
  fromOffset?: bigint;
  toOffset?: bigint;
  dryRun?: boolean;
}

export interface ReplayReport {
  /** DLQ records read up to the end of the topic as it was when the replay started. */
  read: number;
  matched: number;
  /** Re-published to the inbound topic now. */
  replayed: number;
  /** Matched, but replayed by an earlier run: not published again. */
  alreadyReplayed: number;
}

/**
 * Re-publishes dead-lettered messages (their original bytes and key) to the inbound topic, for
 * when the cause has been fixed: a member enrolled late, a bug corrected. Each DLQ record is
 * replayed at most once, recorded by its partition and offset after the broker acknowledged
 * it; the inbound side de-duplicates the rare double of a crash in between on source + id.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayReport> {
  const dlqTopic = topicName(options, Topics.inboundDlq);
  const inboundTopic = topicName(options, Topics.inbound);
  const records = await readToEnd(options.kafka, dlqTopic);
  const report: ReplayReport = {
    read: records.length,
    matched: 0,
    replayed: 0,
    alreadyReplayed: 0,
  };

  const matching = records.filter(({ partition, message, record }) => {
    if (options.reasons && !options.reasons.includes(record.reason)) return false;
    if (options.partition !== undefined && partition !== options.partition) return false;
    const offset = BigInt(message.offset);
    if (options.fromOffset !== undefined && offset < options.fromOffset) return false;
    if (options.toOffset !== undefined && offset > options.toOffset) return false;
    return true;
  });
  report.matched = matching.length;
  if (matching.length === 0) return report;

  const { rows } = await options.pool.query<{ partition: number; offset: string }>(
    `SELECT partition, "offset"::text FROM dlq_replays WHERE dlq_topic = $1`,
    [dlqTopic],
  );
  const done = new Set(rows.map((row) => `${row.partition}/${row.offset}`));
  const todo = matching.filter((r) => !done.has(`${r.partition}/${r.message.offset}`));
  report.alreadyReplayed = matching.length - todo.length;
  if (options.dryRun || todo.length === 0) return report;

  const producer = options.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic: inboundTopic,
      acks: -1,
      messages: todo.map(({ record }) => ({
        key: record.key,
        value: Buffer.from(record.original, 'base64'),
        headers: { 'jifen-replayed-from': `${dlqTopic}/${record.partition}/${record.offset}` },
      })),
    });
  } finally {
    await producer.disconnect();
  }
  await options.pool.query(
    `INSERT INTO dlq_replays (dlq_topic, partition, "offset", reason)
     SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::text[]) ON CONFLICT DO NOTHING`,
    [
      dlqTopic,
      todo.map((r) => r.partition),
      todo.map((r) => r.message.offset),
      todo.map((r) => r.record.reason),
    ],
  );
  report.replayed = todo.length;
  return report;
}

interface ReadRecord {
  partition: number;
  message: KafkaMessage;
  record: DeadLetter;
}

/** Every record of `topic` up to the partition ends as they are now. */
async function readToEnd(kafka: Kafka, topic: string): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(
    ends
      .filter((end) => BigInt(end.high) > BigInt(end.low))
      .map((end) => [end.partition, BigInt(end.high)]),
  );
  const records: ReadRecord[] = [];
  if (remaining.size === 0) return records;

  const consumer = kafka.consumer({
    groupId: `jifen-dlq-replay-${randomBytes(4).toString('hex')}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: idleFetchWaitMs,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || BigInt(message.offset) >= end) return;
          // A record that is not a dead letter of ours is skipped, not fatal.
          const record = parseDeadLetter(message);
          if (record) records.push({ partition, message, record });
          if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return records.sort(
    (a, b) =>
      a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)),
  );
}

function parseDeadLetter(message: KafkaMessage): DeadLetter | undefined {
  try {
    const record = JSON.parse(message.value?.toString('utf8') ?? '') as DeadLetter;
    return typeof record.original === 'string' && typeof record.reason === 'string'
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}
