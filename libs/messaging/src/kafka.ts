import { Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { TopicName } from '@jifen/contracts';
import './kafkajs-idle-timer';
import './kafkajs-records';

export interface KafkaSettings {
  brokers: string[];
  /** Prefixed to every topic and consumer group, so environments can share a cluster. */
  topicPrefix: string;
  clientId: string;
  /** Replicas of each topic the platform creates: 1 for the single local broker. */
  replicationFactor: number;
}

export function kafkaSettingsFromEnv(
  clientId: string,
  env: NodeJS.ProcessEnv = process.env,
): KafkaSettings {
  const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  return {
    brokers,
    topicPrefix: env.KAFKA_TOPIC_PREFIX ?? '',
    clientId,
    replicationFactor: Number(env.KAFKA_REPLICATION_FACTOR ?? 1),
  };
}

export function topicName(settings: Pick<KafkaSettings, 'topicPrefix'>, topic: TopicName): string {
  return `${settings.topicPrefix}${topic}`;
}

export function groupId(settings: Pick<KafkaSettings, 'topicPrefix'>, group: string): string {
  return `${settings.topicPrefix}${group}`;
}

export function createKafka(settings: KafkaSettings, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    ...overrides,
  });
}
