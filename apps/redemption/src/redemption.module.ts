import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, ServiceConfig } from '@jifen/platform';

@Module({})
export class RedemptionModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: RedemptionModule,
      imports: [PlatformModule.forService(config, { migrations: [] })],
    };
  }
}
