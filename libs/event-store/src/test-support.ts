// Shared by this library's integration specs (not exported from the library).
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { openServiceDataSource } from '@jifen/platform';
import { EventStore } from './event-store';
import { eventStoreMigrations } from './migration';
import { poolOf } from './pool';

export interface TestStore {
  schema: string;
  dataSource: DataSource;
  pool: Pool;
  store: EventStore;
  close(): Promise<void>;
}

/** A migrated schema of its own, opened the way a service opens its database. */
export async function openTestStore(databaseUrl: string, schema: string): Promise<TestStore> {
  const dataSource = await openServiceDataSource({
    url: databaseUrl,
    schema,
    migrations: eventStoreMigrations,
    poolSize: 20,
  });
  return {
    schema,
    dataSource,
    pool: poolOf(dataSource),
    store: new EventStore({ schema }),
    close: () => dataSource.destroy(),
  };
}

/** Events named after their index, for asserting order. */
export function numbered(count: number, from = 1): { type: 'Numbered'; data: { n: number } }[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'Numbered', data: { n: from + i } }));
}
