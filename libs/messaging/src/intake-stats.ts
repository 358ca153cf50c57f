import { RejectionReason } from '@jifen/contracts';
import type { PartitionBatch } from './batch-consumer';
import { prepared, type PreparedQuery } from './prepared';

/** Anything that runs SQL: a pg pool or client (pipelined or not). */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
  query(query: PreparedQuery): Promise<unknown>;
}

// The statements every consumer runs on each fetch are named (`prepared`): each touches a
// table of a row per partition or counter, or inserts, so no plan of theirs turns bad as
// tables grow.
async function select<R>(db: Queryable, query: PreparedQuery): Promise<R[]> {
  return ((await db.query(query)) as { rows: R[] }).rows;
}

export type IntakeCounter = 'received' | 'forwarded' | 'applied' | 'duplicates';

/**
 * The counters of one batch, per event type, added to the stored ones in the batch's own
 * transaction so that they count each Kafka message exactly once across crashes.
 */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(
    eventType: string | undefined,
    counter: IntakeCounter | `dead_lettered:${RejectionReason}`,
    n = 1,
  ): void {
    for (const type of eventType === undefined ? [''] : ['', eventType]) {
      const key = `${type}\u0000${counter}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + n);
    }
  }

  get size(): number {
    return this.counts.size;
  }

  /** Per event type (`''` for the totals) and counter. */
  *entries(): IterableIterator<{ eventType: string; counter: string; n: number }> {
    for (const [key, n] of this.counts) {
      const [eventType, counter] = key.split('\u0000');
      yield { eventType, counter, n };
    }
  }
}

/**
 * Adds each partition's counts to its own rows (`shard`), in one statement: two instances of
 * a service, committing concurrently, then never wait on each other's row locks (batches of
 * several partitions did, one commit after another: 460 ms p50 publish-to-readable at 200
 * events/s). Readers sum the shards.
 */
export async function saveTallies(db: Queryable, byShard: Map<number, Tally>): Promise<void> {
  const shards: number[] = [];
  const types: string[] = [];
  const counters: string[] = [];
  const ns: number[] = [];
  for (const [shard, tally] of byShard) {
    for (const { eventType, counter, n } of tally.entries()) {
      shards.push(shard);
      types.push(eventType);
      counters.push(counter);
      ns.push(n);
    }
  }
  if (ns.length === 0) return;
  await db.query(
    prepared(
      `INSERT INTO intake_counters (event_type, counter, shard, n)
       SELECT t.event_type, t.counter, t.shard, t.n
       FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) AS t(event_type, counter, shard, n)
       ON CONFLICT (event_type, counter, shard) DO UPDATE SET n = intake_counters.n + excluded.n`,
      [types, counters, shards, ns],
    ),
  );
}

/**
 * The tables behind Tally and the consumed offsets; each service's migration creates them, and
 * then `intakeCountersPerShardSql` (a later migration) gives the counters a row per partition.
 */
export function intakeTablesSql(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.intake_counters (
       event_type text   NOT NULL,
       counter    text   NOT NULL,
       n          bigint NOT NULL,
       PRIMARY KEY (event_type, counter)
     )`,
    // The next offset to apply per partition, written in the batch transaction: a batch
    // delivered again after a crash before the Kafka offset commit is recognised and skipped.
    `CREATE TABLE ${schema}.consumed_offsets (
       topic       text    NOT NULL,
       partition   integer NOT NULL,
       next_offset bigint  NOT NULL,
       PRIMARY KEY (topic, partition)
     )`,
  ];
}

/**
 * Each batch without the messages before its partition's stored next offset (a batch
 * delivered again after a crash before the Kafka offset commit); batches left empty are
 * dropped. One query for them all.
 */
