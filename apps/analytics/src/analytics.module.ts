import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, ServiceConfig } from '@jifen/platform';

@Module({})
export class AnalyticsModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AnalyticsModule,
      imports: [PlatformModule.forService(config, { migrations: [] })],
    };
  }
}
