// kafkajs 2.2.4 keeps a 1 ms timer running on every broker connection for as long as the
// connection lives (tulios/kafkajs#1556, #1704; the fix of #1667 is not released). Its
// RequestQueue re-checks its queue of requests held back (by throttling or the in-flight limit)
// on a timer it re-arms after every check, and when nothing is held back the delay it computes
// is `throttledUntil - Date.now()`, far below zero, which Node runs as 1 ms: a check and a new
// Timeout a millisecond per connection, idle or not, each also an async resource for the
// correlation id's AsyncLocalStorage. Measured on this machine, a CPU profile of the services
// under load (`node --cpu-prof dist/scripts/start.js`): timers, the check and their async
// hooks were 13-20% of each service's busy time, and an idle service used about 6% of a core.
//
// The check can only send requests held back, so it needs a timer only while some are: `push`
// arms one when it holds a request back, and every response or timeout checks again. This
// patch gives the method that rule and changes nothing else; it applies to kafkajs 2.2.4 only,
// and a unit test fails when the installed version changes, so an upgrade reviews it.
import { createRequire } from 'node:module';

const requireFromHere = createRequire(__filename);

/** The kafkajs version this patch was written against and tested with. */
export const patchedKafkajsVersion = '2.2.4';

// The queue's own constant in kafkajs (not exported).
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** Arms the re-check only while requests are held back. */
function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL,
  );
}

/** Installs the rule once per process; true when kafkajs is the version it was written for. */
export function patchKafkajsIdleTimer(): boolean {
  const { version } = requireFromHere('kafkajs/package.json') as { version: string };
  if (version !== patchedKafkajsVersion) return false;
  const RequestQueue = requireFromHere('kafkajs/src/network/requestQueue') as {
    prototype: RequestQueueInternals;
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}

patchKafkajsIdleTimer();
