/** The pause after the first failed attempt, doubled after each failure up to `maxPauseMs`. */
export interface ConnectPauses {
  firstPauseMs: number;
  maxPauseMs: number;
}

const defaultPauses: ConnectPauses = { firstPauseMs: 100, maxPauseMs: 10_000 };

export interface ConnectionAttempts {
  /** True once connected; false when stopped before a connection was made. */
  readonly done: Promise<boolean>;
  /** No attempt after this one: a pause ends at once, a failure is the last. */
  stop(): void;
}

/**
 * Calls `connect` until it succeeds or `stop` is called, pausing between failed attempts; each
 * failure is reported unless a stop came during its attempt. A connection that completes after
 * a stop still counts as made (`done` is true), so that the caller disconnects it: left alone,
 * its socket would keep a thread alive.
 */
export function connectUntilStopped(
  connect: () => Promise<void>,
  onError: (error: Error) => void,
  pauses: ConnectPauses = defaultPauses,
): ConnectionAttempts {
  let stopped = false;
  let endPause = () => {};
  const done = (async () => {
    for (let pauseMs = pauses.firstPauseMs; !stopped;) {
      try {
        await connect();
        return true;
      } catch (error) {
        if (stopped) return false;
        onError(error as Error);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pauseMs);
          endPause = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        pauseMs = Math.min(pauseMs * 2, pauses.maxPauseMs);
      }
    }
    return false;
  })();
  return {
    done,
    stop() {
      stopped = true;
      endPause();
    },
  };
}
