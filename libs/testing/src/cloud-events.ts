import { randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import { CloudEvent } from '@jifen/contracts';

/** A valid CloudEvent of the given type for `memberId`; override any field. */
export function cloudEvent<TData extends { memberId: string }>(
  type: string,
  data: TData,
  overrides: Partial<CloudEvent<TData>> = {},
): CloudEvent<TData> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'test/harness',
    type,
    time: new Date().toISOString(),
    subject: data.memberId,
    datacontenttype: 'application/json',
    data,
    ...overrides,
  };
}

/** Publishes CloudEvents keyed by their subject (the member id), as upstream systems do. */
export async function publishCloudEvents(
  producer: Producer,
  topic: string,
  events: CloudEvent[],
): Promise<void> {
  await producer.send({
    topic,
    messages: events.map((event) => ({ key: event.subject, value: JSON.stringify(event) })),
  });
}

/** A member id no other test uses. */
export function randomMemberId(prefix = 'm'): string {
  return `${prefix}-${randomUUID()}`;
}
