import { Controller, Get } from '@nestjs/common';
import { IntakeStats } from '@jifen/messaging';
import { Roles } from '@jifen/platform';
import { IngestionStats } from './ingestion-stats';

/** `GET /stats` (CONTRACT.md section 3): what ingestion decided, kept across restarts. */
@Controller('stats')
export class StatsController {
  constructor(private readonly stats: IngestionStats) {}

  @Get()
  @Roles('admin', 'analyst')
  read(): Promise<IntakeStats> {
    return this.stats.read();
  }
}
