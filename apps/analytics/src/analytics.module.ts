import { DynamicModule, Module } from '@nestjs/common';
import { ServiceConfig, ServiceConfigModule, ServiceDatabaseModule } from '@jifen/platform';

@Module({})
export class AnalyticsModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AnalyticsModule,
      imports: [
        ServiceConfigModule.forRoot(config),
        ServiceDatabaseModule.forService({ migrations: [] }),
      ],
    };
  }
}
