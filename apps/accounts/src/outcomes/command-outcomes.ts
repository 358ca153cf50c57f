import { Injectable } from '@nestjs/common';
import { prepared, Queryable } from '@jifen/event-store';
import { LedgerEvent } from '@jifen/ledger';

/** One event a command produced, as much as its waiters need: ids and points, not the data. */
export interface OutcomeEvent {
  type: LedgerEvent['type'];
  entryId?: string;
  points?: number;
}

export type CommandOutcome =
  | { commandId: string; memberId: string; status: 'applied'; events: OutcomeEvent[] }
  | { commandId: string; memberId: string; status: 'refused'; reason: string; detail: string };

export function outcomeEvents(events: readonly LedgerEvent[]): OutcomeEvent[] {
  return events.map((event) => {
    const data = event.data as { entryId?: unknown; points?: unknown };
    return {
      type: event.type,
      ...(typeof data.entryId === 'string' && { entryId: data.entryId }),
      ...(typeof data.points === 'number' && { points: data.points }),
    };
  });
}

/**
 * The outcome of every internal command (`kind: 'ledger'`), recorded by the commands consumer
 * in the batch transaction that applies or refuses it, so an HTTP request that sent a command
 * (a transfer, a job) can wait for its answer, and a repeated request finds the first answer.
 */
@Injectable()
export class CommandOutcomes {
  async record(db: Queryable, outcomes: readonly CommandOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await db.query(
      prepared(
        `INSERT INTO command_outcomes (command_id, member_id, status, reason, detail, events)
       SELECT i.command_id, i.member_id, i.status, i.reason, i.detail, i.events::jsonb
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
            AS i(command_id, member_id, status, reason, detail, events)
       ON CONFLICT (command_id) DO NOTHING`,
        [
          outcomes.map((o) => o.commandId),
          outcomes.map((o) => o.memberId),
          outcomes.map((o) => o.status),
          outcomes.map((o) => (o.status === 'refused' ? o.reason : null)),
          outcomes.map((o) => (o.status === 'refused' ? o.detail : null)),
          outcomes.map((o) => JSON.stringify(o.status === 'applied' ? o.events : [])),
        ],
      ),
    );
  }

  async find(db: Queryable, commandIds: readonly string[]): Promise<Map<string, CommandOutcome>> {
    if (commandIds.length === 0) return new Map();
    const { rows } = await db.query<{
      command_id: string;
      member_id: string;
      status: 'applied' | 'refused';
      reason: string | null;
      detail: string | null;
      events: OutcomeEvent[];
    }>(
      `SELECT command_id, member_id, status, reason, detail, events
       FROM command_outcomes WHERE command_id = ANY($1::text[])`,
      [commandIds],
    );
    return new Map(
      rows.map((row): [string, CommandOutcome] => [
        row.command_id,
        row.status === 'applied'
          ? {
              commandId: row.command_id,
              memberId: row.member_id,
              status: 'applied',
              events: row.events,
            }
          : {
              commandId: row.command_id,
              memberId: row.member_id,
              status: 'refused',
              reason: row.reason ?? 'refused',
              detail: row.detail ?? '',
            },
      ]),
    );
  }

  /** How many of `commandIds` have an outcome. */
  async count(db: Queryable, commandIds: readonly string[]): Promise<number> {
    if (commandIds.length === 0) return 0;
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM command_outcomes WHERE command_id = ANY($1::text[])',
      [commandIds],
    );
    return rows[0].n;
  }

  /**
   * Polls until `done` says the outcomes found are enough, or `timeoutMs` passes; returns what
   * was found either way. Polling (every 25 ms) rather than LISTEN keeps no connection pinned
   * per waiting request and works whichever instance applied the command.
   */
  async waitFor(
    db: Queryable,
    commandIds: readonly string[],
    done: (found: Map<string, CommandOutcome>) => boolean,
    timeoutMs: number,
  ): Promise<Map<string, CommandOutcome>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await this.find(db, commandIds);
      if (done(found) || Date.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
