import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AllianceService } from './alliance.service';

/**
 * Sends each partner our signed statement of the previous program day, half an hour after it
 * ended. Every instance looks each minute; the day is claimed once in the database, so a
 * statement goes out once, and a restart only delays it.
 */
@Injectable()
export class DailyStatements implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DailyStatements.name);
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;

  constructor(private readonly alliance: AllianceService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.sending) return;
      this.sending = this.alliance
        .publishDailyStatements(new Date())
        .then((partners) => {
          if (partners.length > 0)
            this.logger.log(`daily statements sent to ${partners.join(', ')}`);
        })
        .catch((error: Error) => this.logger.warn(`daily statements failed: ${error.message}`))
        .finally(() => (this.sending = undefined));
    }, 60_000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
  }
}
