import { Controller, Get, Inject } from '@nestjs/common';
import { Roles } from './auth';
import { SERVICE_CONFIG, ServiceConfig } from './config';
import { redact } from './database';

/** For operators: the configuration the service actually runs with, without any secret. */
@Controller('admin')
export class AdminConfigController {
  constructor(@Inject(SERVICE_CONFIG) private readonly config: ServiceConfig) {}

  @Roles('admin')
  @Get('config')
  effectiveConfig() {
    const { config } = this;
    return {
      service: config.service,
      host: config.host,
      port: config.port,
      databaseUrl: redact(config.databaseUrl),
      schema: config.schema,
      kafka: {
        brokers: config.kafka.brokers,
        topicPrefix: config.kafka.topicPrefix,
        clientId: config.kafka.clientId,
        replicationFactor: config.kafka.replicationFactor,
      },
      apiKeys: countBy(config.apiKeys.map((key) => key.role)),
      partners: Object.keys(config.partnerSecrets).sort(),
      timezone: config.timezone,
      jobsSchedule: config.jobsSchedule,
      logLevel: config.logLevel,
    };
  }
}

/** How many keys each role has: the keys themselves are never shown. */
function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
