import { KafkaSettings, kafkaSettingsFromEnv } from '@jifen/messaging';
import { ConfigError } from './config-error';
import { ApiKey, parseApiKeys, parsePartnerSecrets } from './credentials';
import { defaultDatabaseUrl } from './database';
import { assertSchemaName } from './schema';

export { ConfigError } from './config-error';

export type ServiceName = 'ingestion' | 'accounts' | 'redemption' | 'analytics';

export const serviceNames: ServiceName[] = ['ingestion', 'accounts', 'redemption', 'analytics'];

const defaultPorts: Record<ServiceName, number> = {
  ingestion: 3000,
  accounts: 3001,
  redemption: 3002,
  analytics: 3003,
};

export const logLevels = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface ServiceConfig {
  service: ServiceName;
  databaseUrl: string;
  /** The service's own schema: `<DATABASE_SCHEMA_PREFIX><service>`. */
  schema: string;
  kafka: KafkaSettings;
  host: string;
  port: number;
  /** From JIFEN_API_KEYS; empty means every protected endpoint answers 401. */
  apiKeys: ApiKey[];
  /** From JIFEN_PARTNER_SECRETS: partner id → HMAC secret. */
  partnerSecrets: Record<string, string>;
  /** The program's calendar (JIFEN_TIMEZONE). */
  timezone: string;
  /** A five-field cron expression in program time, or `off` (JIFEN_JOBS_SCHEDULE). */
  jobsSchedule: string;
  logLevel: LogLevel;
  /** Redemption: how long a points + cash reservation waits for payment (REDEMPTION_PAYMENT_TIMEOUT_MS). */
  paymentTimeoutMs: number;
  /** How long an HTTP call waits for a command's outcome before answering 202 (REQUEST_WAIT_MS). */
  requestWaitMs: number;
  /** Nice steps the service lowers its CPU priority by at start, 0-19 (JIFEN_NICENESS). */
  niceness: number;
}

export const SERVICE_CONFIG = Symbol('ServiceConfig');

/**
 * Reads and checks a service's configuration. Every problem is a ConfigError whose message is
 * one line naming the variable; secrets are never part of the message.
 */
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
  checkDatabaseUrl(databaseUrl);
  const schema = `${env.DATABASE_SCHEMA_PREFIX ?? ''}${service}`;
  try {
    assertSchemaName(schema);
  } catch (error) {
    throw new ConfigError(`DATABASE_SCHEMA_PREFIX: ${(error as Error).message}`);
  }
  const kafka = kafkaSettingsFromEnv(`jifen-${service}`, env);
  checkBrokers(kafka.brokers, env.KAFKA_BROKERS);
  if (!/^[A-Za-z0-9._-]*$/.test(kafka.topicPrefix)) {
    throw new ConfigError(
      `KAFKA_TOPIC_PREFIX="${kafka.topicPrefix}" may hold only letters, digits, ".", "_" and "-"`,
    );
  }
  if (!Number.isInteger(kafka.replicationFactor) || kafka.replicationFactor < 1) {
    throw new ConfigError(
      `KAFKA_REPLICATION_FACTOR="${env.KAFKA_REPLICATION_FACTOR}" is not a positive integer`,
    );
  }
  const timezone = env.JIFEN_TIMEZONE ?? 'Asia/Shanghai';
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new ConfigError(`JIFEN_TIMEZONE="${timezone}" is not an IANA time zone`);
  }
  const jobsSchedule = (env.JIFEN_JOBS_SCHEDULE ?? '30 0 * * *').trim();
  if (jobsSchedule !== 'off' && !/^\S+( \S+){4}$/.test(jobsSchedule.replace(/\s+/g, ' '))) {
    throw new ConfigError(
      `JIFEN_JOBS_SCHEDULE="${jobsSchedule}" is neither "off" nor a five-field cron expression`,
    );
  }
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!logLevels.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL="${env.LOG_LEVEL}" is not one of ${logLevels.join(', ')}`);
  }
  const paymentTimeoutMs = positiveInteger(env, 'REDEMPTION_PAYMENT_TIMEOUT_MS', 15 * 60_000);
  const requestWaitMs = positiveInteger(env, 'REQUEST_WAIT_MS', 5_000);
  const niceness = Number(env.JIFEN_NICENESS || 0);
  if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19) {
    throw new ConfigError(
      `JIFEN_NICENESS="${env.JIFEN_NICENESS}" is not a whole number from 0 to 19`,
    );
  }
  return {
    service,
    databaseUrl,
    schema,
    kafka,
    host: env.HOST ?? '127.0.0.1',
    port,
    apiKeys: parseApiKeys(env.JIFEN_API_KEYS),
    partnerSecrets: parsePartnerSecrets(env.JIFEN_PARTNER_SECRETS),
    timezone,
    jobsSchedule,
    logLevel,
    paymentTimeoutMs,
    requestWaitMs,
    niceness,
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(`${name}="${raw}" is not a positive whole number of milliseconds`);
  }
  return value;
}

export function checkDatabaseUrl(databaseUrl: string): void {
  let parsed: URL;
  try {
    parsed = new URL(databaseUrl);
  } catch {
    throw new ConfigError('DATABASE_URL is not a URL (expected postgres://user@host:port/db)');
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  if (parsed.pathname.replace(/^\//, '') === '') {
    throw new ConfigError('DATABASE_URL names no database (expected postgres://user@host:port/db)');
  }
}

export function checkBrokers(brokers: string[], raw: string | undefined): void {
  const bad = brokers.find(
    (broker) => !/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(broker),
  );
  if (brokers.length === 0 || bad !== undefined) {
    throw new ConfigError(
      `KAFKA_BROKERS="${raw ?? ''}" must be comma-separated host:port pairs` +
        (bad !== undefined ? ` ("${bad}" is not)` : ''),
    );
  }
}
