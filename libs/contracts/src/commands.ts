import { InboundEvent } from './inbound/parse';
import { InboundOrigin } from './inbound/reasons';

/**
 * Commands on `loyalty.internal.commands.v1`, keyed by member id, so that one partition's
 * consumer in accounts is the only writer of a member's stream. Every change to a member
 * arrives this way; `kind` says which.
 */
export type AccountsCommandMessage = InboundCommandMessage;

/** An inbound event that passed ingestion's checks, to be applied by accounts. */
export interface InboundCommandMessage {
  kind: 'inbound';
  memberId: string;
  event: InboundEvent;
  /** Where the event was read, so accounts can dead-letter it in the contract's shape. */
  origin: InboundOrigin;
}
