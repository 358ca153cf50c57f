import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MigrationInterface } from 'typeorm';
import { SERVICE_CONFIG, ServiceConfig } from './config';
import { openServiceDataSource } from './schema';

/**
 * A service's database: its own schema in DATABASE_URL, migrated before the service starts.
 * Exposes TypeORM's DataSource (and repositories of `entities`) for injection.
 */
@Module({})
export class ServiceDatabaseModule {
  static forService(options: {
    migrations: Array<new () => MigrationInterface>;
    entities?: Array<new () => unknown>;
  }): DynamicModule {
    return {
      module: ServiceDatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [SERVICE_CONFIG],
          useFactory: (config: ServiceConfig) => ({
            type: 'postgres' as const,
            url: config.databaseUrl,
            schema: config.schema,
            entities: options.entities ?? [],
          }),
          dataSourceFactory: async (settings) => {
            const config = settings as unknown as { url: string; schema: string };
            return openServiceDataSource({
              url: config.url,
              schema: config.schema,
              migrations: options.migrations,
              entities: options.entities ?? [],
            });
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
