import {
  Batch,
  Consumer,
  ConsumerConfig,
  ConsumerRunConfig,
  Kafka,
  KafkaMessage,
  Logger,
} from 'kafkajs';

/** The messages of one partition in one fetch. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
}

export interface BatchContext {
  /** Keeps the group membership alive during long work; throws when a rebalance began. */
  heartbeat(): Promise<void>;
}

export interface BatchDone {
  topic: string;
  partition: number;
  size: number;
  /** Messages between the batch's end and the partition's high watermark. */
  lag: number;
  /** From kafkajs handing the batch over to its offset's commit. */
  durationMs: number;
  /** The batch's messages, whose timestamps say how long each waited in all. */
  messages: readonly KafkaMessage[];
  /** When the batch was done (epoch ms): applied, and its offset committed. */
  doneAt: number;
}

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /**
   * Applies the batches of one fetch, one per partition with messages, together (one
   * database transaction is what the services make of it). Offsets are committed only after
   * it resolves, so whatever it writes must be durable by then, and idempotent: kafkajs
   * cannot seek before the first fetch after a rebalance, so a batch can be delivered again.
   */
  handle(batches: PartitionBatch[], context: BatchContext): Promise<void>;
  consumer?: Partial<ConsumerConfig>;
  fromBeginning?: boolean;
  /** After each batch is applied and its offset committed (metrics). */
  onBatchDone?: (done: BatchDone) => void;
  /** Called when this instance (re)joins its group: partitions may have moved. */
  onGroupJoin?: () => void;
  /**
   * Partitions of a fetch handed over at the same time [12, as many as the topics have]:
   * their batches reach `handle` together.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Batches of a fetch are applied together while they hold at most this many messages in all
   * [500]; beyond, they are split into groups applied at the same time. `Infinity` when
   * transactions of one fetch would write shared rows (they could deadlock).
   */
  gatherUpTo?: number;
  /** Longest wait between attempts of a failing batch [10 s]. */
  maxBackoffMs?: number;
}

interface Waiting {
  batch: PartitionBatch;
  heartbeat: () => Promise<void>;
  isRunning: () => boolean;
  isStale: () => boolean;
  /** true once applied; false when the batch was given up (stopping, or its partition moved). */
  done: (applied: boolean) => void;
  fail: (error: unknown) => void;
}

/**
 * How long an idle fetch may wait at the broker (`maxWaitTimeInMs`) for every consumer here.
 * Stopping a kafkajs consumer waits for the fetch in flight. At kafkajs' default of 5 s, each
 * service took 5 s to stop (tulios/kafkajs#1606), and so did every reader that disconnects once
 * it has read to the end. A fetch still returns as soon as a record arrives, so this adds no
 * latency. The cost is one more fetch a second per idle consumer.
 */
export const idleFetchWaitMs = 1_000;

