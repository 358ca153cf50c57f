import { DynamicModule, Module } from '@nestjs/common';
import { ServiceConfig, ServiceConfigModule, ServiceDatabaseModule } from '@jifen/platform';

@Module({})
export class AccountsModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AccountsModule,
      imports: [
        ServiceConfigModule.forRoot(config),
        ServiceDatabaseModule.forService({ migrations: [] }),
      ],
    };
  }
}
