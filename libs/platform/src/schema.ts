import { Client, type ClientBase } from 'pg';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { ensureDatabase, quoteIdent } from './database';

// Schema names come from configuration and end up in SQL and in a connection option, so they
// are kept to plain lower-case identifiers.
const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ServiceDataSourceOptions {
  url: string;
  /** The service's own schema, e.g. `accounts`; tests use one per spec file. */
  schema: string;
  migrations: Array<new () => MigrationInterface>;
  entities?: Array<new () => unknown>;
  poolSize?: number;
}

/**
 * Opens a service's TypeORM data source on its own schema: creates the database and the
 * schema when missing, then runs the service's versioned migrations (never `synchronize`).
 * Migrations of one schema run under an advisory lock, so several instances starting at once
 * apply each migration once.
 */
export async function openServiceDataSource(
  options: ServiceDataSourceOptions,
): Promise<DataSource> {
  assertSchemaName(options.schema);
  await ensureDatabase(options.url);
  await withAdvisoryLock(options.url, `migrate:${options.schema}`, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
  });
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error'],
    extra: servicePoolSettings(options.schema, options.poolSize ?? 10),
  });
  await dataSource.initialize();
  try {
    await withAdvisoryLock(options.url, `migrate:${options.schema}`, () =>
      dataSource.runMigrations({ transaction: 'each' }),
    );
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/**
 * The node-postgres pool settings every connection of a service uses: its TypeORM data source
 * and the outbox relay's thread. `max` connections on `schema`.
 */
export function servicePoolSettings(schema: string, max: number, role?: string) {
  return {
    max,
    // Who holds a connection, in pg_stat_activity and in the server's log: `jifen accounts`,
    // `jifen accounts relay`.
    application_name: ['jifen', schema, role].filter(Boolean).join(' '),
    // Statements issued without awaiting the one before go out at once and are answered in
    // order (pg's pipeline mode): a transaction's independent reads, and its writes, cost
    // one round trip each instead of one per statement.
    pipeline: true,
    // Every client listens for 'error' from its creation. pg-pool hands a new client to a
    // promise-based connect() from inside the parse of the client's socket data; when that
    // same read also holds the backend's FATAL (terminated just after it accepted the
    // connection), the client emitted 'error' before its taker could listen, with no
    // listener at all, and the process crashed (fault 4, 4 runs in 10; found by recording
    // where the listener-less client was acquired; schema.int.spec.ts replays it). The error
    // still fails the client's queries, its holder's own listener still sees it, and the
    // pool drops it on release.
    onConnect: (client: ClientBase) => {
      client.on('error', () => undefined);
    },
    // Unqualified names in hand-written SQL resolve to the service's schema. No JIT: every
    // statement here is short, and a cost estimate over jit_above_cost (a table without
    // statistics yet, an array of unknown length) had PostgreSQL compile a cold-member read
    // for 190 ms that then ran in 2 (measured). plan_cache_mode stays at its default: forcing
    // generic plans applies to the unnamed statements too (they are planned through the same
    // cache), and the generic plan of the cold-member read took up to 4 s on a growing table.
    options: `-c search_path=${schema},public -c jit=off`,
  };
}

export function assertSchemaName(schema: string): void {
  if (!schemaPattern.test(schema)) {
    throw new Error(
      `schema "${schema}" must be lower-case letters, digits and underscores, starting with a letter`,
    );
  }
}

/** The schema a migration runs in, quoted for SQL. */
export function migrationSchema(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('a service data source always names its schema');
  return quoteIdent(schema);
}

async function withAdvisoryLock<T>(
  url: string,
  name: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    return await work(client);
  } finally {
    await client.end();
  }
}
