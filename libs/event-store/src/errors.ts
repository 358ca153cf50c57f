/**
 * Why an append was refused:
 * - `version-mismatch`: the stream's committed version is not the expected one (nothing was
 *   written; the transaction is still usable).
 * - `newer-transaction`: the stream's last event was written by a transaction that started
 *   after this one; appending would break read-all order for the stream (nothing was written;
 *   retry in a new transaction).
 * - `concurrent-append`: another transaction wrote the same stream position first, found by
 *   the unique index; PostgreSQL has aborted the transaction.
 */
export type ConflictReason = 'version-mismatch' | 'newer-transaction' | 'concurrent-append';

export interface StreamConflict {
  readonly streamId: string;
  readonly expected: number;
  /** The stream's version when known; undefined for `concurrent-append`. */
  readonly actual: number | undefined;
  readonly reason: ConflictReason;
}

/**
 * An append lost a compare-and-swap on a stream's position. The remedy is always the same:
 * roll back, re-read the stream, decide again and append with the new version (bounded
 * retries when the command came from Kafka). `conflicts` lists every refused stream of a
 * multi-stream append; the other fields describe the first.
 */
export class ExpectedVersionConflict extends Error {
  override readonly name = 'ExpectedVersionConflict';
  readonly streamId: string;
  readonly expected: number;
  readonly actual: number | undefined;
  readonly reason: ConflictReason;

  constructor(readonly conflicts: readonly StreamConflict[]) {
    const first = conflicts[0];
    if (!first) throw new Error('ExpectedVersionConflict needs at least one conflict');
    super(
      `stream "${first.streamId}": expected version ${first.expected}, ` +
        (first.actual === undefined ? 'written concurrently' : `found ${first.actual}`) +
        ` (${first.reason})` +
        (conflicts.length > 1 ? ` and ${conflicts.length - 1} more stream(s)` : ''),
    );
    this.streamId = first.streamId;
    this.expected = first.expected;
    this.actual = first.actual;
    this.reason = first.reason;
  }

  /** Whether PostgreSQL aborted the surrounding transaction (only ROLLBACK is possible). */
  get transactionAborted(): boolean {
    return this.conflicts.some((conflict) => conflict.reason === 'concurrent-append');
  }
}
