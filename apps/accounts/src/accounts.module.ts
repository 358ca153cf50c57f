import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventStore, EventStoreTables1767225600000, poolOf } from '@jifen/event-store';
import { PlatformModule, SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { ACCOUNTS_POOL } from './accounts.tokens';
import { CommandsConsumer } from './intake/commands.consumer';
import { ProcessedCommands } from './intake/processed-commands';
import { MembersController } from './members/members.controller';
import { Intake1764201600100 } from './migrations/1764201600100-intake';
import { OutboxRelayService } from './outbox/outbox-relay.service';
import { StatsController } from './stats/stats.controller';

@Module({})
export class AccountsModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AccountsModule,
      imports: [
        PlatformModule.forService(config, {
          migrations: [Intake1764201600100, EventStoreTables1767225600000],
        }),
      ],
      controllers: [MembersController, StatsController],
      providers: [
        { provide: ACCOUNTS_POOL, inject: [DataSource], useFactory: poolOf },
        {
          provide: EventStore,
          inject: [SERVICE_CONFIG],
          useFactory: (c: ServiceConfig) => new EventStore({ schema: c.schema }),
        },
        ProcessedCommands,
        CommandsConsumer,
        OutboxRelayService,
      ],
    };
  }
}
