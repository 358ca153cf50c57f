// `npm run dlq:replay -- [--reason unknown_member,unknown_order] [--partition 0]
//   [--from-offset 10] [--to-offset 20] [--dry-run]`
// Re-publishes dead-lettered inbound messages to loyalty.inbound.v1 once their cause is fixed;
// each DLQ record at most once. Reads KAFKA_BROKERS, KAFKA_TOPIC_PREFIX, DATABASE_URL and
// DATABASE_SCHEMA_PREFIX like the services.
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { RejectionReason, RejectionReasons } from '@jifen/contracts';
import { createKafka } from '@jifen/messaging';
import { serviceConfigFromEnv } from '@jifen/platform';
import { replayDeadLetters } from '../apps/ingestion/src/dlq/replay';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      reason: { type: 'string' },
      partition: { type: 'string' },
      'from-offset': { type: 'string' },
      'to-offset': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const reasons = values.reason?.split(',').map((r) => r.trim()) as RejectionReason[] | undefined;
  const unknown = reasons?.filter((r) => !(RejectionReasons as readonly string[]).includes(r));
  if (unknown?.length) {
    console.error(
      `--reason: unknown reason ${unknown.join(', ')}; one of ${RejectionReasons.join(', ')}`,
    );
    return 2;
  }
  const config = serviceConfigFromEnv('ingestion');
  const pool = new Pool({
    connectionString: config.databaseUrl,
    options: `-c search_path=${config.schema}`,
  });
  try {
    const report = await replayDeadLetters({
      kafka: createKafka({ ...config.kafka, clientId: 'jifen-dlq-replay' }),
      pool,
      topicPrefix: config.kafka.topicPrefix,
      reasons,
      partition: values.partition === undefined ? undefined : Number(values.partition),
      fromOffset: values['from-offset'] === undefined ? undefined : BigInt(values['from-offset']),
      toOffset: values['to-offset'] === undefined ? undefined : BigInt(values['to-offset']),
      dryRun: values['dry-run'],
    });
    console.log(JSON.stringify(report));
    return 0;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`dlq:replay failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
