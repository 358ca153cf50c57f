import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { EventStore, relayBacklog } from '@jifen/event-store';
import { evolve, initialState, LedgerEvent, MemberState, memberView } from '@jifen/ledger';
import { quoteIdent } from '@jifen/platform';
import { MemberSnapshotVersion } from '../../apps/accounts/src/members/member-streams';

export interface AuditOptions {
  databaseUrl: string;
  /** DATABASE_SCHEMA_PREFIX: the services' schemas are `<prefix>accounts` and so on. */
  schemaPrefix: string;
  /** The instant time-dependent views are taken at. */
  asOf?: Date;
}

export interface AuditFailure {
  check: 'fold' | 'books' | 'lots' | 'outbox' | 'analytics';
  subject: string;
  detail: string;
}

export interface AuditReport {
  streams: number;
  outstanding: number;
  analyticsOutstanding: number | null;
  failures: AuditFailure[];
}

const streamBatch = 500;

/**
 * Checks what must always hold, against the databases as they are: every member stream folds
 * to the state accounts serves (snapshot + newer events), its books balance, no lot is
 * negative, every outbox row was published, and analytics' outstanding equals the sum of
 * every member's balance + reserved. Read-only.
 */
export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const db = new Client({ connectionString: options.databaseUrl });
  await db.connect();
  const accounts = `${options.schemaPrefix}accounts`;
  const store = new EventStore({ schema: accounts });
  const asOf = (options.asOf ?? new Date()).toISOString();
  const failures: AuditFailure[] = [];
  let outstanding = 0;
  let streams = 0;
  try {
    // One snapshot of the whole database for every read below.
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await db.query<{ stream_id: string }>(
      `SELECT DISTINCT stream_id FROM ${quoteIdent(accounts)}.messages
       WHERE stream_id LIKE 'member-%' ORDER BY stream_id`,
    );
    for (let i = 0; i < rows.length; i += streamBatch) {
      const ids = rows.slice(i, i + streamBatch).map((row) => row.stream_id);
      const events = await store.readStreams<LedgerEvent>(
        db,
        ids.map((streamId) => ({ streamId })),
      );
      for (const streamId of ids) {
        streams++;
        const folded = events
          .get(streamId)!
          .reduce<MemberState>(
            (state, event) => evolve(state, { type: event.type, data: event.data } as LedgerEvent),
            initialState(),
          );
        const served = await store.aggregateStream<MemberState, LedgerEvent>(db, streamId, {
          initialState,
          evolve,
          snapshotSchemaVersion: MemberSnapshotVersion,
        });
        if (
          !isDeepStrictEqual(
            JSON.parse(JSON.stringify(folded)),
            JSON.parse(JSON.stringify(served.state)),
          )
        ) {
          failures.push({
            check: 'fold',
            subject: streamId,
            detail: 'the served state differs from the events folded from the start',
          });
        }
        const view = memberView(folded, asOf);
        if (!view) continue;
        const l = view.lifetime;
        const books =
          l.earned + l.transferredIn - l.transferredOut - l.reversed - l.redeemed - l.expired;
        if (view.balance + view.reserved !== books || view.balance < 0) {
          failures.push({
            check: 'books',
            subject: streamId,
            detail: `balance ${view.balance} + reserved ${view.reserved} ≠ ${books} (earned ${l.earned} + in ${l.transferredIn} − out ${l.transferredOut} − reversed ${l.reversed} − redeemed ${l.redeemed} − expired ${l.expired})`,
          });
        }
        const negative =
          folded.status === 'enrolled' ? folded.lots.filter((lot) => lot.points < 0) : [];
        if (negative.length > 0) {
          failures.push({
            check: 'lots',
            subject: streamId,
            detail: `lots below zero: ${negative.map((lot) => lot.lotId).join(', ')}`,
          });
        }
        outstanding += view.balance + view.reserved;
      }
    }

    for (const service of ['accounts', 'redemption']) {
      const exists = await db.query(`SELECT to_regclass($1) AS t`, [
        `${options.schemaPrefix}${service}.outbox`,
      ]);
      if (!exists.rows[0].t) continue;
      const behind = await relayBacklog(db, `${options.schemaPrefix}${service}`);
      if (behind > 0) {
        failures.push({
          check: 'outbox',
          subject: service,
          detail: `${behind} events and outbox rows not yet published`,
        });
      }
    }

    let analyticsOutstanding: number | null = null;
    const analytics = `${options.schemaPrefix}analytics`;
    const flows = await db.query(`SELECT to_regclass($1) AS t`, [`${analytics}.daily_flows`]);
    if (flows.rows[0].t) {
      const { rows: totals } = await db.query<{ outstanding: string }>(
        `SELECT coalesce(sum(issued - reversed - redeemed - expired), 0)::text AS outstanding
         FROM ${quoteIdent(analytics)}.daily_flows`,
      );
      analyticsOutstanding = Number(totals[0].outstanding);
      if (analyticsOutstanding !== outstanding) {
        failures.push({
          check: 'analytics',
          subject: 'outstanding',
          detail: `analytics says ${analyticsOutstanding}, the members' balance + reserved add up to ${outstanding} (analytics may still be catching up: see /analytics/lag)`,
        });
      }
    }
    await db.query('COMMIT');
    return { streams, outstanding, analyticsOutstanding, failures };
  } finally {
    await db.end();
  }
}
