import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { KafkaMessage, Message, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { Topics } from '@jifen/contracts';
import {
  BatchConsumer,
  BatchContext,
  createKafka,
  groupId,
  IntakeMetrics,
  loadNextOffset,
  saveNextOffset,
  sendInChunks,
  Tally,
  topicName,
} from '@jifen/messaging';
import { METRICS_REGISTRY, SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { route } from './route';

/**
 * Reads `loyalty.inbound.v1` in batches. Each message becomes a command for accounts on
 * `loyalty.internal.commands.v1` (key = member id) or a record on the DLQ. Per batch: publish
 * and await the broker's acknowledgement, then add the counters and the next offset in one
 * database transaction, then commit the Kafka offset. A crash anywhere in between re-reads
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
      handle: (messages, context) => this.handle(messages, context),
      // Partitions are independent (their own members, offsets and counter rows): apply all of
      // a fetch at once (the topics have 12). Four at a time made a lightly loaded platform
      // answer in rounds: p50 publish-to-readable 290 ms at 200 events/s, 86-136 ms now.
      partitionsConsumedConcurrently: 12,
      onBatchDone: (done) => this.metrics.batchDone(done),
    });
    await this.consumer.start();
    this.logger.log('consuming inbound events');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    await this.producer?.disconnect();
  }

  private async handle(
    messages: KafkaMessage[],
    { topic, partition }: BatchContext,
  ): Promise<void> {
    const next = await loadNextOffset(this.dataSource, topic, partition);
    const fresh = messages.filter((message) => BigInt(message.offset) >= next);
    if (fresh.length === 0) return;

    const now = new Date().toISOString();
    const tally = new Tally();
    const commands: Message[] = [];
    const deadLetters: Message[] = [];
    for (const message of fresh) {
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

    const topicMessages = [
      { topic: this.commandsTopic, messages: commands },
      { topic: this.dlqTopic, messages: deadLetters },
    ].filter((t) => t.messages.length > 0);
    await sendInChunks(this.producer!, topicMessages);

    const last = BigInt(fresh[fresh.length - 1].offset);
    await this.dataSource.transaction(async (manager) => {
      await tally.saveTo(manager, partition);
      await saveNextOffset(manager, topic, partition, last + 1n);
    });
    this.metrics.count(tally);
  }
}
