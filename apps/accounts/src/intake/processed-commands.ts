import { Injectable } from '@nestjs/common';
import { prepared, Queryable } from '@jifen/event-store';

export interface CommandKey {
  source: string;
  id: string;
}

/**
 * The commands accounts has applied, by `source` + `id` (inbound events) or command id
 * (internal commands), written in the batch transaction with their effects: the guard that
 * makes a redelivered command change nothing. Dead-lettered commands are not recorded, so a
 * fixed event can be replayed.
 */
@Injectable()
export class ProcessedCommands {
  /** The keys among `keys` already applied, as `source\0id`. */
  async find(db: Queryable, keys: CommandKey[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    // One index probe per key (the LIMIT keeps the lateral a nested loop): as a plain join the
    // planner hashed the whole table for every batch (23 ms at 80,000 rows and growing, 2.5 ms
    // this way, measured), the more so without statistics on a table that grew from empty.
    // With no other plan to choose, it is named (planned once per connection).
    const { rows } = await db.query<{ source: string; event_id: string }>(
      prepared(
        `SELECT k.source, k.event_id FROM unnest($1::text[], $2::text[]) AS k(source, event_id)
         CROSS JOIN LATERAL (
           SELECT 1 FROM processed_commands p
           WHERE p.source = k.source AND p.event_id = k.event_id LIMIT 1
         ) p`,
        [keys.map((k) => k.source), keys.map((k) => k.id)],
      ),
    );
    return new Set(rows.map((row) => `${row.source}\u0000${row.event_id}`));
  }

  async insert(db: Queryable, keys: CommandKey[]): Promise<void> {
    if (keys.length === 0) return;
    await db.query(
      prepared(
        `INSERT INTO processed_commands (source, event_id)
         SELECT * FROM unnest($1::text[], $2::text[])`,
        [keys.map((k) => k.source), keys.map((k) => k.id)],
      ),
    );
  }
}
