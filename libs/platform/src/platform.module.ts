import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { MigrationInterface } from 'typeorm';
import { AdminConfigController } from './admin-config.controller';
import { ApiKeyGuard } from './auth';
import { ServiceConfig } from './config';
import { ServiceConfigModule } from './config.module';
import { ServiceDatabaseModule } from './database.module';
import { PlatformExceptionFilter, platformValidationPipe } from './errors';
import { HealthController, HealthService } from './health';
import { createMetricsRegistry, METRICS_REGISTRY, MetricsController } from './metrics';

/**
 * What every service has: its validated configuration, its database schema (migrated), the
 * API-key guard on every route, validation and the one exception filter, `/health`,
 * `/metrics` and `/admin/config`. A service module imports `PlatformModule.forService(...)`
 * and adds only its own features.
 */
@Global()
@Module({})
export class PlatformModule {
  static forService(
    config: ServiceConfig,
    database: {
      migrations: Array<new () => MigrationInterface>;
      entities?: Array<new () => unknown>;
    },
  ): DynamicModule {
    return {
      module: PlatformModule,
      imports: [ServiceConfigModule.forRoot(config), ServiceDatabaseModule.forService(database)],
      controllers: [HealthController, MetricsController, AdminConfigController],
      providers: [
        HealthService,
        { provide: METRICS_REGISTRY, useFactory: () => createMetricsRegistry(config.service) },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: PlatformExceptionFilter },
        { provide: APP_PIPE, useFactory: platformValidationPipe },
      ],
      exports: [HealthService, METRICS_REGISTRY, ServiceDatabaseModule],
    };
  }
}
