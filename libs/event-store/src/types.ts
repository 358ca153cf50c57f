import type { QueryResult, QueryResultRow } from 'pg';

/**
 * Anything that runs a query: a `pg` Pool (each statement its own transaction), or a
 * PoolClient/Client inside a transaction the caller controls.
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>>;
  /** A named prepared statement (see `prepared`). */
  query<R extends QueryResultRow = QueryResultRow>(query: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<QueryResult<R>>;
}

/** A domain event as the ledger emits it: a string name and plain data. */
export interface DomainEvent {
  readonly type: string;
  readonly data: unknown;
}

/** Why an event was written: carried through commands, events and integration events. */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  ruleVersion?: number;
  [key: string]: unknown;
}

/** An event to append. `id` is generated when absent; it is unique across the store. */
export type NewEvent<E extends DomainEvent = DomainEvent> = E & {
  readonly id?: string;
  readonly metadata?: EventMetadata;
};

/** An event as stored. Positions start at 1; a stream's version is its last position. */
export type RecordedEvent<E extends DomainEvent = DomainEvent> = E & {
  readonly id: string;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly globalPosition: number;
  /** The writing transaction's id (xid8, as text): with globalPosition, the read-all order. */
  readonly transactionId: string;
  readonly metadata: EventMetadata;
  readonly createdAt: Date;
};

/** An event as the relay's mapper sees it (OutboxRelayOptions.events). */
export interface PendingEvent<E extends DomainEvent = DomainEvent> {
  readonly id: string;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly type: E['type'];
  readonly data: E['data'];
  readonly metadata: EventMetadata;
}

/** A message for Kafka, written in the same transaction as the state it announces. */
export interface OutboxEntry {
  /** Published as the `event-id` header; consumers de-duplicate on it. Generated when absent. */
  readonly id?: string;
  /** The logical topic (e.g. `loyalty.accounts.events.v1`); the relay adds its prefix. */
  readonly topic: string;
  /** The Kafka key: the member id, so one member's events stay in one partition, in order. */
  readonly key: string;
  readonly type: string;
  readonly payload: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** The stored event this message was mapped from, when there is one. */
  readonly streamId?: string;
  readonly streamPosition?: number;
}

export type OutboxMapper<E extends DomainEvent = DomainEvent> = (
  event: PendingEvent<E>,
) => OutboxEntry | readonly OutboxEntry[] | undefined;

export interface StreamAppend<E extends DomainEvent = DomainEvent> {
  readonly streamId: string;
  /** The version the caller decided on: 0 for a stream that must not exist yet. */
  readonly expectedVersion: number;
  readonly events: readonly NewEvent<E>[];
}

export interface AppendOptions {
  /** Merged under each event's own metadata (correlation id, causation id, rule version). */
  metadata?: EventMetadata;
}

export interface AppendResult<E extends DomainEvent = DomainEvent> {
  readonly streamId: string;
  /** The stream's version after the append: the expected version of the next one. */
  readonly nextExpectedVersion: number;
  readonly events: readonly RecordedEvent<E>[];
}

/** Where a read-all reader stands: (transaction id, global position) of the last event read. */
export interface GlobalCheckpoint {
  readonly transactionId: string;
  readonly globalPosition: number;
}

export const beforeAllEvents: GlobalCheckpoint = { transactionId: '0', globalPosition: 0 };

export interface ReadAllResult {
  readonly events: readonly RecordedEvent[];
  /** Pass to the next call; unchanged when nothing new is readable yet. */
  readonly checkpoint: GlobalCheckpoint;
}

export interface Snapshot<S> {
  readonly streamId: string;
  /** The last event folded into `state`. */
  readonly streamPosition: number;
  /** The shape of `state`: a snapshot of another version is ignored (rebuilt from events). */
  readonly schemaVersion: number;
  readonly state: S;
}
