import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Pool } from 'pg';
import { Topics } from '@jifen/contracts';
import { SERVICE_POOL, withTransaction } from '@jifen/event-store';
import {
  BatchConsumer,
  createKafka,
  groupId,
  PartitionBatch,
  saveNextOffsets,
  unappliedBatches,
  topicName,
} from '@jifen/messaging';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { AllianceService } from './alliance.service';

/**
 * Reads partners' settlement messages from `loyalty.alliance.inbound.v1`: one transaction per
 * batch holds the decisions, the commands and acknowledgements (outbox) and the next offset,
 * so a redelivered batch is skipped and a crash repeats nothing.
 */
@Injectable()
export class AllianceConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AllianceConsumer.name);
  private consumer?: BatchConsumer;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    private readonly alliance: AllianceService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new BatchConsumer({
      kafka: createKafka(this.config.kafka),
      groupId: groupId(this.config.kafka, 'jifen-alliance'),
      topics: [topicName(this.config.kafka, Topics.allianceInbound)],
      handle: (batches) => this.handle(batches),
      // Partners' statements are shared by every partition: one transaction.
      gatherUpTo: Infinity,
    });
    await this.consumer.start();
    this.logger.log('receiving partner settlement messages');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  private async handle(batches: PartitionBatch[]): Promise<void> {
    const now = new Date();
    await withTransaction(this.pool, async (db) => {
      const fresh = await unappliedBatches(db, batches);
      for (const { messages } of fresh) {
        for (const message of messages) await this.alliance.receive(db, message.value, now);
      }
      await saveNextOffsets(db, fresh);
    });
  }
}
