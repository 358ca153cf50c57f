import { DynamicModule, Module } from '@nestjs/common';
import { EventStoreModule, eventStoreMigrations } from '@jifen/event-store';
import { PlatformModule, ServiceConfig } from '@jifen/platform';
import { AllianceConsumer } from './alliance/alliance.consumer';
import { AllianceController } from './alliance/alliance.controller';
import { AllianceService } from './alliance/alliance.service';
import { DailyStatements } from './alliance/daily-statements';
import { CatalogueController } from './catalogue/catalogue.controller';
import { CatalogueService } from './catalogue/catalogue.service';
import { Redemption1764201600300 } from './migrations/1764201600300-redemption';
import { Alliance1764201600301 } from './migrations/1764201600301-alliance';
import { AllianceStatementsSent1764201600302 } from './migrations/1764201600302-alliance-statements-sent';
import { RoomForUpdates1767571200000 } from './migrations/1767571200000-room-for-updates';
import { AccountsEventsConsumer } from './redemptions/accounts-events.consumer';
import { OutcomeNotices } from './redemptions/outcome-notices';
import { PaymentTimeouts } from './redemptions/payment-timeouts';
import { RedemptionsController } from './redemptions/redemptions.controller';
import { RedemptionsService } from './redemptions/redemptions.service';

/** Redemption's migrations, in order: the event store's tables carry its outbox. */
export const redemptionMigrations = [
  Redemption1764201600300,
  Alliance1764201600301,
  AllianceStatementsSent1764201600302,
  ...eventStoreMigrations,
  RoomForUpdates1767571200000,
];

@Module({})
export class RedemptionModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: RedemptionModule,
      imports: [
        PlatformModule.forService(config, { migrations: redemptionMigrations }),
        EventStoreModule.forService(),
      ],
      controllers: [CatalogueController, RedemptionsController, AllianceController],
      providers: [
        CatalogueService,
        RedemptionsService,
        AccountsEventsConsumer,
        OutcomeNotices,
        PaymentTimeouts,
        AllianceService,
        AllianceConsumer,
        DailyStatements,
      ],
    };
  }
}
