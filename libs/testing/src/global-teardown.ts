// Relative, not @jifen/messaging: jest loads global teardown without its moduleNameMapper.
import { runLocalBroker } from '../../messaging/src/local-broker';

/** Stops only what the global setup started; a broker that was already running stays up. */
export default async function globalTeardown(): Promise<void> {
  const container = (globalThis as { jifenKafkaContainer?: { stop(): Promise<unknown> } })
    .jifenKafkaContainer;
  if (container) await container.stop();
  if (process.env.JIFEN_TEST_STARTED_LOCAL_KAFKA === '1') {
    runLocalBroker('stop');
    delete process.env.JIFEN_TEST_STARTED_LOCAL_KAFKA;
  }
}
