import { connectUntilStopped } from './connect-until-stopped';

/** A connection attempt the test settles by hand. */
function attempts() {
  const pending: { resolve(): void; reject(error: Error): void }[] = [];
  const connect = () =>
    new Promise<void>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  return { connect, pending };
}

async function settled(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

// Pauses long enough that a test passing through one would time out.
const longPauses = { firstPauseMs: 60_000, maxPauseMs: 60_000 };

describe("the relay thread's producer connection", () => {
  it('is tried again after each failure, each failure reported, until it is made', async () => {
    const { connect, pending } = attempts();
    const errors: string[] = [];
    const connection = connectUntilStopped(connect, (e) => errors.push(e.message), {
      firstPauseMs: 1,
      maxPauseMs: 4,
    });

    pending[0].reject(new Error('broker not answering'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    pending[1].reject(new Error('still not answering'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    pending[2].resolve();

    await expect(connection.done).resolves.toBe(true);
    expect(errors).toEqual(['broker not answering', 'still not answering']);
    expect(pending).toHaveLength(3);
  });

  it('stops at once when stopped during the pause after a failure', async () => {
    const { connect, pending } = attempts();
    const errors: string[] = [];
    const connection = connectUntilStopped(connect, (e) => errors.push(e.message), longPauses);
    pending[0].reject(new Error('broker not answering'));
    await settled();

    connection.stop();

    await expect(connection.done).resolves.toBe(false);
    expect(errors).toEqual(['broker not answering']);
    expect(pending).toHaveLength(1);
  });

  it('neither pauses nor reports when an attempt fails after the stop came', async () => {
    const { connect, pending } = attempts();
    const errors: string[] = [];
    const connection = connectUntilStopped(connect, (e) => errors.push(e.message), longPauses);

    connection.stop();
    pending[0].reject(new Error('connection refused'));

    await expect(connection.done).resolves.toBe(false);
    expect(errors).toEqual([]);
    expect(pending).toHaveLength(1);
  });

  it('counts a connection that completes after the stop as made, for the caller to close', async () => {
    const { connect, pending } = attempts();
    const connection = connectUntilStopped(connect, () => undefined, longPauses);

    connection.stop();
    pending[0].resolve();

    await expect(connection.done).resolves.toBe(true);
  });
});
