import { DynamicModule, Module } from '@nestjs/common';
import { ServiceConfig, ServiceConfigModule, ServiceDatabaseModule } from '@jifen/platform';
import { InboundConsumer } from './inbound/inbound.consumer';
import { Inbox } from './inbound/inbox';
import { ingestionMigrations } from './migrations';

@Module({})
export class IngestionModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: IngestionModule,
      imports: [
        ServiceConfigModule.forRoot(config),
        ServiceDatabaseModule.forService({ migrations: ingestionMigrations }),
      ],
      providers: [Inbox, InboundConsumer],
      exports: [Inbox],
    };
  }
}
