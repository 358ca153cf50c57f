// `npm run analytics:rebuild`
// Empties analytics' read models and replays loyalty.accounts.events.v1 and
// loyalty.redemption.events.v1 from offset 0, in one transaction (a running analytics service
// waits for it, then carries on). Reads KAFKA_BROKERS, KAFKA_TOPIC_PREFIX, DATABASE_URL,
// DATABASE_SCHEMA_PREFIX and JIFEN_TIMEZONE like the service.
import { Pool } from 'pg';
import { createKafka } from '@jifen/messaging';
import { serviceConfigFromEnv } from '@jifen/platform';
import { sourceTopics } from '../apps/analytics/src/projection/projections.consumer';
import { rebuildReadModels } from '../apps/analytics/src/rebuild/rebuild';

async function main(): Promise<number> {
  const config = serviceConfigFromEnv('analytics');
  const pool = new Pool({
    connectionString: config.databaseUrl,
    options: `-c search_path=${config.schema}`,
  });
  try {
    const report = await rebuildReadModels({
      kafka: createKafka({ ...config.kafka, clientId: 'jifen-analytics-rebuild' }),
      pool,
      topics: sourceTopics(config),
      timeZone: config.timezone,
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
    console.error(`analytics:rebuild failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
