import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { poolOf } from '@jifen/event-store';
import { IntakeStats, readIntakeStats } from '@jifen/messaging';

/** What ingestion decided, kept across restarts: `GET /stats` (CONTRACT.md section 3). */
@Injectable()
export class IngestionStats {
  constructor(private readonly dataSource: DataSource) {}

  read(): Promise<IntakeStats> {
    return readIntakeStats(poolOf(this.dataSource), 'forwarded');
  }
}
