import { randomBytes } from 'node:crypto';
import { Admin, Kafka, logLevel, Producer } from 'kafkajs';
import { Client } from 'pg';
import { Topics, TopicName } from '@jifen/contracts';
import { waitForTopicLeaders } from '@jifen/messaging';
import { quoteIdent } from '@jifen/platform';
import { testDatabaseUrl } from './environment';

/**
 * What one integration spec file gets for itself: a topic prefix and a schema prefix no other
 * file uses, the contract's topics created under that prefix with a few partitions, and a
 * producer. `dispose()` deletes the topics and drops the schemas.
 */
export interface TestContext {
  /** e.g. `t-3f9a1c2b.`: prefixed to every topic and consumer group of this file. */
  readonly topicPrefix: string;
  /** e.g. `t_3f9a1c2b_`: prefixed to every schema this file's services create. */
  readonly schemaPrefix: string;
  readonly brokers: string[];
  readonly databaseUrl: string;
  readonly kafka: Kafka;
  readonly producer: Producer;
  topic(name: TopicName): string;
  /** The environment a service under test reads: brokers, prefix, database. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  dispose(): Promise<void>;
}

export interface TestContextOptions {
  /** Partitions per test topic (2–3 keeps ordering bugs visible and topics cheap). */
  partitions?: number;
  topics?: TopicName[];
}

export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const databaseUrl = testDatabaseUrl();
  const id = randomBytes(4).toString('hex');
  const topicPrefix = `t-${id}.`;
  const schemaPrefix = `t_${id}_`;
  const kafka = new Kafka({ clientId: `test-${id}`, brokers, logLevel: logLevel.WARN });
  const topics = (options.topics ?? Object.values(Topics)).map((t) => `${topicPrefix}${t}`);

  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: false,
    topics: topics.map((topic) => ({
      topic,
      numPartitions: options.partitions ?? 3,
      replicationFactor: 1,
    })),
  });
  // As `npm start` waits (libs/messaging/src/topics.ts): kafkajs' own wait gives up on a busy
  // broker's UNKNOWN_TOPIC_OR_PARTITION.
  await waitForTopicLeaders(admin, topics);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();

  return {
    topicPrefix,
    schemaPrefix,
    brokers,
    databaseUrl,
    kafka,
    producer,
    topic: (name) => `${topicPrefix}${name}`,
    env: (extra = {}) => ({
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: topicPrefix,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA_PREFIX: schemaPrefix,
      ...extra,
    }),
    async dispose() {
      await producer.disconnect();
      await deleteTopics(admin, topics);
      await admin.disconnect();
      await dropSchemas(databaseUrl, schemaPrefix);
    },
  };
}

async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const ours = topics.filter((topic) => existing.has(topic));
  if (ours.length > 0) await admin.deleteTopics({ topics: ours });
}

async function dropSchemas(url: string, prefix: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      'SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)',
      [prefix],
    );
    for (const { nspname } of rows) {
      await client.query(`DROP SCHEMA ${quoteIdent(nspname)} CASCADE`);
    }
  } finally {
    await client.end();
  }
}
