import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, ServiceConfig } from '@jifen/platform';
import { InboundConsumer } from './inbound/inbound.consumer';
import { IngestionStats } from './inbound/ingestion-stats';
import { StatsController } from './inbound/stats.controller';
import { ingestionMigrations } from './migrations';

@Module({})
export class IngestionModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: IngestionModule,
      imports: [PlatformModule.forService(config, { migrations: ingestionMigrations })],
      controllers: [StatsController],
      providers: [InboundConsumer, IngestionStats],
      exports: [IngestionStats],
    };
  }
}
