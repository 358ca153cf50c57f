import {
  DynamicModule,
  Provider,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { EventStore } from './event-store';
import { OutboxRelay } from './outbox-relay';
import { poolOf } from './pool';
import {
  createRelayProducer,
  loadMapper,
  OutboxMapperModule,
  RelayThreadCommand,
  RelayThreadData,
  RelayThreadReport,
} from './relay-thread-protocol';

/** The pg Pool under the service's TypeORM DataSource: the event store's SQL runs on it. */
export const SERVICE_POOL = Symbol('ServicePool');

/**
 * Optional: how the relay maps the store's events to Kafka messages (OutboxRelayOptions.events),
 * as an `OutboxMapperModule` (the module and export of the mapper, which the relay's thread
 * loads). A service that provides it has its events published without an outbox copy of each.
 */
export const RELAY_EVENTS = Symbol('RelayEvents');

/**
 * Runs the outbox relay of the service's schema for as long as the application runs. One
 * instance across the service publishes; the others stand by.
 *
 * In the compiled services the relay runs on a thread of its own (`relay-thread.js`, a
 * worker_thread with its own pool and producer) at a lower CPU priority: it no longer shares
 * the event loop of the service's consumer and HTTP requests, and when the cores are busy
 * the thread gives way to them, and catches up when they are not. Measured on the platform,
 * BENCHMARKS.md (ninth session). Where no compiled thread exists (the services run from
 * TypeScript under jest) it runs on the service's loop: the same OutboxRelay either way.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private producer?: Producer;
  private relay?: OutboxRelay;
  private thread?: Worker;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private readonly threadScript = path.join(__dirname, 'relay-thread.js');

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    @Optional() @Inject(RELAY_EVENTS) private readonly events?: OutboxMapperModule,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!__filename.endsWith('.ts') && fs.existsSync(this.threadScript)) {
      this.startThread();
      return;
    }
    this.producer = createRelayProducer(this.config.kafka);
    await this.producer.connect();
    this.relay = new OutboxRelay({
      pool: this.pool,
      producer: this.producer,
      schema: this.config.schema,
      events: this.events && loadMapper(this.events),
      topicPrefix: this.config.kafka.topicPrefix,
      pollIntervalMs: relayPollIntervalMs,
      batchSize: relayBatchSize,
      onError: (error) => this.logger.warn(`relay: ${(error as Error).message}`),
    });
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.thread) await this.stopThread(this.thread);
    await this.relay?.stop();
    await this.producer?.disconnect();
  }

  private startThread(): void {
    const workerData: RelayThreadData = {
      kind: 'jifen-outbox-relay',
      databaseUrl: this.config.databaseUrl,
      schema: this.config.schema,
      kafka: this.config.kafka,
      events: this.events,
      batchSize: relayBatchSize,
      pollIntervalMs: relayPollIntervalMs,
      niceness: relayThreadNiceness,
    };
    const thread = new Worker(this.threadScript, { workerData, resourceLimits: relayThreadHeap });
    this.thread = thread;
    thread.on('message', (report: RelayThreadReport) => {
      if (report.type === 'error') this.logger.warn(`relay: ${report.message}`);
    });
    thread.on('error', (error) => this.logger.error(`relay thread failed: ${error.message}`));
    // A thread that ends while the service runs (an error it could not handle) is started
    // again: the relay resumes from its checkpoint, publishing nothing twice that was marked.
    thread.on('exit', (code) => {
      if (this.stopping || this.thread !== thread) return;
      this.logger.error(`relay thread exited (code ${code}); starting it again in 1 s`);
      this.restartTimer = setTimeout(() => {
        if (!this.stopping) this.startThread();
      }, 1_000);
    });
  }

  /** Asks the thread to finish its batch and release its lock; ends it after 10 s if not. */
  private async stopThread(thread: Worker): Promise<void> {
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.postMessage({ type: 'stop' } satisfies RelayThreadCommand);
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), 10_000).unref(),
    );
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      this.logger.warn('relay thread did not stop within 10 s; terminating it');
      await thread.terminate();
    }
  }
}

/** How often the relay looks when no NOTIFY arrives. */
const relayPollIntervalMs = 200;
// Measured with the platform bench: 500 rows a round trip kept the relay near 3,700 rows/s,
// behind an accounts consumer writing over 10,000 outbox rows/s.
const relayBatchSize = 2_000;
/**
 * The relay thread's heap: a batch of 2,000 rows, mapped and encoded, is a few MiB, and the
 * thread keeps about 38 MiB alive in all (its modules, pool and producer). Without a limit its
 * V8 heap grew like the service's own (accounts' resident memory 750 MiB after a run in-loop,
 * 1,107 MiB with an unlimited thread); a thread that exceeds the limit ends and is started
 * again.
 *
 * The old generation's limit also sets how far V8 lets it grow past what is alive before the
 * next full collection: at most 1.3 times below 256 MiB, about 1.6 times at 1,024 MiB (V8's
 * heap controller). At 96 MiB the thread ran a full collection every 130-200 ms under load
 * (38 MiB alive, 8-10 MiB promoted a batch): 114 of them while accounts applied 120,000
 * purchases, against 41 at 1,024 MiB, where the heap stayed near 60 MiB. Accounts' collector
 * threads then took 55-69 µs of CPU a purchase against 89-103 (BENCHMARKS.md, eighteenth
 * session).
 */
const relayThreadHeap = { maxOldGenerationSizeMb: 1_024, maxYoungGenerationSizeMb: 16 };
/** The relay thread's nice value above the service's (Linux). */
const relayThreadNiceness = 10;

/** The service's pg pool (SERVICE_POOL) and its EventStore, for a module's providers. */
export const eventStoreProviders: Provider[] = [
  { provide: SERVICE_POOL, inject: [DataSource], useFactory: poolOf },
  {
    provide: EventStore,
    inject: [SERVICE_CONFIG],
    useFactory: (config: ServiceConfig) => new EventStore({ schema: config.schema }),
  },
];

/**
 * The event store of a service's own schema, its pg pool (SERVICE_POOL) and its outbox relay.
 * Import it in a module that also imports the service's PlatformModule (for DataSource and
 * SERVICE_CONFIG); include eventStoreMigrations in the service's migrations.
 */
@Module({})
export class EventStoreModule {
  static forService(): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [...eventStoreProviders, OutboxRelayService],
      exports: [SERVICE_POOL, EventStore],
    };
  }
}
