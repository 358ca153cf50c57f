import type { Producer } from 'kafkajs';
import { createKafka, KafkaSettings } from '@jifen/messaging';
import type { OutboxMapper } from './types';

/** Where a relay's mapper lives: a module a thread can load, and the function's export name. */
export interface OutboxMapperModule {
  module: string;
  name: string;
}

/** What OutboxRelayService gives the relay's thread (`workerData`). */
export interface RelayThreadData {
  kind: 'jifen-outbox-relay';
  databaseUrl: string;
  schema: string;
  kafka: KafkaSettings;
  events?: OutboxMapperModule;
  batchSize: number;
  pollIntervalMs: number;
  /** Added to the thread's nice value (Linux), so the service's own loop comes first. */
  niceness: number;
}

/** From the service to the thread. */
export type RelayThreadCommand = { type: 'stop' };
/** From the thread to the service. */
export type RelayThreadReport = { type: 'error'; message: string } | { type: 'stopped' };

export function loadMapper(ref: OutboxMapperModule): OutboxMapper {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mapper = (require(ref.module) as Record<string, unknown>)[ref.name];
  if (typeof mapper !== 'function') {
    throw new Error(`${ref.module} has no function ${ref.name} to map the relay's events`);
  }
  return mapper as OutboxMapper;
}

/** The relay's producer: one request in flight keeps the topic order equal to the outbox order. */
export function createRelayProducer(kafka: KafkaSettings): Producer {
  return createKafka(kafka).producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
}
