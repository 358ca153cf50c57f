import { Controller, Get, Inject } from '@nestjs/common';
import { Pool } from 'pg';
import { IntakeStats, readIntakeStats } from '@jifen/messaging';
import { Roles } from '@jifen/platform';
import { ACCOUNTS_POOL } from '../accounts.tokens';

/** What accounts decided about inbound events, kept across restarts (CONTRACT.md section 3). */
@Controller('stats')
export class StatsController {
  constructor(@Inject(ACCOUNTS_POOL) private readonly pool: Pool) {}

  @Get()
  @Roles('admin', 'analyst')
  read(): Promise<IntakeStats> {
    return readIntakeStats(this.pool, 'applied');
  }
}
