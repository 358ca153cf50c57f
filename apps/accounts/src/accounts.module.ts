import { DynamicModule, Module, Provider } from '@nestjs/common';
import {
  eventStoreMigrations,
  eventStoreProviders,
  OutboxMapperModule,
  OutboxRelayService,
  RELAY_EVENTS,
} from '@jifen/event-store';
import { PlatformModule, ServiceConfig } from '@jifen/platform';
import { CommandsConsumer } from './intake/commands.consumer';
import { integrationOutboxEntry } from './integration/integration-events';
import { ProcessedCommands } from './intake/processed-commands';
import { MembersController } from './members/members.controller';
import { Intake1764201600100 } from './migrations/1764201600100-intake';
import { AccountsApi1767225600200 } from './migrations/1767225600200-accounts-api';
import { IntakeCountersPerShard1767225600300 } from './migrations/1767225600300-intake-counters-per-shard';
import { JobRuns1767225600400 } from './migrations/1767225600400-job-runs';
import { JobsController } from './jobs/jobs.controller';
import { JobsScheduler } from './jobs/jobs.scheduler';
import { JobsService } from './jobs/jobs.service';
import { CommandOutcomes } from './outcomes/command-outcomes';
import { ProgramVersions } from './rules/program-versions';
import { RulesController } from './rules/rules.controller';
import { StatsController } from './stats/stats.controller';
import { TransfersController } from './transfers/transfers.controller';

/** Accounts' migrations, in order (the benchmark runs them too). */
export const accountsMigrations = [
  Intake1764201600100,
  ...eventStoreMigrations,
  AccountsApi1767225600200,
  IntakeCountersPerShard1767225600300,
  JobRuns1767225600400,
];

/** The commands consumer and what it needs (the benchmark runs these alone). */
export const commandsConsumerProviders: Provider[] = [
  ...eventStoreProviders,
  ProcessedCommands,
  CommandOutcomes,
  ProgramVersions,
  CommandsConsumer,
];

@Module({})
export class AccountsModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AccountsModule,
      imports: [
        PlatformModule.forService(config, {
          migrations: accountsMigrations,
        }),
      ],
      controllers: [
        MembersController,
        TransfersController,
        JobsController,
        RulesController,
        StatsController,
      ],
      providers: [
        ...commandsConsumerProviders,
        // The relay publishes the member streams' events as integration events.
        {
          provide: RELAY_EVENTS,
          useValue: {
            module: require.resolve('./integration/integration-events'),
            name: integrationOutboxEntry.name,
          } satisfies OutboxMapperModule,
        },
        OutboxRelayService,
        JobsService,
        JobsScheduler,
      ],
    };
  }
}
