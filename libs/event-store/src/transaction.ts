import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a client of `pool`: COMMIT when it resolves, ROLLBACK when
 * it throws (the error is rethrown). A client whose ROLLBACK fails is destroyed, not reused.
 * On a pipelining client (the services' pools) BEGIN goes out with `work`'s first statements
 * rather than a round trip ahead of them; statements run in the order they were issued.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
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
  const begun = client.query('BEGIN');
  // Awaited below; a failure while `work` is still running is reported by `work`'s statements.
  begun.catch(() => undefined);
  try {
    const result = await work(client);
    await begun;
    await client.query('COMMIT');
    return result;
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
