import { KafkaMessage } from 'kafkajs';
import {
  DeadLetter,
  InboundCommandMessage,
  InboundTypes,
  parseInbound,
  RejectionReason,
} from '@jifen/contracts';

/** What ingestion decided for one inbound message. */
export type Routed =
  | { outcome: 'forwarded'; eventType: string; command: InboundCommandMessage }
  | {
      outcome: 'dead_lettered';
      eventType?: string;
      reason: RejectionReason;
      deadLetter: DeadLetter;
    };

/**
 * Decides one inbound message: a command for accounts, or a dead letter with the contract's
 * reason and a detail a person can act on. Pure; `failedAt` comes in.
 */
export function route(
  message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>,
  topic: string,
  partition: number,
  failedAt: string,
): Routed {
  const origin = {
    original: (message.value ?? Buffer.alloc(0)).toString('base64'),
    key: message.key === null ? null : message.key.toString('utf8'),
    topic,
    partition,
    offset: message.offset,
  };
  const parsed = parseInbound(message.value);
  if (parsed.ok) {
    const { event } = parsed;
    return {
      outcome: 'forwarded',
      eventType: event.type,
      command: { kind: 'inbound', memberId: event.subject, event, origin },
    };
  }
  return {
    outcome: 'dead_lettered',
    eventType: contractTypeOf(message.value),
    reason: parsed.rejection.reason,
    deadLetter: { ...origin, ...parsed.rejection, failedAt },
  };
}

/**
 * The contract type a rejected message claims, if any, for the per-type counters. Anything
 * else is counted in the totals only, so hostile input cannot grow the counters table.
 */
function contractTypeOf(value: Buffer | null): string | undefined {
  if (!value || value.length > 64 * 1024) return undefined;
  try {
    const type = (JSON.parse(value.toString('utf8')) as { type?: unknown }).type;
    return typeof type === 'string' && (InboundTypes as string[]).includes(type) ? type : undefined;
  } catch {
    return undefined;
  }
}
