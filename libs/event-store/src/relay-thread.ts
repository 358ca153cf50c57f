// The outbox relay on a thread of its own (a worker_thread of the service's process), started
// by OutboxRelayService in the compiled services. Its own event loop, pg pool and Kafka
// producer; the same OutboxRelay. It tells the service of its errors and when it has stopped.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority, servicePoolSettings } from '@jifen/platform';
import { Pool } from 'pg';
import { connectUntilStopped } from './connect-until-stopped';
import { OutboxRelay } from './outbox-relay';
import {
  createRelayProducer,
  loadMapper,
  RelayThreadCommand,
  RelayThreadData,
  RelayThreadReport,
} from './relay-thread-protocol';

async function main(data: RelayThreadData): Promise<void> {
  const report = (message: RelayThreadReport) => parentPort!.postMessage(message);
  lowerThreadPriority(data.niceness);
  const pool = new Pool({
    connectionString: data.databaseUrl,
    // The relay holds one connection for its lock and LISTEN and reads on it; a second one
    // is for what it asks besides. Otherwise as every connection of the service.
    ...servicePoolSettings(data.schema, 2, 'relay'),
  } as ConstructorParameters<typeof Pool>[0]);
  pool.on('error', () => undefined);
  const producer = createRelayProducer(data.kafka);
  // Started once the producer is connected.
  const relay = new OutboxRelay({
    pool,
    producer,
    schema: data.schema,
    events: data.events && loadMapper(data.events),
    topicPrefix: data.kafka.topicPrefix,
    pollIntervalMs: data.pollIntervalMs,
    batchSize: data.batchSize,
    onError: (error) => report({ type: 'error', message: (error as Error).message }),
  });
  let stopping = false;
  // The broker may not answer yet: try again, as the relay does after its own errors.
  const connection = connectUntilStopped(
    () => producer.connect(),
    (error) => report({ type: 'error', message: `connecting the producer: ${error.message}` }),
  );
  parentPort!.on('message', (command: RelayThreadCommand) => {
    if (command.type !== 'stop' || stopping) return;
    stopping = true;
    connection.stop();
    void (async () => {
      // A connection under way is let finish first: disconnected before it completes, the
      // producer would connect afterwards and keep the thread alive until it is terminated.
      await connection.done;
      await relay.stop();
      await producer.disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
      report({ type: 'stopped' });
      parentPort!.close();
    })();
  });
  if ((await connection.done) && !stopping) relay.start();
}

if (!isMainThread && (workerData as Partial<RelayThreadData>)?.kind === 'jifen-outbox-relay') {
  void main(workerData as RelayThreadData);
}
