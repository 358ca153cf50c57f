import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Message, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { Topics } from '@jifen/contracts';
import { Closing, poolOf, withTransaction } from '@jifen/event-store';
import {
  BatchConsumer,
  createKafka,
  groupId,
  IntakeMetrics,
  PartitionBatch,
  saveNextOffsets,
  saveTallies,
  sendInChunks,
  Tally,
  topicName,
  unappliedBatches,
} from '@jifen/messaging';
import { METRICS_REGISTRY, SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { route } from './route';

/**
 * Reads `loyalty.inbound.v1` in batches. Each message becomes a command for accounts on
 * `loyalty.internal.commands.v1` (key = member id) or a record on the DLQ. Per fetch (the
 * batches of its partitions together): publish and await the broker's acknowledgement, then
 * add the counters and the next offsets in one database transaction, then commit the Kafka
 * offsets. A crash anywhere in between re-reads
 * the batch: messages below the stored offset are skipped (counted once), and commands
 * published twice are de-duplicated by accounts on `source` + `id`.
 */
@Injectable()
export class InboundConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InboundConsumer.name);
  private consumer?: BatchConsumer;
  private producer?: Producer;
  private readonly commandsTopic: string;
  private readonly dlqTopic: string;
  private readonly metrics: IntakeMetrics;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly dataSource: DataSource,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.metrics = new IntakeMetrics(registry);
    this.commandsTopic = topicName(config.kafka, Topics.commands);
    this.dlqTopic = topicName(config.kafka, Topics.inboundDlq);
  }

  async onApplicationBootstrap(): Promise<void> {
    const kafka = createKafka(this.config.kafka);
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    this.consumer = new BatchConsumer({
      kafka,
      groupId: groupId(this.config.kafka, 'jifen-ingestion'),
      topics: [topicName(this.config.kafka, Topics.inbound)],
      handle: (batches) => this.handle(batches),
      onBatchDone: (done) => this.metrics.batchDone(done),
    });
    await this.consumer.start();
    this.logger.log('consuming inbound events');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    await this.producer?.disconnect();
  }

  private async handle(batches: PartitionBatch[]): Promise<void> {
    const pool = poolOf(this.dataSource);
    const fresh = await unappliedBatches(pool, batches);
    if (fresh.length === 0) return;

    const now = new Date().toISOString();
    const tallies = new Map<number, Tally>();
    const commands: Message[] = [];
    const deadLetters: Message[] = [];
    for (const { topic, partition, messages } of fresh) {
      const tally = new Tally();
      tallies.set(partition, tally);
      for (const message of messages) {
        const routed = route(message, topic, partition, now);
        tally.add(routed.eventType, 'received');
        if (routed.outcome === 'forwarded') {
          tally.add(routed.eventType, 'forwarded');
          commands.push({ key: routed.command.memberId, value: JSON.stringify(routed.command) });
        } else {
          tally.add(routed.eventType, `dead_lettered:${routed.reason}`);
          deadLetters.push({ key: message.key, value: JSON.stringify(routed.deadLetter) });
        }
      }
    }

    const topicMessages = [
      { topic: this.commandsTopic, messages: commands },
      { topic: this.dlqTopic, messages: deadLetters },
    ].filter((t) => t.messages.length > 0);
    await sendInChunks(this.producer!, topicMessages);

    // BEGIN, both writes and the COMMIT go out without waiting for each other.
    await withTransaction(
      pool,
      async () =>
        new Closing(undefined, (db) => [saveTallies(db, tallies), saveNextOffsets(db, fresh)]),
    );
    for (const tally of tallies.values()) this.metrics.count(tally);
  }
}
