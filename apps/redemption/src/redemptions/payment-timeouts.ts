import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RedemptionsService } from './redemptions.service';

/**
 * Releases points + cash reservations whose payment did not arrive in time. The deadline is in
 * the row, so a restart loses nothing: the next sweep finds what is overdue. Every instance
 * sweeps; each overdue row is taken by one (FOR UPDATE SKIP LOCKED).
 */
@Injectable()
export class PaymentTimeouts implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PaymentTimeouts.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(private readonly redemptions: RedemptionsService) {}

  onApplicationBootstrap(): void {
    const every = Math.min(5_000, Math.max(100, Math.floor(this.redemptions.paymentTimeoutMs / 4)));
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.redemptions
        .releaseOverdue(new Date())
        .then((released) => {
          if (released > 0)
            this.logger.log(`released ${released} reservations past their payment deadline`);
        })
        .catch((error: Error) => this.logger.warn(`payment timeout sweep failed: ${error.message}`))
        .finally(() => (this.sweeping = undefined));
    }, every);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }
}
