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
  const names = missing.map((topic) => topic.topic);
  if (missing.length > 0) {
    await admin.createTopics({ topics: missing, waitForLeaders: false });
    await waitForTopicLeaders(admin, names);
  }
  return names;
}

/** Errors a broker answers while new topics' partitions are still being set up. */
const notYet = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Until every partition of `topics` has a leader. kafkajs' own `waitForLeaders` waits out only
 * LEADER_NOT_AVAILABLE, but a KRaft broker busy loading many partitions (a restart with many
 * topics on disk) answered the first metadata request after the creation with
 * UNKNOWN_TOPIC_OR_PARTITION, and `npm start` failed on it (tulios/kafkajs#1222, #815).
 */
export async function waitForTopicLeaders(
  admin: Admin,
  topics: string[],
  timeoutMs = 60_000,
): Promise<void> {
  // No topics would ask for every topic's metadata.
  if (topics.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.every((topic) => topic.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (!notYet.has((error as { type?: string }).type ?? '')) throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the new topics have no leader after ${timeoutMs / 1000} s: ${topics.join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
