import { assertSchemaName, quoteIdent } from '@jifen/platform';
import { appendStreams, enqueueSql, outboxJson } from './append';
import {
  AppendOptions,
  AppendResult,
  beforeAllEvents,
  DomainEvent,
  EventMetadata,
  GlobalCheckpoint,
  NewEvent,
  OutboxEntry,
  Queryable,
  ReadAllResult,
  RecordedEvent,
  Snapshot,
  StreamAppend,
} from './types';
import { prepared } from '@jifen/messaging';
import type { QueryResultRow } from 'pg';

interface MessageRow {
  message_id: string;
  stream_id: string;
  stream_position: string;
  global_position: string;
  transaction_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  created_at: Date;
}

// Qualified: ORDER BY on a bare name would sort the text output column, not the bigint.
const messageColumns = `m.message_id, m.stream_id, m.stream_position::text,
  m.global_position::text, m.transaction_id::text, m.type, m.data, m.metadata, m.created_at`;

/**
 * The PostgreSQL event store of one service schema. Every method takes the connection to run
 * on: a PoolClient inside the caller's transaction (so events, outbox rows and the caller's
 * own writes — processed command ids, counters — commit or roll back together), or a Pool.
 */
export class EventStore {
  private readonly schema: string;

  constructor(options: { schema: string }) {
    assertSchemaName(options.schema);
    this.schema = quoteIdent(options.schema);
  }

  /**
   * Appends `events` to one stream if its version is still `expectedVersion` (0: the stream
   * must not exist), else throws ExpectedVersionConflict.
   */
  async append<E extends DomainEvent>(
    db: Queryable,
    streamId: string,
    expectedVersion: number,
    events: readonly NewEvent<E>[],
    options: AppendOptions = {},
  ): Promise<AppendResult<E>> {
    const [result] = await appendStreams(
      db,
      this.schema,
      [{ streamId, expectedVersion, events }],
      options,
    );
    return result;
  }

  /**
   * Appends to many streams in one statement (one round trip): all or nothing. Results are in
   * the order of `appends`.
   */
  appendMany<E extends DomainEvent>(
    db: Queryable,
    appends: readonly StreamAppend<E>[],
    options: AppendOptions = {},
  ): Promise<AppendResult<E>[]> {
    return appendStreams(db, this.schema, appends, options);
  }

