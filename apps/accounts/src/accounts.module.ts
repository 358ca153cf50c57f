import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, ServiceConfig } from '@jifen/platform';

@Module({})
export class AccountsModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AccountsModule,
      imports: [PlatformModule.forService(config, { migrations: [] })],
    };
  }
}
