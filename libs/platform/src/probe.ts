import { Client } from 'pg';
import { probeKafka } from '@jifen/messaging';
import { ConfigError } from './config-error';
import { redact } from './database';

/**
 * Start-up check that KAFKA_BROKERS and DATABASE_URL point at something that answers, so a
 * typo stops the service with one line naming the variable instead of endless retries.
 */
export async function probeDependencies(
  settings: { brokers: string[]; databaseUrl: string },
  timeoutMs = 5000,
): Promise<void> {
  await Promise.all([
    probeKafka({ brokers: settings.brokers, clientId: 'jifen-probe' }, timeoutMs).catch(
      (error: unknown) => {
        throw new ConfigError(
          `KAFKA_BROKERS="${settings.brokers.join(',')}": no broker answered within ${timeoutMs} ms (${reason(error)})`,
        );
      },
    ),
    probeDatabase(settings.databaseUrl, timeoutMs),
  ]);
}

/**
 * Connects to the server of DATABASE_URL (its `postgres` database: the service's own database
 * may not exist yet and is created afterwards).
 */
export async function probeDatabase(databaseUrl: string, timeoutMs = 5000): Promise<void> {
  const server = new URL(databaseUrl);
  server.pathname = '/postgres';
  const client = new Client({
    connectionString: server.toString(),
    connectionTimeoutMillis: timeoutMs,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new ConfigError(
      `DATABASE_URL="${redact(databaseUrl)}": the server did not accept a connection (${reason(error)})`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] || 'no reason given';
}
