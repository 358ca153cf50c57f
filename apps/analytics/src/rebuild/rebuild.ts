import { randomBytes } from 'node:crypto';
import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { withTransaction } from '@jifen/event-store';
import { idleFetchWaitMs } from '@jifen/messaging';
import { readModelTables } from '../migrations/1767398400000-read-models';
import { applyBatches, SourceTopic } from '../projection/projector';

export interface RebuildOptions {
  kafka: Kafka;
  /** search_path = analytics' schema. */
  pool: Pool;
  /** Topic name (with its prefix) → what it carries: `sourceTopics(config)`. */
  topics: Record<string, SourceTopic>;
  timeZone: string;
}

export interface RebuildReport {
  /** Messages read per topic, from offset 0 to the end found at the start. */
  messages: Record<string, number>;
  /** Events applied (after de-duplication on event id). */
  applied: number;
  durationMs: number;
}

/**
 * Empties every read model and replays both topics from offset 0, all in one transaction:
 * TRUNCATE locks the tables, so a running service's projection waits (its batches then find
 * the positions the rebuild stored and skip what it applied) and queries wait for the rebuilt
 * figures instead of reading a half-filled model. The topics are kept forever, so the replay
 * sees every event ever published.
 */
export async function rebuildReadModels(options: RebuildOptions): Promise<RebuildReport> {
  const started = Date.now();
  return withTransaction(options.pool, async (db) => {
    await db.query(`TRUNCATE ${readModelTables.join(', ')}`);
    const admin = options.kafka.admin();
    await admin.connect();
    const ends = new Map<string, bigint>();
    try {
      for (const topic of Object.keys(options.topics)) {
        for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
          if (high !== '0') ends.set(`${topic}/${partition}`, BigInt(high));
        }
      }
    } finally {
      await admin.disconnect();
    }
    const messages: Record<string, number> = Object.fromEntries(
      Object.keys(options.topics).map((t) => [t, 0]),
    );
    let applied = 0;
    // The transaction's one connection takes one statement at a time: batches apply in turn.
    let previous: Promise<unknown> = Promise.resolve();
    const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
      const next = previous.then(work);
      previous = next.catch(() => undefined);
      return next;
    };
    if (ends.size > 0) {
      const consumer = options.kafka.consumer({
        groupId: `jifen-analytics-rebuild-${randomBytes(4).toString('hex')}`,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: idleFetchWaitMs,
      });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: Object.keys(options.topics), fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          consumer
            .run({
              autoCommit: false,
              // One partition batch at a time, on the one transaction's connection.
              partitionsConsumedConcurrently: 1,
              eachBatch: async ({ batch }) => {
                const key = `${batch.topic}/${batch.partition}`;
                const end = ends.get(key);
                if (end === undefined) return;
                const upToEnd = batch.messages.filter((m) => BigInt(m.offset) < end);
                if (upToEnd.length > 0) {
                  messages[batch.topic] += upToEnd.length;
                  applied += await inTurn(() =>
                    applyBatches(
                      db,
                      [{ topic: batch.topic, partition: batch.partition, messages: upToEnd }],
                      (topic) => options.topics[topic],
                      options.timeZone,
                      // The TRUNCATE holds every read-model table: no other batch can interleave.
                      false,
                    ),
                  );
                }
                if (BigInt(batch.lastOffset()) + 1n >= end) {
                  ends.delete(key);
                  if (ends.size === 0) resolve();
                }
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
      }
    }
    return { messages, applied, durationMs: Date.now() - started };
  });
}
