import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { KafkaMessage } from 'kafkajs';
import { Topics } from '@jifen/contracts';
import { BatchConsumer, createKafka, groupId, topicName } from '@jifen/messaging';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { Inbox, InboxEntry } from './inbox';

/**
 * Reads `loyalty.inbound.v1` in batches and records each CloudEvent once by `source` + `id`.
 * Validation, commands and dead-lettering build on this (issue 4).
 */
@Injectable()
export class InboundConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InboundConsumer.name);
  private consumer?: BatchConsumer;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly inbox: Inbox,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new BatchConsumer({
      kafka: createKafka(this.config.kafka),
      groupId: groupId(this.config.kafka, 'jifen-ingestion'),
      topics: [topicName(this.config.kafka, Topics.inbound)],
      handle: async (messages) => {
        await this.inbox.record(messages.flatMap(toInboxEntry));
      },
    });
    await this.consumer.start();
    this.logger.log('consuming inbound events');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }
}

function toInboxEntry(message: KafkaMessage): InboxEntry[] {
  try {
    const event = JSON.parse(message.value?.toString('utf8') ?? '') as Record<string, unknown>;
    const { source, id, type } = event;
    if (typeof source === 'string' && typeof id === 'string' && typeof type === 'string') {
      return [{ source, eventId: id, type }];
    }
  } catch {
    // Not JSON: the dead-letter path of issue 4 takes these.
  }
  return [];
}
