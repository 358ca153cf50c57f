import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface InboxEntry {
  source: string;
  eventId: string;
  type: string;
}

/** Inbound events ingestion has taken in, each `source` + `id` once. */
@Injectable()
export class Inbox {
  constructor(private readonly dataSource: DataSource) {}

  /** Records a batch in one transaction; entries already there are left alone. */
  async record(entries: InboxEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const result = await this.dataSource.query(
      `INSERT INTO inbox (source, event_id, type)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT DO NOTHING`,
      [entries.map((e) => e.source), entries.map((e) => e.eventId), entries.map((e) => e.type)],
    );
    return (result as unknown as [unknown, number])[1] ?? 0;
  }

  async countsByType(): Promise<Record<string, number>> {
    const rows: Array<{ type: string; n: string }> = await this.dataSource.query(
      'SELECT type, count(*) AS n FROM inbox GROUP BY type',
    );
    return Object.fromEntries(rows.map((row) => [row.type, Number(row.n)]));
  }
}
