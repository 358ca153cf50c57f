// Relative, not @jifen/platform: jest loads global setup without its moduleNameMapper.
import { ensureDatabase } from '../../platform/src/database';
import { runLocalBroker } from '../../messaging/src/local-broker';
import { brokerAnswers, testDatabaseUrl } from './environment';

const defaultBroker = '127.0.0.1:9092';

/**
 * Once per `jest` run that includes integration tests: make sure one Kafka broker and one
 * database server are there. The broker comes from, in order: KAFKA_BROKERS; Testcontainers
 * when KAFKA_MODE=testcontainers (needs a Docker engine); a broker already answering on
 * 127.0.0.1:9092; or the local broker of deploy/kafka-local, started here and stopped by the
 * global teardown. What it finds is handed to the test workers through process.env, which they
 * inherit.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TEST_DATABASE_URL = testDatabaseUrl();
  await ensureDatabase(process.env.TEST_DATABASE_URL);

  if (process.env.KAFKA_BROKERS) return;
  if (process.env.KAFKA_MODE === 'testcontainers') {
    process.env.KAFKA_BROKERS = await startTestcontainersKafka();
    return;
  }
  if (!(await brokerAnswers(defaultBroker))) {
    runLocalBroker('start');
    process.env.JIFEN_TEST_STARTED_LOCAL_KAFKA = '1';
  }
  process.env.KAFKA_BROKERS = defaultBroker;
}

async function startTestcontainersKafka(): Promise<string> {
  // Loaded only on this path: it needs a Docker engine, which the CI machines here lack.
  // @testcontainers/kafka 11 runs Confluent's image; 8.x is Apache Kafka 4 in KRaft mode.
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer('confluentinc/cp-kafka:8.1.0').start();
  (globalThis as { jifenKafkaContainer?: unknown }).jifenKafkaContainer = container;
  return `${container.getHost()}:${container.getMappedPort(9093)}`;
}
