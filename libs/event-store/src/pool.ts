import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** The `pg` Pool under a TypeORM postgres DataSource, for the event store's hand-written SQL. */
export function poolOf(dataSource: DataSource): Pool {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool) throw new Error('the data source is not an initialised postgres data source');
  return pool;
}
