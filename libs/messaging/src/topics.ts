import { Admin, ITopicConfig } from 'kafkajs';
import { Topics, TopicName } from '@jifen/contracts';
import { KafkaSettings, topicName } from './kafka';

/** How each topic of the contract is created (CONTRACT.md section 2). */
export interface TopicSpec {
  topic: TopicName;
  partitions: number;
  config?: Record<string, string>;
}

const keptForever = { 'retention.ms': '-1', 'retention.bytes': '-1' };

export const topicSpecs: TopicSpec[] = [
  { topic: Topics.inbound, partitions: 12 },
  { topic: Topics.commands, partitions: 12 },
  // Read models are rebuilt from these from offset 0, so they are never deleted.
  { topic: Topics.accountsEvents, partitions: 12, config: keptForever },
  { topic: Topics.redemptionEvents, partitions: 12, config: keptForever },
  // The DLQ carries the original message (up to 64 KiB, base64) with its diagnosis.
  {
    topic: Topics.inboundDlq,
    partitions: 3,
    config: { 'max.message.bytes': String(2 * 1024 * 1024) },
  },
  { topic: Topics.allianceInbound, partitions: 3 },
  { topic: Topics.allianceOutbound, partitions: 3 },
];

/** Creates the contract's topics that do not exist yet; existing topics are left as they are. */
export async function ensureTopics(
  admin: Admin,
  settings: Pick<KafkaSettings, 'topicPrefix' | 'replicationFactor'>,
  options: { partitions?: number } = {},
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing: ITopicConfig[] = topicSpecs
    .map((spec) => ({ ...spec, name: topicName(settings, spec.topic) }))
    .filter((spec) => !existing.has(spec.name))
    .map((spec) => ({
      topic: spec.name,
      numPartitions: options.partitions ?? spec.partitions,
      // kafkajs speaks CreateTopics up to v3, which cannot ask for the broker's default.
      replicationFactor: settings.replicationFactor,
      configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
    }));
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  return missing.map((topic) => topic.topic);
}
