import { KafkaSettings, kafkaSettingsFromEnv } from '@jifen/messaging';
import { defaultDatabaseUrl } from './database';
import { assertSchemaName } from './schema';

export type ServiceName = 'ingestion' | 'accounts' | 'redemption' | 'analytics';

const defaultPorts: Record<ServiceName, number> = {
  ingestion: 3000,
  accounts: 3001,
  redemption: 3002,
  analytics: 3003,
};

export interface ServiceConfig {
  service: ServiceName;
  databaseUrl: string;
  /** The service's own schema: `<DATABASE_SCHEMA_PREFIX><service>`. */
  schema: string;
  kafka: KafkaSettings;
  host: string;
  port: number;
}

/** Thrown at start-up with one line naming the variable and what is wrong with it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const SERVICE_CONFIG = Symbol('ServiceConfig');

export function serviceConfigFromEnv(
  service: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  const portVariable = `${service.toUpperCase()}_PORT`;
  const port = Number(env[portVariable] ?? defaultPorts[service]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${portVariable}="${env[portVariable]}" is not a TCP port (0-65535)`);
  }
  const databaseUrl = env.DATABASE_URL ?? defaultDatabaseUrl;
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  const schema = `${env.DATABASE_SCHEMA_PREFIX ?? ''}${service}`;
  try {
    assertSchemaName(schema);
  } catch (error) {
    throw new ConfigError(`DATABASE_SCHEMA_PREFIX: ${(error as Error).message}`);
  }
  return {
    service,
    databaseUrl,
    schema,
    kafka: kafkaSettingsFromEnv(`jifen-${service}`, env),
    host: env.HOST ?? '127.0.0.1',
    port,
  };
}
