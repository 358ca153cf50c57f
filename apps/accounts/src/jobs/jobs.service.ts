import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { LedgerCommandMessage, Topics } from '@jifen/contracts';
import {
  EventStore,
  OutboxEntry,
  Queryable,
  SERVICE_POOL,
  withTransaction,
} from '@jifen/event-store';
import { enrolledMembers } from '../members/enrolment';
import { CommandOutcomes } from '../outcomes/command-outcomes';

export type JobName = 'expiry' | 'tier-review';

export interface JobAnswer {
  job: JobName;
  asOf: string;
  /** `completed` once every member's command has an outcome; else `pending` (counts so far). */
  status: 'completed' | 'pending';
  /** Members commanded: every enrolled member. */
  members: number;
  /** Members whose command has been applied. */
  applied: number;
  counts: ExpiryCounts | TierReviewCounts;
}

export interface ExpiryCounts {
  pointsExpired: number;
  lotsExpired: number;
  membersWithExpiry: number;
  /** `points.expiring_soon` events (one per member and threshold announced). */
  reminders: number;
}

export interface TierReviewCounts {
  downgraded: number;
  renewed: number;
}

/** A run's command to one member: at most once per member, whoever sent it (accounts de-duplicates). */
export const jobCommandId = (job: JobName, asOf: string, memberId: string) =>
  `job/${job}/${asOf}/${memberId}`;

const chunk = 1_000;

/**
 * The expiry run and the tier review (CONTRACT.md sections 4 and 7): one command per enrolled
 * member, through the outbox to the commands topic keyed by member id, so each member's own
 * partition consumer applies it in order with everything else that member does.
 */
@Injectable()
export class JobsService {
  constructor(
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly outcomes: CommandOutcomes,
  ) {}

  /**
   * Starts the run of `job` as of `asOf` in the caller's transaction, or adds to it: one
   * command per enrolled member not yet commanded by this run, recorded with the run (the
   * first time, every member; again, only members enrolled since). Returns the run's command
   * ids, every member's. Starts of one run queue on its row, so no command is sent twice.
   */
  async start(db: Queryable, job: JobName, asOf: string): Promise<string[]> {
    await db.query(
      `INSERT INTO job_runs (job, as_of, member_ids) VALUES ($1, $2, '{}')
       ON CONFLICT (job, as_of) DO NOTHING`,
      [job, asOf],
    );
    const { rows } = await db.query<{ member_ids: string[] }>(
      'SELECT member_ids FROM job_runs WHERE job = $1 AND as_of = $2 FOR UPDATE',
      [job, asOf],
    );
    const commanded = new Set(rows[0].member_ids);
    const members = (await enrolledMembers(db)).filter((memberId) => !commanded.has(memberId));
    for (let i = 0; i < members.length; i += chunk) {
      await this.store.enqueue(
        db,
        members.slice(i, i + chunk).map((memberId): OutboxEntry => {
          const message: LedgerCommandMessage = {
            kind: 'ledger',
            commandId: jobCommandId(job, asOf, memberId),
            memberId,
            command:
              job === 'expiry'
                ? { type: 'RunExpiry', memberId, asOf, sourceEventId: `job/expiry/${asOf}` }
                : { type: 'ReviewTier', memberId, asOf, sourceEventId: `job/tier-review/${asOf}` },
          };
          return {
            topic: Topics.commands,
            key: memberId,
            type: message.command.type,
            payload: message,
          };
        }),
      );
    }
    if (members.length > 0) {
      await db.query(
        'UPDATE job_runs SET member_ids = member_ids || $3::text[] WHERE job = $1 AND as_of = $2',
        [job, asOf, members],
      );
    }
    return [...commanded, ...members].map((memberId) => jobCommandId(job, asOf, memberId));
  }

  /** Starts a run (or finds it started) and waits up to `waitMs` for its outcomes, then counts what they did. */
  async run(job: JobName, asOf: string, waitMs: number): Promise<JobAnswer> {
    const ids = await withTransaction(this.pool, (db) => this.start(db, job, asOf));
    const deadline = Date.now() + waitMs;
    while ((await this.outcomes.count(this.pool, ids)) < ids.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.summary(job, asOf, ids);
  }

  private async summary(job: JobName, asOf: string, ids: string[]): Promise<JobAnswer> {
    const found = [...(await this.outcomes.find(this.pool, ids)).values()];
    const events = found.flatMap((o) => (o.status === 'applied' ? [o.events] : []));
    const ofType = (type: string) => events.map((list) => list.filter((e) => e.type === type));
    const counts: ExpiryCounts | TierReviewCounts =
      job === 'expiry'
        ? {
            pointsExpired: -ofType('PointsExpired')
              .flat()
              .reduce((sum, e) => sum + (e.points ?? 0), 0),
            lotsExpired: ofType('PointsExpired').flat().length,
            membersWithExpiry: ofType('PointsExpired').filter((list) => list.length > 0).length,
            reminders: ofType('PointsExpiringSoon').flat().length,
          }
        : {
            downgraded: ofType('TierChanged').flat().length,
            renewed: ofType('TierHoldRenewed').flat().length,
          };
    return {
      job,
      asOf,
      status: found.length === ids.length ? 'completed' : 'pending',
      members: ids.length,
      applied: events.length,
      counts,
    };
  }
}
