import { Consumer, ConsumerConfig, Kafka, KafkaMessage, Logger } from 'kafkajs';

export interface BatchContext {
  topic: string;
  partition: number;
  /** Keeps the group membership alive during long work; throws when a rebalance began. */
  heartbeat(): Promise<void>;
}

export interface BatchDone {
  topic: string;
  partition: number;
  size: number;
  /** Messages between the batch's end and the partition's high watermark. */
  lag: number;
  durationMs: number;
}

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /**
   * Applies one batch of one partition. Offsets are committed only after it resolves, so
   * whatever it writes must be durable by then, and idempotent: kafkajs cannot seek before
   * the first fetch after a rebalance, so a batch can be delivered again.
   */
  handle(messages: KafkaMessage[], context: BatchContext): Promise<void>;
  consumer?: Partial<ConsumerConfig>;
  fromBeginning?: boolean;
  /** After each batch is applied and its offset committed (metrics). */
  onBatchDone?: (done: BatchDone) => void;
  /** Called when this instance (re)joins its group: partitions may have moved. */
  onGroupJoin?: () => void;
  /**
   * Partitions applied at the same time [1]. A batch mostly waits on the database, so more
   * pays when batches of different partitions write different rows (members); rows they share
   * (counters) must be written in one order, or their transactions deadlock.
   */
  partitionsConsumedConcurrently?: number;
  /** Longest wait between attempts of a failing batch [10 s]. */
  maxBackoffMs?: number;
}

/**
 * The hot-path consumer: one `handle` call per fetched partition batch, then the batch's
 * offsets are committed. A failing `handle` (a database or broker outage) is retried in
 * place with exponential backoff while the group membership is kept alive, so consumption
 * pauses and resumes where it was; nothing is skipped and nothing is dead-lettered for it.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly logger: Logger;
  private running = false;

  constructor(private readonly options: BatchConsumerOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      ...options.consumer,
    });
    this.logger = this.consumer.logger();
    if (options.onGroupJoin) this.consumer.on(this.consumer.events.GROUP_JOIN, options.onGroupJoin);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    this.running = true;
    await this.consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      autoCommit: false,
      // Our `commitOffsetsIfNecessary()` after each batch commits the group's offsets at most
      // once a second. Without an interval it never committed (kafkajs has no default here),
      // so every restart fetched the topic from its beginning only to skip what the stored
      // offsets said was applied.
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      eachBatch: async ({
        batch,
        resolveOffset,
        commitOffsetsIfNecessary,
        heartbeat,
        isRunning,
        isStale,
      }) => {
        if (batch.messages.length === 0) return;
        const context = { topic: batch.topic, partition: batch.partition, heartbeat };
        const started = Date.now();
        for (let attempt = 0; ; attempt++) {
          if (!isRunning() || isStale()) return;
          try {
            await this.options.handle(batch.messages, context);
            break;
          } catch (error) {
            const delay = Math.min(this.options.maxBackoffMs ?? 10_000, 200 * 2 ** attempt);
            this.logger.warn('batch failed; retrying', {
              topic: batch.topic,
              partition: batch.partition,
              offset: batch.firstOffset(),
              attempt,
              delayMs: delay,
              error: (error as Error).message,
            });
            await this.pause(delay, heartbeat, isRunning);
          }
        }
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary();
        this.options.onBatchDone?.({
          topic: batch.topic,
          partition: batch.partition,
          size: batch.messages.length,
          lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n)),
          durationMs: Date.now() - started,
        });
      },
    });
  }

  /** Stops fetching, lets the batch in hand finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.consumer.disconnect();
  }

  private async pause(
    ms: number,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && isRunning()) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, until - Date.now())));
      // Throws once a rebalance has begun: the batch is then left for the partition's next owner.
      await heartbeat();
    }
  }
}