export async function unappliedBatches(
  db: Queryable,
  batches: PartitionBatch[],
): Promise<PartitionBatch[]> {
  if (batches.length === 0) return [];
  const rows = await select<{ topic: string; partition: number; next_offset: string }>(
    db,
    prepared(
      `SELECT o.topic, o.partition, o.next_offset FROM consumed_offsets o
       JOIN unnest($1::text[], $2::int[]) AS b(topic, partition) USING (topic, partition)`,
      [batches.map((b) => b.topic), batches.map((b) => b.partition)],
    ),
  );
  const next = new Map(
    rows.map((row) => [`${row.topic}/${row.partition}`, BigInt(row.next_offset)]),
  );
  return batches.flatMap((batch) => {
    const from = next.get(`${batch.topic}/${batch.partition}`);
    const messages =
      from === undefined
        ? batch.messages
        : batch.messages.filter((message) => BigInt(message.offset) >= from);
    return messages.length > 0 ? [{ ...batch, messages }] : [];
  });
}

/** Stores each batch's next offset, the one after its last message, in one statement. */
export async function saveNextOffsets(db: Queryable, batches: PartitionBatch[]): Promise<void> {
  if (batches.length === 0) return;
  await db.query(
    prepared(
      `INSERT INTO consumed_offsets (topic, partition, next_offset)
       SELECT b.topic, b.partition, b.next_offset
       FROM unnest($1::text[], $2::int[], $3::bigint[]) AS b(topic, partition, next_offset)
       ON CONFLICT (topic, partition) DO UPDATE SET next_offset = GREATEST(consumed_offsets.next_offset, excluded.next_offset)`,
      [
        batches.map((b) => b.topic),
        batches.map((b) => b.partition),
        batches.map((b) => (BigInt(b.messages[b.messages.length - 1].offset) + 1n).toString()),
      ],
    ),
  );
}

export interface CounterSet {
  received: number;
  forwarded?: number;
  applied?: number;
  duplicates: number;
  deadLettered: Record<string, number>;
}

export interface IntakeStats extends CounterSet {
  byType: Record<string, CounterSet>;
}

/** `GET /stats` in the contract's shape; `done` is `forwarded` (ingestion) or `applied` (accounts). */
export async function readIntakeStats(
  db: Queryable,
  done: 'forwarded' | 'applied',
): Promise<IntakeStats> {
  const { rows } = (await db.query(
    `SELECT event_type, counter, sum(n)::text AS n FROM intake_counters
     GROUP BY event_type, counter`,
  )) as { rows: Array<{ event_type: string; counter: string; n: string }> };
  const empty = (): CounterSet => ({ received: 0, [done]: 0, duplicates: 0, deadLettered: {} });
  const totals = empty();
  const byType: Record<string, CounterSet> = {};
  for (const row of rows) {
    const set = row.event_type === '' ? totals : (byType[row.event_type] ??= empty());
    const n = Number(row.n);
    if (row.counter.startsWith('dead_lettered:')) {
      set.deadLettered[row.counter.slice('dead_lettered:'.length)] = n;
    } else if (row.counter === 'received' || row.counter === done || row.counter === 'duplicates') {
      (set as unknown as Record<string, number>)[row.counter] = n;
    }
  }
  return { ...totals, byType };
}

/** Counters per partition (`shard`; -1 holds what was counted before). */
export function intakeCountersPerShardSql(schema: string): string[] {
  return [
    `ALTER TABLE ${schema}.intake_counters ADD COLUMN shard integer NOT NULL DEFAULT -1`,
    `ALTER TABLE ${schema}.intake_counters DROP CONSTRAINT intake_counters_pkey`,
    `ALTER TABLE ${schema}.intake_counters ADD PRIMARY KEY (event_type, counter, shard)`,
  ];
}

/** Back to one row per counter (the sums). */
export function intakeCountersUnshardedSql(schema: string): string[] {
  return [
    `CREATE TEMPORARY TABLE intake_counter_sums ON COMMIT DROP AS
       SELECT event_type, counter, sum(n)::bigint AS n FROM ${schema}.intake_counters
       GROUP BY event_type, counter`,
    `DELETE FROM ${schema}.intake_counters`,
    `ALTER TABLE ${schema}.intake_counters DROP CONSTRAINT intake_counters_pkey`,
    `ALTER TABLE ${schema}.intake_counters DROP COLUMN shard`,
    `ALTER TABLE ${schema}.intake_counters ADD PRIMARY KEY (event_type, counter)`,
    `INSERT INTO ${schema}.intake_counters SELECT event_type, counter, n FROM intake_counter_sums`,
  ];
}
