import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomId } from './ids';

export const correlationHeader = 'x-correlation-id';

const storage = new AsyncLocalStorage<string>();

// Accepted from callers as is; anything else (too long, odd characters) gets a fresh id, so a
// client cannot inject text into our logs.
const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

/** The correlation id of the request or message being handled, if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore();
}

/** Runs `work` with `id` as the correlation id, e.g. for a Kafka message's handling. */
export function withCorrelationId<T>(id: string, work: () => T): T {
  return storage.run(id, work);
}

/** Express middleware: takes `x-correlation-id` or makes one, and echoes it on the response. */
export function correlationMiddleware(
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
): void {
  const given = req.headers[correlationHeader];
  const id = typeof given === 'string' && acceptable.test(given) ? given : randomId();
  res.setHeader(correlationHeader, id);
  storage.run(id, next);
}
