import { randomBytes } from 'node:crypto';
import { Consumer, Kafka } from 'kafkajs';
import { idleFetchWaitMs } from '@jifen/messaging';
import { eventually } from './eventually';

export interface ReadMessage {
  key: string | null;
  value: string;
  partition: number;
  offset: string;
  /** The record's headers, as text. */
  headers: Record<string, string>;
  json<T = unknown>(): T;
}

/**
 * Reads a topic from the beginning in its own consumer group and keeps every message, for
 * asserting what a service published.
 */
export class TopicReader {
  private readonly received: ReadMessage[] = [];
  private consumer?: Consumer;

  private constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
  ) {}

  static async start(kafka: Kafka, topic: string): Promise<TopicReader> {
    const reader = new TopicReader(kafka, topic);
    await reader.run();
    return reader;
  }

  get messages(): ReadMessage[] {
    return [...this.received];
  }

  /** Waits until at least `count` messages have arrived and returns them all. */
  async waitFor(count: number, timeoutMs = 20_000): Promise<ReadMessage[]> {
    return eventually(
      () => {
        if (this.received.length < count) {
          throw new Error(`${this.topic}: ${this.received.length} of ${count} messages arrived`);
        }
        return this.messages;
      },
      { timeoutMs },
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private async run(): Promise<void> {
    this.consumer = this.kafka.consumer({
      groupId: `reader-${randomBytes(4).toString('hex')}`,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: idleFetchWaitMs,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message, partition }) => {
        const value = message.value?.toString('utf8') ?? '';
        this.received.push({
          key: message.key?.toString('utf8') ?? null,
          value,
          partition,
          offset: message.offset,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, header]) => [name, String(header)]),
          ),
          json: <T>() => JSON.parse(value) as T,
        });
      },
    });
  }
}
