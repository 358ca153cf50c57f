import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Pool } from 'pg';
import { SERVICE_POOL, withTransaction } from '@jifen/event-store';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { CronSchedule, localMinute, parseCron } from './cron';
import { JobsService } from './jobs.service';

const minuteMs = 60_000;

/**
 * Runs the expiry run, then the tier review, at each minute JIFEN_JOBS_SCHEDULE names in
 * program time (`off`: on demand only), as of that minute. Once across all instances: the
 * instance that takes the transaction-level advisory lock and records the minute in
 * `scheduled_job_runs` enqueues both runs in that same transaction; the others find the minute
 * taken. Minutes missed while no instance ran are not caught up (the next run expires
 * everything due by then anyway).
 */
@Injectable()
export class JobsScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('JobsScheduler');
  private timer?: NodeJS.Timeout;
  private schedule?: CronSchedule;
  private running?: Promise<void>;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    private readonly jobs: JobsService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.jobsSchedule === 'off') return;
    try {
      this.schedule = parseCron(this.config.jobsSchedule);
    } catch (error) {
      throw new Error(`JIFEN_JOBS_SCHEDULE: ${(error as Error).message}`);
    }
    this.arm();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.schedule = undefined;
    await this.running;
  }

  private arm(): void {
    const next = Math.floor(Date.now() / minuteMs) * minuteMs + minuteMs;
    this.timer = setTimeout(() => {
      this.running = this.tick(new Date(next)).catch((error: Error) =>
        this.logger.error(`scheduled run failed: ${error.message}`),
      );
      if (this.schedule) this.arm();
    }, next - Date.now());
    this.timer.unref();
  }

  private async tick(minute: Date): Promise<void> {
    if (!this.schedule?.matches(localMinute(minute, this.config.timezone))) return;
    const asOf = minute.toISOString();
    const members = await this.runOnce(asOf);
    if (members !== undefined) {
      this.logger.log(`expiry run and tier review as of ${asOf} sent for ${members} members`);
    }
  }

  /** Enqueues both runs if no instance has taken this minute; the count of members, or undefined. */
  async runOnce(asOf: string): Promise<number | undefined> {
    return withTransaction(this.pool, async (db) => {
      const { rows } = await db.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.scheduled_jobs')) AS locked",
      );
      if (!rows[0].locked) return undefined;
      const taken = await db.query(
        `INSERT INTO scheduled_job_runs (due_at, members) VALUES ($1, 0)
         ON CONFLICT (due_at) DO NOTHING`,
        [asOf],
      );
      if (taken.rowCount === 0) return undefined;
      // The review right after the expiry run: same members, same order on each partition.
      const ids = await this.jobs.start(db, 'expiry', asOf);
      await this.jobs.start(db, 'tier-review', asOf);
      await db.query('UPDATE scheduled_job_runs SET members = $2 WHERE due_at = $1', [
        asOf,
        ids.length,
      ]);
      return ids.length;
    });
  }
}
