import { Consumer, ConsumerConfig, Kafka, KafkaMessage } from 'kafkajs';

export interface BatchContext {
  topic: string;
  partition: number;
}

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /**
   * Applies one batch of one partition. Offsets are committed only after it resolves, so
   * whatever it writes must be durable (and idempotent: a batch can be delivered again after a
   * crash or a rebalance) by then.
   */
  handle(messages: KafkaMessage[], context: BatchContext): Promise<void>;
  consumer?: Partial<ConsumerConfig>;
  fromBeginning?: boolean;
}

/**
 * The hot-path consumer: one `handle` call per fetched partition batch, then the batch's
 * offsets are committed. A failing `handle` is retried by kafkajs with backoff (the offsets
 * stay where they were), so a passing outage delays messages and never drops them.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private running = false;

  constructor(private readonly options: BatchConsumerOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      ...options.consumer,
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        await this.options.handle(batch.messages, {
          topic: batch.topic,
          partition: batch.partition,
        });
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary();
      },
    });
    this.running = true;
  }

  /** Stops fetching, lets the batch in hand finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.consumer.disconnect();
  }
}