/**
 * The hot-path consumer. kafkajs hands the partitions of one fetch to `eachBatch` in the same
 * turn of the event loop; they are gathered and applied by one `handle` call (up to
 * `gatherUpTo` messages), so a lightly loaded platform makes one transaction per fetch instead
 * of one per partition (at 200 events/s a fetch holds a few events spread over most of the 12
 * partitions). Then each batch's offset is committed. A failing `handle` (a database or
 * broker outage) is retried in place with exponential backoff while the group membership is
 * kept alive, so consumption pauses and resumes where it was; nothing is skipped and nothing
 * is dead-lettered for it.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly logger: Logger;
  private running = false;
  private gathering: Waiting[] = [];
  /** Batches between kafkajs handing them over and their offsets being resolved. */
  private inHand = 0;
  private drained?: () => void;
  /** Commits the offsets resolved since the last commit (kafkajs commits at most once a second). */
  private commitResolved?: () => Promise<void>;
  /** Commits what the last batches resolved once traffic stops (kafkajs waits for a next batch). */
  private trailingCommit?: NodeJS.Timeout;
  /** What `run` was given, to run again after a crash kafkajs does not restart from. */
  private runConfig?: ConsumerRunConfig;
  /** Crashes since the group was last joined: the restart backoff doubles with each. */
  private crashes = 0;
  private restartTimer?: NodeJS.Timeout;

  constructor(private readonly options: BatchConsumerOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: idleFetchWaitMs,
      ...options.consumer,
    });
    this.logger = this.consumer.logger();
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.crashes = 0;
      options.onGroupJoin?.();
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.runAgain(payload.error);
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    this.running = true;
    this.runConfig = {
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 12,
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
        uncommittedOffsets,
        heartbeat,
        isRunning,
        isStale,
      }) => {
        if (batch.messages.length === 0) return;
        this.commitResolved = () => commitOffsetsIfNecessary(uncommittedOffsets());
        this.inHand++;
        try {
          await this.apply(batch, resolveOffset, commitOffsetsIfNecessary, {
            heartbeat,
            isRunning,
            isStale,
          });
        } finally {
          if (--this.inHand === 0) this.drained?.();
        }
      },
    };
    await this.consumer.run(this.runConfig);
  }

  /**
   * kafkajs restarts a crashed consumer only after errors it deems retriable. Some it does not
   * are what a broker restart brings: "failed to find the group coordinator" while the
   * coordinator loads, "not the correct coordinator" (kafkajs#1445, #1630, #1536). It then
   * leaves the consumer stopped for good, while the service looks healthy. Run it again, after
   * 1 s doubling up to `maxBackoffMs` while crashes repeat, until a join succeeds.
   */
  private runAgain(error: Error): void {
    if (!this.running || !this.runConfig) return;
    const delayMs = Math.min(this.options.maxBackoffMs ?? 10_000, 1_000 * 2 ** this.crashes++);
    this.logger.error('kafkajs stopped the consumer; running it again', {
      groupId: this.options.groupId,
      error: error.message,
      delayMs,
    });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      // A start that fails ends in another crash event, and so in another try.
      if (this.running) this.consumer.run(this.runConfig).catch((e: Error) => this.runAgain(e));
    }, delayMs);
  }

  /**
   * Stops fetching, lets the batches in hand finish, commits the offsets applied so far (a
   * restart then reads nothing again), then leaves the group.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.trailingCommit);
    clearTimeout(this.restartTimer);
    try {
      this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
    } catch {
      // Not running (between a crash and its restart): nothing is fetching to pause.
    }
    if (this.inHand > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.commitApplied();
    await this.consumer.disconnect();
  }

  /** Hands the batch to the fetch's gathering, then resolves and commits its offset. */
  private async apply(
    batch: Batch,
    resolveOffset: (offset: string) => void,
    commitOffsetsIfNecessary: () => Promise<void>,
    { heartbeat, isRunning, isStale }: Pick<Waiting, 'heartbeat' | 'isRunning' | 'isStale'>,
  ): Promise<void> {
    const started = Date.now();
    const { topic, partition, messages } = batch;
    const applied = await new Promise<boolean>((done, fail) => {
      this.gathering.push({
        batch: { topic, partition, messages },
        heartbeat,
        isRunning,
        isStale,
        done,
        fail,
      });
      // The fetch's other partitions arrive in this same turn: apply them all after it.
      if (this.gathering.length === 1) setImmediate(() => void this.applyGathered());
    });
    if (!applied) return;
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    this.commitWhenQuiet();
    const doneAt = Date.now();
    this.options.onBatchDone?.({
      topic,
      partition,
      size: messages.length,
      lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n)),
      durationMs: doneAt - started,
      messages,
      doneAt,
    });
  }

  /** Commits the resolved offsets now; a failure is not fatal (the stored offsets skip the rest). */
  private async commitApplied(): Promise<void> {
    await this.commitResolved?.().catch((error: Error) =>
      this.logger.warn('could not commit offsets', { error: error.message }),
    );
  }

  /**
   * A second after the last batch, commits what is resolved and not yet committed: kafkajs
   * commits only from a batch, so when traffic stopped the group's committed offsets (what
   * lag monitors and a restart read) trailed the applied ones until the next message came.
   */
  private commitWhenQuiet(): void {
    clearTimeout(this.trailingCommit);
    this.trailingCommit = setTimeout(() => {
      if (this.running && this.inHand === 0) void this.commitApplied();
    }, 1_000);
    this.trailingCommit.unref();
  }

  /**
   * Splits what was gathered into groups of at most `gatherUpTo` messages (a larger batch
   * alone) and applies the groups at the same time: small batches share a transaction, large
   * ones keep their own, so that one's SQL overlaps another's decoding.
   */
  private async applyGathered(): Promise<void> {
    const gathered = this.gathering;
    this.gathering = [];
    const limit = this.options.gatherUpTo ?? 500;
    const groups: Waiting[][] = [];
    let current: Waiting[] = [];
    let size = 0;
    for (const w of [...gathered].sort(
      (a, b) => a.batch.messages.length - b.batch.messages.length,
    )) {
      if (current.length > 0 && size + w.batch.messages.length > limit) {
        groups.push(current);
        current = [];
        size = 0;
      }
      current.push(w);
      size += w.batch.messages.length;
    }
    groups.push(current);
    await Promise.all(groups.map((group) => this.applyGroup(group)));
  }

  private async applyGroup(group: Waiting[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      // Given up when stopping (a failing handle would hold the stop forever) or when the
      // partition is being reassigned.
      const live = group.filter((w) => this.running && w.isRunning() && !w.isStale());
      for (const w of group) if (!live.includes(w)) w.done(false);
      group = live;
      if (group.length === 0) return;
      const heartbeat = group[0].heartbeat;
      try {
        await this.options.handle(
          group.map((w) => w.batch),
          { heartbeat },
        );
        for (const w of group) w.done(true);
        return;
      } catch (error) {
        const delay = Math.min(this.options.maxBackoffMs ?? 10_000, 200 * 2 ** attempt);
        this.logger.warn('batch failed; retrying', {
          partitions: group.map(
            (w) => `${w.batch.topic}/${w.batch.partition}@${w.batch.messages[0].offset}`,
          ),
          attempt,
          delayMs: delay,
          error: (error as Error).message,
        });
        try {
          await this.pause(
            delay,
            heartbeat,
            () => this.running && group.some((w) => w.isRunning()),
          );
        } catch (rebalancing) {
          // A rebalance began: the batches are left for the partitions' next owners.
          for (const w of group) w.fail(rebalancing);
          return;
        }
      }
    }
  }

  private async pause(
    ms: number,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && isRunning()) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, until - Date.now())));
      // Throws once a rebalance has begun.
      await heartbeat();
    }
  }
}
