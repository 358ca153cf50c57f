import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { poolOf } from '@jifen/event-store';
import { PlatformModule, ServiceConfig } from '@jifen/platform';
import { ANALYTICS_POOL } from './analytics.tokens';
import { DashboardController } from './dashboard/dashboard.controller';
import { ReadModels } from './figures/read-models';
import { AnalyticsController } from './http/analytics.controller';
import { ReadModels1767398400000 } from './migrations/1767398400000-read-models';
import { AppliedPositions1767484800000 } from './migrations/1767484800000-applied-positions';
import { RoomForUpdates1767571200000 } from './migrations/1767571200000-room-for-updates';
import { ProjectionsConsumer } from './projection/projections.consumer';

export const analyticsMigrations = [
  ReadModels1767398400000,
  AppliedPositions1767484800000,
  RoomForUpdates1767571200000,
];

@Module({})
export class AnalyticsModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AnalyticsModule,
      imports: [PlatformModule.forService(config, { migrations: analyticsMigrations })],
      controllers: [AnalyticsController, DashboardController],
      providers: [
        { provide: ANALYTICS_POOL, inject: [DataSource], useFactory: poolOf },
        ReadModels,
        ProjectionsConsumer,
      ],
    };
  }
}
