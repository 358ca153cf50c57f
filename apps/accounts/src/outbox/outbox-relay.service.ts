import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Pool } from 'pg';
import { Producer } from 'kafkajs';
import { OutboxRelay } from '@jifen/event-store';
import { createKafka } from '@jifen/messaging';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { ACCOUNTS_POOL } from '../accounts.tokens';

/**
 * Runs the outbox relay of the accounts schema: domain events to `loyalty.accounts.events.v1`,
 * follow-up commands to `loyalty.internal.commands.v1`, dead letters to the DLQ. One instance
 * across the service publishes; the others stand by.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private producer?: Producer;
  private relay?: OutboxRelay;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(ACCOUNTS_POOL) private readonly pool: Pool,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // One request in flight keeps the topic order equal to the outbox order.
    this.producer = createKafka(this.config.kafka).producer({
      allowAutoTopicCreation: false,
      maxInFlightRequests: 1,
    });
    await this.producer.connect();
    this.relay = new OutboxRelay({
      pool: this.pool,
      producer: this.producer,
      schema: this.config.schema,
      topicPrefix: this.config.kafka.topicPrefix,
      pollIntervalMs: 200,
      onError: (error) => this.logger.warn(`relay: ${(error as Error).message}`),
    });
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.producer?.disconnect();
  }
}
