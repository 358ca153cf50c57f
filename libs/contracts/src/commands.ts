import type { LedgerCommand } from '@jifen/ledger';
import { InboundEvent } from './inbound/parse';
import { InboundOrigin } from './inbound/reasons';

/**
 * Commands on `loyalty.internal.commands.v1`, keyed by member id, so that one partition's
 * consumer in accounts is the only writer of a member's stream. Every change to a member
 * arrives this way; `kind` says which.
 */
export type AccountsCommandMessage = InboundCommandMessage | LedgerCommandMessage;

/** An inbound event that passed ingestion's checks, to be applied by accounts. */
export interface InboundCommandMessage {
  kind: 'inbound';
  memberId: string;
  event: InboundEvent;
  /** Where the event was read, so accounts can dead-letter it in the contract's shape. */
  origin: InboundOrigin;
}

/**
 * A command accounts or another service issues for a member's stream (a referrer's bonus, a
 * transfer's credit, a reservation). `commandId` is unique per command and de-duplicates it.
 */
export interface LedgerCommandMessage {
  kind: 'ledger';
  commandId: string;
  memberId: string;
  command: LedgerCommand;
}

/**
 * On `loyalty.accounts.events.v1`: the outcome of a `ledger` command, for the service that sent
 * it (redemption's saga). `eventId` is `command/<commandId>`.
 */
export interface CommandCompletedEvent {
  eventId: string;
  type: 'command.completed';
  memberId: string;
  occurredAt: string;
  data: {
    commandId: string;
    status: 'applied' | 'refused';
    /** The contract's reason code when refused (e.g. insufficient_points). */
    reason?: string;
    detail?: string;
    /** The ledger entries the command wrote, when applied. */
    entries?: Array<{ type: string; entryId?: string; points?: number }>;
  };
}