  /** Outbox rows that do not come from an append (still in the caller's transaction). */
  async enqueue(db: Queryable, entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length > 0)
      await db.query(prepared(enqueueSql(this.schema), [outboxJson(entries)]));
  }

  /**
   * `insert` (an `INSERT ... RETURNING`, which may insert nothing, e.g. `ON CONFLICT DO
   * NOTHING`) and, only when it inserted a row, the outbox entries: one statement, so one round
   * trip and atomic without a transaction around it. Answers the insert's rows.
   */
  async insertThenEnqueue<R extends QueryResultRow>(
    db: Queryable,
    insert: { text: string; values: unknown[] },
    entries: readonly OutboxEntry[],
  ): Promise<R[]> {
    const param = `$${insert.values.length + 1}`;
    const { rows } = await db.query<R>(
      prepared(
        `WITH inserted AS (${insert.text}), queued AS (
           ${enqueueSql(this.schema, param, 'WHERE EXISTS (SELECT 1 FROM inserted)')}
         )
         SELECT * FROM inserted`,
        [...insert.values, outboxJson(entries)],
      ),
    );
    return rows;
  }

  /** The stream's events from `fromPosition` on (positions start at 1). */
  async readStream<E extends DomainEvent = DomainEvent>(
    db: Queryable,
    streamId: string,
    fromPosition = 1,
  ): Promise<RecordedEvent<E>[]> {
    const { rows } = await db.query<MessageRow>(
      `SELECT ${messageColumns} FROM ${this.schema}.messages m
       WHERE m.stream_id = $1 AND m.stream_position >= $2 ORDER BY m.stream_position`,
      [streamId, fromPosition],
    );
    return rows.map((row) => toRecorded<E>(row));
  }

  /** Several streams' tails in one round trip (e.g. a batch's cache misses). */
  async readStreams<E extends DomainEvent = DomainEvent>(
    db: Queryable,
    requests: readonly { streamId: string; fromPosition?: number }[],
  ): Promise<Map<string, RecordedEvent<E>[]>> {
    const byStream = new Map(
      requests.map((request) => [request.streamId, [] as RecordedEvent<E>[]]),
    );
    if (requests.length === 0) return byStream;
    // One index range scan per stream, whatever the statistics say: the ordered lateral cannot
    // be merged into a join. As a join, PostgreSQL merge-joined the whole table (500 ms at
    // 800,000 events); with an `= ANY` beside it, reads of new members (no rows) still took
    // 13 ms on average and up to 0.4 s while the table grew without statistics (measured).
    const { rows } = await db.query<MessageRow>(
      `SELECT ${messageColumns}
       FROM unnest($1::text[], $2::bigint[]) AS r(stream_id, from_position)
       ${this.tailOf('r.stream_id', 'r.from_position')}
       ORDER BY m.stream_id, m.stream_position`,
      [
        requests.map((request) => request.streamId),
        requests.map((request) => request.fromPosition ?? 1),
      ],
    );
    for (const row of rows) byStream.get(row.stream_id)?.push(toRecorded<E>(row));
    return byStream;
  }

  /** The stream's version: its last position, 0 when it has no events. */
  async streamVersion(db: Queryable, streamId: string): Promise<number> {
    const { rows } = await db.query<{ version: string }>(
      `SELECT coalesce(max(stream_position), 0)::text AS version
       FROM ${this.schema}.messages WHERE stream_id = $1`,
      [streamId],
    );
    return Number(rows[0].version);
  }

  /**
   * Every stream's events in one order that never changes once read: by writing transaction,
   * then global position, and only events of transactions older than the oldest one still
   * open (`pg_snapshot_xmin`). A transaction that commits late therefore holds readers back;
   * it is never passed over, even when its global positions are smaller than what was read.
   */
  async readAll(
    db: Queryable,
    after: GlobalCheckpoint = beforeAllEvents,
    limit = 1000,
  ): Promise<ReadAllResult> {
    const { rows } = await db.query<MessageRow>(
      `SELECT ${messageColumns} FROM ${this.schema}.messages m
       WHERE (m.transaction_id, m.global_position) > ($1::xid8, $2::bigint)
         AND m.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY m.transaction_id, m.global_position
       LIMIT $3`,
      [after.transactionId, after.globalPosition, limit],
    );
    const events = rows.map((row) => toRecorded(row));
    const last = events[events.length - 1];
    return {
      events,
      checkpoint: last
        ? { transactionId: last.transactionId, globalPosition: last.globalPosition }
        : after,
    };
  }

  /** The cached state of a stream, if one of this schema version exists. */
  async loadSnapshot<S>(
    db: Queryable,
    streamId: string,
    schemaVersion: number,
  ): Promise<Snapshot<S> | undefined> {
    const { rows } = await db.query<{ stream_position: string; state: S }>(
      `SELECT stream_position::text, state FROM ${this.schema}.snapshots
       WHERE stream_id = $1 AND schema_version = $2`,
      [streamId, schemaVersion],
    );
    const row = rows[0];
    return (
      row && {
        streamId,
        streamPosition: Number(row.stream_position),
        schemaVersion,
        state: row.state,
      }
    );
  }

  /**
   * Caches states (one statement for many streams). An older position never replaces a newer
   * one of the same schema version.
   */
  async saveSnapshots(db: Queryable, snapshots: readonly Snapshot<unknown>[]): Promise<void> {
    if (snapshots.length === 0) return;
    await db.query(
      prepared(
        `INSERT INTO ${this.schema}.snapshots AS s (stream_id, stream_position, schema_version, state)
       SELECT stream_id, stream_position, schema_version, state::jsonb
       FROM unnest($1::text[], $2::bigint[], $3::int[], $4::text[])
            AS i(stream_id, stream_position, schema_version, state)
       ON CONFLICT (stream_id) DO UPDATE
         SET stream_position = excluded.stream_position, schema_version = excluded.schema_version,
             state = excluded.state, saved_at = now()
         WHERE s.stream_position <= excluded.stream_position
            OR s.schema_version <> excluded.schema_version`,
        [
          snapshots.map((snapshot) => snapshot.streamId),
          snapshots.map((snapshot) => snapshot.streamPosition),
          snapshots.map((snapshot) => snapshot.schemaVersion),
          snapshots.map((snapshot) => JSON.stringify(snapshot.state)),
        ],
      ),
    );
  }

  saveSnapshot<S>(db: Queryable, snapshot: Snapshot<S>): Promise<void> {
    return this.saveSnapshots(db, [snapshot]);
  }

  /**
   * Several streams' snapshots and the events after them, in one statement (so one round trip,
   * and one view of the database: the tails start right after the snapshots returned). Issued
   * at once, it goes out with whatever else the caller issues beside it.
   */
  async snapshotsAndTails<S, E extends DomainEvent>(
    db: Queryable,
    streamIds: readonly string[],
    schemaVersion: number,
  ): Promise<{ snapshots: Map<string, Snapshot<S>>; tails: Map<string, RecordedEvent<E>[]> }> {
    const snapshots = new Map<string, Snapshot<S>>();
    const tails = new Map(streamIds.map((id) => [id, [] as RecordedEvent<E>[]]));
    if (streamIds.length === 0) return { snapshots, tails };
    const { rows } = await db.query<MessageRow & { snapshot: boolean }>(
      `WITH r AS (SELECT DISTINCT unnest($1::text[]) AS stream_id),
       snap AS (
         SELECT s.stream_id, s.stream_position, s.state FROM ${this.schema}.snapshots s
         WHERE s.stream_id = ANY($1::text[]) AND s.schema_version = $2
       )
       SELECT true AS snapshot, NULL::uuid AS message_id, snap.stream_id,
              snap.stream_position::text, NULL AS global_position, NULL AS transaction_id,
              NULL AS type, snap.state AS data, NULL::jsonb AS metadata,
              NULL::timestamptz AS created_at
       FROM snap
       UNION ALL
       SELECT false, ${messageColumns}
       FROM r LEFT JOIN snap ON snap.stream_id = r.stream_id
       ${this.tailOf('r.stream_id', 'coalesce(snap.stream_position, 0) + 1')}`,
      [streamIds, schemaVersion],
    );
    for (const row of rows) {
      if (row.snapshot) {
        snapshots.set(row.stream_id, {
          streamId: row.stream_id,
          streamPosition: Number(row.stream_position),
          schemaVersion,
          state: row.data as S,
        });
      } else {
        tails.get(row.stream_id)?.push(toRecorded<E>(row));
      }
    }
    // Rows of one stream come in position order (the lateral's ORDER BY); not relied on.
    for (const events of tails.values()) events.sort((a, b) => a.streamPosition - b.streamPosition);
    return { snapshots, tails };
  }

  /**
   * The events of stream `streamId` from position `from` on, as `m`: a lateral, ordered range
   * scan, so one index scan per stream whatever the statistics say (see readStreams).
   */
  private tailOf(streamId: string, from: string): string {
    return `CROSS JOIN LATERAL (
         SELECT * FROM ${this.schema}.messages t
         WHERE t.stream_id = ${streamId} AND t.stream_position >= ${from}
         ORDER BY t.stream_position
       ) m`;
  }

  /**
   * aggregateStream for many streams in one round trip whatever their number (snapshots and
   * the events after them), and a second only for streams with a snapshot and no newer event:
   * their versions, so a snapshot ahead of its stream is still caught and ignored.
   */
  async aggregateStreams<S, E extends DomainEvent>(
    db: Queryable,
    streamIds: readonly string[],
    options: {
      initialState: () => S;
      evolve: (state: S, event: E) => S;
      snapshotSchemaVersion?: number;
    },
  ): Promise<Map<string, { state: S; version: number; fromSnapshot: number }>> {
    const { snapshots, tails } =
      options.snapshotSchemaVersion === undefined
        ? {
            snapshots: new Map<string, Snapshot<S>>(),
            tails: await this.readStreams<E>(
              db,
              streamIds.map((streamId) => ({ streamId })),
            ),
          }
        : await this.snapshotsAndTails<S, E>(db, streamIds, options.snapshotSchemaVersion);
    const idle = streamIds.filter((id) => snapshots.has(id) && tails.get(id)!.length === 0);
    if (idle.length > 0) {
      const { rows } = await db.query<{ stream_id: string; version: string }>(
        `SELECT stream_id, max(stream_position)::text AS version FROM ${this.schema}.messages
         WHERE stream_id = ANY($1::text[]) GROUP BY stream_id`,
        [idle],
      );
      const versions = new Map(rows.map((row) => [row.stream_id, Number(row.version)]));
      const ahead = idle.filter(
        (id) => (versions.get(id) ?? 0) < snapshots.get(id)!.streamPosition,
      );
      for (const id of ahead) snapshots.delete(id);
      if (ahead.length > 0) {
        const reread = await this.readStreams<E>(
          db,
          ahead.map((streamId) => ({ streamId })),
        );
        for (const [id, events] of reread) tails.set(id, events);
      }
    }
    const result = new Map<string, { state: S; version: number; fromSnapshot: number }>();
    for (const streamId of streamIds) {
      const snapshot = snapshots.get(streamId);
      const events = tails.get(streamId)!;
      const state = events.reduce(
        (current, event) => options.evolve(current, { type: event.type, data: event.data } as E),
        snapshot ? snapshot.state : options.initialState(),
      );
      const version =
        events.length > 0
          ? events[events.length - 1].streamPosition
          : (snapshot?.streamPosition ?? 0);
      result.set(streamId, { state, version, fromSnapshot: snapshot?.streamPosition ?? 0 });
    }
    return result;
  }

  /**
   * A stream's state: its snapshot (when `snapshotSchemaVersion` is given and one exists) plus
   * the events after it, folded with `evolve`. A snapshot ahead of the stream (saved by a
   * transaction whose events did not commit) is ignored: the events are the truth.
   */
  async aggregateStream<S, E extends DomainEvent>(
    db: Queryable,
    streamId: string,
    options: {
      initialState: () => S;
      evolve: (state: S, event: E) => S;
      snapshotSchemaVersion?: number;
    },
  ): Promise<{ state: S; version: number; fromSnapshot: number }> {
    let snapshot =
      options.snapshotSchemaVersion === undefined
        ? undefined
        : await this.loadSnapshot<S>(db, streamId, options.snapshotSchemaVersion);
    let events = await this.readStream<E>(db, streamId, (snapshot?.streamPosition ?? 0) + 1);
    if (
      snapshot &&
      events.length === 0 &&
      (await this.streamVersion(db, streamId)) < snapshot.streamPosition
    ) {
      snapshot = undefined;
      events = await this.readStream<E>(db, streamId, 1);
    }
    const state = events.reduce(
      (current, event) => options.evolve(current, { type: event.type, data: event.data } as E),
      snapshot ? snapshot.state : options.initialState(),
    );
    const version =
      events.length > 0
        ? events[events.length - 1].streamPosition
        : (snapshot?.streamPosition ?? 0);
    return { state, version, fromSnapshot: snapshot?.streamPosition ?? 0 };
  }
}

function toRecorded<E extends DomainEvent>(row: MessageRow): RecordedEvent<E> {
  return {
    id: row.message_id,
    streamId: row.stream_id,
    streamPosition: Number(row.stream_position),
    globalPosition: Number(row.global_position),
    transactionId: row.transaction_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    createdAt: row.created_at,
  } as unknown as RecordedEvent<E>;
}
