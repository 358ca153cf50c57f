import { localKafka } from './environment';

/** Stops only what the global setup started; a broker that was already running stays up. */
export default async function globalTeardown(): Promise<void> {
  const container = (globalThis as { jifenKafkaContainer?: { stop(): Promise<unknown> } })
    .jifenKafkaContainer;
  if (container) await container.stop();
  if (process.env.JIFEN_TEST_STARTED_LOCAL_KAFKA === '1') {
    await localKafka('stop');
    delete process.env.JIFEN_TEST_STARTED_LOCAL_KAFKA;
  }
}
