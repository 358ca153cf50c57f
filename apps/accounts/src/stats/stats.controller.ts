import { Controller, Get, Inject } from '@nestjs/common';
import { Pool } from 'pg';
import { IntakeStats, readIntakeStats } from '@jifen/messaging';
import { Roles } from '@jifen/platform';
import { SERVICE_POOL } from '@jifen/event-store';

/** What accounts decided about inbound events, kept across restarts (CONTRACT.md section 3). */
@Controller('stats')
export class StatsController {
  constructor(@Inject(SERVICE_POOL) private readonly pool: Pool) {}

  @Get()
  @Roles('admin', 'analyst')
  read(): Promise<IntakeStats> {
    return readIntakeStats(this.pool, 'applied');
  }
}
