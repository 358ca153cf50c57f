import type { Writable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a client of `pool`: COMMIT when it resolves, ROLLBACK when
 * it throws (the error is rethrown). A client whose ROLLBACK fails is destroyed, not reused.
 * On a pipelining client (the services' pools) BEGIN goes out with the statements `work`
 * issues before its first await, in one write; statements run in the order they were issued.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T | Closing<T>>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client whose connection is lost between two statements (the server
  // terminated the backend, or stopped) emits 'error', and pg-pool listens only on idle
  // clients: without this listener the process crashes. The next statement fails instead,
  // and the client is destroyed on release.
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  let begun!: Promise<unknown>;
  let working!: Promise<T | Closing<T>>;
  sendTogether(client, () => {
    begun = client.query('BEGIN');
    // Awaited below; a failure while `work` runs is reported by `work`'s statements.
    begun.catch(() => undefined);
    try {
      working = work(client);
    } catch (error) {
      working = Promise.reject(error);
    }
  });
  try {
    const result = await working;
    if (!(result instanceof Closing)) {
      await begun;
      await client.query('COMMIT');
      return result;
    }
    // The last writes and the COMMIT in one write. A failing statement aborts the
    // transaction (the COMMIT then only ends it): its error is thrown, as from `work`.
    const closing = sendTogether(client, () => [...result.writes(client), client.query('COMMIT')]);
    const settled = await Promise.allSettled([begun, ...closing]);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return result.value;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    // A broken client keeps the listener: it is destroyed, and may still report its socket.
    if (!broken) client.removeListener('error', onError);
    client.release(broken);
  }
}

/**
 * What a transaction's `work` may answer instead of its value: the value, and the transaction's
 * last statements (writes whose answers nothing waits for), sent together with the COMMIT.
 */
export class Closing<T> {
  constructor(
    readonly value: T,
    readonly writes: (client: PoolClient) => Promise<unknown>[],
  ) {}
}

/**
 * Runs `issue`, which sends statements without awaiting them (the services' pools pipeline),
 * with the client's socket corked, so they leave in one write instead of one each. Each write
 * to the database's socket wakes its backend, and on this machine class that costs about
 * 200 µs of CPU a write: a quarter of redemption's busy time under 50 clients redeeming on
 * one member was such writes (`--cpu-prof`). Answers what `issue` answers.
 */
export function sendTogether<T>(client: PoolClient, issue: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: Writable } }).connection?.stream;
  stream?.cork();
  try {
    return issue();
  } finally {
    stream?.uncork();
  }
}
