import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Admin } from 'kafkajs';
import { Pool } from 'pg';
import { Topics } from '@jifen/contracts';
import { withTransaction } from '@jifen/event-store';
import { BatchConsumer, createKafka, groupId, topicName } from '@jifen/messaging';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { ANALYTICS_POOL } from '../analytics.tokens';
import { applyBatches, SourceTopic } from './projector';

/** The topics analytics projects, by the name each has under the configured prefix. */
export function sourceTopics(config: Pick<ServiceConfig, 'kafka'>): Record<string, SourceTopic> {
  return {
    [topicName(config.kafka, Topics.accountsEvents)]: 'accounts',
    [topicName(config.kafka, Topics.redemptionEvents)]: 'redemption',
  };
}

/**
 * Projects both event topics in batches, one transaction per partition batch holding the
 * read-model changes, the applied event ids and the next offset; the Kafka offset is committed
 * after it. Also answers how far behind the topics' ends the stored positions are.
 */
@Injectable()
export class ProjectionsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectionsConsumer.name);
  private consumer?: BatchConsumer;
  private admin?: Admin;
  private readonly topics: Record<string, SourceTopic>;
  private readonly startedAt = Date.now();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(ANALYTICS_POOL) private readonly pool: Pool,
  ) {
    this.topics = sourceTopics(config);
  }

  async onApplicationBootstrap(): Promise<void> {
    const kafka = createKafka(this.config.kafka);
    this.admin = kafka.admin();
    await this.admin.connect();
    this.consumer = new BatchConsumer({
      kafka,
      groupId: groupId(this.config.kafka, 'jifen-analytics'),
      topics: Object.keys(this.topics),
      handle: (batches) =>
        withTransaction(this.pool, (db) =>
          applyBatches(db, batches, (topic) => this.topics[topic], this.config.timezone),
        ).then(() => undefined),
      // The read models' rows are shared by every partition (days, rules): one transaction.
      gatherUpTo: Infinity,
      // Analysts read figures, not single events: the broker answers once 256 KiB wait or
      // after 250 ms. A lightly loaded platform otherwise made a transaction of analytics'
      // every few events, taking CPU from the path members wait on (see docs/analytics.md).
      consumer: { minBytes: 256 * 1024, maxWaitTimeInMs: 250 },
    });
    await this.consumer.start();
    this.logger.log('projecting accounts and redemption events');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    await this.admin?.disconnect();
  }

  /**
   * `events`: messages between the stored next offset and each partition's end, both topics.
   * `ms`: for the partitions behind, the longest time since the last message applied there
   * (since the consumer started, for a partition never applied) — an upper bound of how old
   * the oldest unapplied message is; 0 when caught up.
   */
  async lag(now = Date.now()): Promise<{ events: number; ms: number }> {
    const { rows } = await this.pool.query<{
      topic: string;
      partition: number;
      next_offset: string;
      last_message_at: Date | null;
    }>('SELECT topic, partition, next_offset, last_message_at FROM consumed_offsets');
    const stored = new Map(rows.map((row) => [`${row.topic}/${row.partition}`, row]));
    let events = 0;
    let ms = 0;
    for (const topic of Object.keys(this.topics)) {
      for (const end of await this.admin!.fetchTopicOffsets(topic)) {
        const row = stored.get(`${topic}/${end.partition}`);
        const next = row ? BigInt(row.next_offset) : BigInt(end.low);
        const behind = Number(BigInt(end.high) - (next > BigInt(end.low) ? next : BigInt(end.low)));
        if (behind <= 0) continue;
        events += behind;
        const since = row?.last_message_at?.getTime() ?? this.startedAt;
        ms = Math.max(ms, now - since);
      }
    }
    return { events, ms };
  }
}
