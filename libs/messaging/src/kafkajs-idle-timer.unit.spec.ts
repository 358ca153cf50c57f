import { createRequire } from 'node:module';
import { patchedKafkajsVersion, patchKafkajsIdleTimer } from './kafkajs-idle-timer';

const requireHere = createRequire(__filename);
// kafkajs' own request queue, the class every broker connection uses.
const RequestQueue = requireHere('kafkajs/src/network/requestQueue') as new (options: {
  maxInFlightRequests: number;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  clientId: string;
  broker: string;
  logger: { debug(): void; warn(): void; error(): void };
}) => {
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  push(request: {
    entry: { correlationId: number; resolve(): void; reject(): void };
    expectResponse: boolean;
    sendRequest(): void;
  }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
};

const quiet = { debug: () => undefined, warn: () => undefined, error: () => undefined };

describe('kafkajs request queue timer (patched)', () => {
  const sent: number[] = [];
  let queue: InstanceType<typeof RequestQueue>;
  const push = (correlationId: number) =>
    queue.push({
      entry: { correlationId, resolve: () => undefined, reject: () => undefined },
      expectResponse: true,
      sendRequest: () => sent.push(correlationId),
    });
  const answer = (correlationId: number) =>
    queue.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });

  beforeEach(() => {
    jest.useFakeTimers();
    sent.length = 0;
    queue = new RequestQueue({
      maxInFlightRequests: 1,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: 'localhost:9092',
      logger: quiet,
    });
  });

  afterEach(() => {
    queue.destroy();
    jest.useRealTimers();
  });

  it('is written for the installed kafkajs (an upgrade must review or drop the patch)', () => {
    const { version } = requireHere('kafkajs/package.json') as { version: string };
    expect(version).toBe(patchedKafkajsVersion);
    expect(patchKafkajsIdleTimer()).toBe(true);
  });

  it('keeps no timer running on a connection with nothing held back', () => {
    push(1);
    answer(1);

    expect(sent).toEqual([1]);
    expect(queue.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('still sends a request held back by the in-flight limit once the one before is answered', () => {
    push(1);
    push(2);
    expect(sent).toEqual([1]);

    answer(1);

    expect(sent).toEqual([1, 2]);
    answer(2);
    // The re-check armed while request 2 waited runs once, finds nothing, and is not re-armed.
    jest.runOnlyPendingTimers();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('still sends a request held back by the broker throttling the client, when the throttle ends', () => {
    queue.maybeThrottle(50);
    push(1);
    expect(sent).toEqual([]);

    jest.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);

    expect(sent).toEqual([1]);
    answer(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
