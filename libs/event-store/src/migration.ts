import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSchema } from '@jifen/platform';

/**
 * The event store's tables, for a service's own migration list (the timestamp orders it before
 * the service's migrations that refer to these tables). Hand-written DDL: the append and read
 * paths are SQL in libs/event-store, not TypeORM entities.
 */
export class EventStoreTables1767225600000 implements MigrationInterface {
  name = 'EventStoreTables1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.messages (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id      uuid        NOT NULL,
        stream_id       text        NOT NULL,
        stream_position bigint      NOT NULL CHECK (stream_position > 0),
        type            text        NOT NULL,
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL DEFAULT '{}',
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        created_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT messages_stream_position_unique UNIQUE (stream_id, stream_position),
        CONSTRAINT messages_message_id_unique UNIQUE (message_id)
      )`);
    // Read-all order: only rows of finished transactions are read, in this order.
    await queryRunner.query(
      `CREATE INDEX messages_global_order ON ${s}.messages (transaction_id, global_position)`,
    );
    await queryRunner.query(`
      CREATE TABLE ${s}.outbox (
        position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id      uuid        NOT NULL,
        topic           text        NOT NULL,
        key             text        NOT NULL,
        type            text        NOT NULL,
        payload         jsonb       NOT NULL,
        headers         jsonb       NOT NULL DEFAULT '{}',
        stream_id       text,
        stream_position bigint,
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX outbox_relay_order ON ${s}.outbox (transaction_id, position)`,
    );
    // One row per relay: what it has published, advanced after Kafka acknowledged.
    await queryRunner.query(`
      CREATE TABLE ${s}.outbox_checkpoints (
        relay          text        PRIMARY KEY,
        transaction_id xid8        NOT NULL,
        position       bigint      NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    // Wakes the relay when a transaction with outbox rows commits (NOTIFY is sent at commit).
    await queryRunner.query(`
      CREATE FUNCTION ${s}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM inserted) THEN
          PERFORM pg_notify(left('outbox.' || TG_TABLE_SCHEMA, 63), '');
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER outbox_notify AFTER INSERT ON ${s}.outbox
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ${s}.outbox_notify()`);
    // A cache: dropping every row changes nothing but the time to load a stream.
    await queryRunner.query(`
      CREATE TABLE ${s}.snapshots (
        stream_id       text        PRIMARY KEY,
        stream_position bigint      NOT NULL,
        schema_version  integer     NOT NULL,
        state           jsonb       NOT NULL,
        saved_at        timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`DROP TABLE ${s}.snapshots`);
    await queryRunner.query(`DROP TABLE ${s}.outbox_checkpoints`);
    await queryRunner.query(`DROP TABLE ${s}.outbox`);
    await queryRunner.query(`DROP FUNCTION ${s}.outbox_notify()`);
    await queryRunner.query(`DROP TABLE ${s}.messages`);
  }
}

/**
 * The unique index on `messages.message_id` goes: the store draws every id with randomUUID and
 * nothing looks an event up by it, while its random inserts cost PostgreSQL about 6 µs of CPU
 * per event (BENCHMARKS.md, sixth session).
 */
export class DropMessageIdIndex1767225600500 implements MigrationInterface {
  name = 'DropMessageIdIndex1767225600500';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.messages DROP CONSTRAINT messages_message_id_unique`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(
      `ALTER TABLE ${s}.messages ADD CONSTRAINT messages_message_id_unique UNIQUE (message_id)`,
    );
  }
}

/**
 * The relay may publish the events themselves (OutboxRelayOptions.events) instead of an outbox
 * copy of each. Its checkpoint says which table its position is in (0: `messages`, 1: `outbox`;
 * a transaction's events go out before its outbox rows), and appends wake it as outbox inserts
 * do. Checkpoints already stored are outbox positions: the events of their transactions were
 * published through the outbox.
 */
export class RelayPublishesEvents1767225600600 implements MigrationInterface {
  name = 'RelayPublishesEvents1767225600600';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`
      ALTER TABLE ${s}.outbox_checkpoints
        ADD COLUMN source smallint NOT NULL DEFAULT 1 CHECK (source IN (0, 1))`);
    // Without a transition table: an append that inserted nothing wakes the relay for nothing,
    // which costs less than copying every appended row for the check.
    await queryRunner.query(`
      CREATE FUNCTION ${s}.messages_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(left('outbox.' || TG_TABLE_SCHEMA, 63), '');
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER messages_notify AFTER INSERT ON ${s}.messages
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.messages_notify()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`DROP TRIGGER messages_notify ON ${s}.messages`);
    await queryRunner.query(`DROP FUNCTION ${s}.messages_notify()`);
    await queryRunner.query(`ALTER TABLE ${s}.outbox_checkpoints DROP COLUMN source`);
  }
}

/**
 * A relay records in its checkpoint whether it publishes the store's events besides the outbox
 * (OutboxRelayOptions.events), so what waits past a checkpoint can be counted without knowing
 * each service's configuration (relayBacklog, for the audit and the benchmark).
 */
export class RelayRecordsEvents1767225600700 implements MigrationInterface {
  name = 'RelayRecordsEvents1767225600700';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`
      ALTER TABLE ${s}.outbox_checkpoints
        ADD COLUMN publishes_events boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.outbox_checkpoints DROP COLUMN publishes_events`);
  }
}

/** The LISTEN channel the outbox trigger notifies for `schema`. */
export function outboxChannel(schema: string): string {
  return `outbox.${schema}`.slice(0, 63);
}

/** The event store's migrations, in order, for a service's own migration list. */
export const eventStoreMigrations = [
  EventStoreTables1767225600000,
  DropMessageIdIndex1767225600500,
  RelayPublishesEvents1767225600600,
  RelayRecordsEvents1767225600700,
];
