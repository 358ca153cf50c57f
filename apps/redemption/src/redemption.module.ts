import { DynamicModule, Module } from '@nestjs/common';
import { ServiceConfig, ServiceConfigModule, ServiceDatabaseModule } from '@jifen/platform';

@Module({})
export class RedemptionModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: RedemptionModule,
      imports: [
        ServiceConfigModule.forRoot(config),
        ServiceDatabaseModule.forService({ migrations: [] }),
      ],
    };
  }
}
