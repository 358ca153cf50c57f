import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import {
  AccountsCommandMessage,
  CommandCompletedEvent,
  DeadLetter,
  LedgerCommandMessage,
  RejectionReason,
  Topics,
} from '@jifen/contracts';
import {
  Closing,
  EventStore,
  ExpectedVersionConflict,
  OutboxEntry,
  SERVICE_POOL,
  Snapshot,
  StreamAppend,
  withTransaction,
} from '@jifen/event-store';
import {
  decision,
  LedgerCommand,
  LedgerEvent,
  LedgerRefusal,
  MemberState,
  referralBonusCommandFor,
  receiveTransferCommandFor,
} from '@jifen/ledger';
import {
  BatchConsumer,
  createKafka,
  groupId,
  IntakeMetrics,
  PartitionBatch,
  saveNextOffsets,
  saveTallies,
  Tally,
  topicName,
  unappliedBatches,
} from '@jifen/messaging';
import { METRICS_REGISTRY, SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { Gauge, Registry } from 'prom-client';
import {
  LoadedMember,
  MemberSnapshotVersion,
  MemberStreams,
  memberStreamId,
} from '../members/member-streams';
import { enrolledAmong } from '../members/enrolment';
import { CommandOutcome, CommandOutcomes, outcomeEvents } from '../outcomes/command-outcomes';
import { ProgramVersions } from '../rules/program-versions';
import { ProcessedCommands } from './processed-commands';
import { toLedgerCommand } from './to-ledger-command';

/** Snapshots are a cache: one is written when a stream has grown this much past the last. */
const snapshotEvery = 100;

/** Commands of other services whose refusal answers a member or a partner: not logged. */
const answeredByRefusal = new Set<LedgerCommand['type']>([
  'TransferPoints',
  'RedeemPoints',
  'ReservePoints',
  'CreditPartnerPoints',
  'DebitPartnerPoints',
]);

interface Applied {
  members: Map<string, LoadedMember>;
  tallies: Map<number, Tally>;
}

interface Decided {
  message: AccountsCommandMessage;
  key: { source: string; id: string };
  /** The counters of the message's partition. */
  tally: Tally;
}

/**
 * Applies `loyalty.internal.commands.v1` fetch by fetch (the batches of its partitions
 * together): for each command, load the member (cache, else snapshot + events), decide with
 * the ledger, and collect the new events. Then one transaction per fetch writes every
 * stream's events (compare-and-swap on the stream version; the relay publishes them as
 * integration events), the follow-up commands (outbox), the dead letters (outbox, so a crash
 * can neither lose nor add one), the processed command ids, the outcomes of internal commands
 * (which HTTP requests wait for), the counters and the next offsets. Only then are the Kafka
 * offsets committed. Each command is judged by the program version in force at its time, among
 * the versions published when the batch began.
 */
@Injectable()
export class CommandsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CommandsConsumer.name);
  private consumer?: BatchConsumer;
  private readonly members: MemberStreams;
  private readonly metrics: IntakeMetrics;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly processed: ProcessedCommands,
    private readonly outcomes: CommandOutcomes,
    private readonly programs: ProgramVersions,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    const members = new MemberStreams(store);
    this.members = members;
    this.metrics = new IntakeMetrics(registry);
    // The cache's two bounds at work (MemberStreams): what it holds when scraped.
    new Gauge({
      name: 'jifen_member_cache_members',
      help: "Member states in accounts' cache (at most 50,000)",
      registers: [registry],
      collect() {
        this.set(members.held.members);
      },
    });
    new Gauge({
      name: 'jifen_member_cache_events',
      help: 'The events the cached member states stand for (at most 2,000,000)',
      registers: [registry],
      collect() {
        this.set(members.held.events);
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const kafka = createKafka(this.config.kafka);
    this.consumer = new BatchConsumer({
      kafka,
      groupId: groupId(this.config.kafka, 'jifen-accounts'),
      topics: [topicName(this.config.kafka, Topics.commands)],
      handle: (batches) => this.handle(batches),
      onBatchDone: (done) => this.metrics.batchDone(done),
      // Another instance may have written these members while the partition was elsewhere.
      onGroupJoin: () => this.members.forget(),
    });
    await this.consumer.start();
    this.logger.log('applying commands');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  private async handle(batches: PartitionBatch[]): Promise<void> {
    let applied: Applied;
    try {
      applied = await withTransaction(this.pool, (db) => this.applyBatches(db, batches));
    } catch (error) {
      // The states the batch folded were not committed (and a version conflict means another
      // writer): start again from the store. The batch is retried by the BatchConsumer.
      this.members.forget();
      if (error instanceof ExpectedVersionConflict) this.logger.warn(error.message);
      throw error;
    }
    this.members.remember(applied.members);
    for (const tally of applied.tallies.values()) this.metrics.count(tally);
  }

  private async applyBatches(
    db: PoolClient,
    batches: PartitionBatch[],
  ): Promise<Applied | Closing<Applied>> {
    // Every read goes out at once (one round trip on the pipelining pool), for all the
    // fetch's messages: those of a batch delivered again are left out after.
    const received = batches.flatMap((batch) =>
      batch.messages.map((m) => JSON.parse(m.value!.toString('utf8')) as AccountsCommandMessage),
    );
    const [fresh, alreadyProcessed, referrers, config, members] = await Promise.all([
      unappliedBatches(db, batches),
      this.processed.find(db, received.map(commandKey)),
      enrolledAmong(db, referrerIdsOf(received)),
      this.programs.ledgerConfig(db),
      this.members.load(
        db,
        received.map((c) => c.memberId),
      ),
    ]);
    const tallies = new Map<number, Tally>();
    if (fresh.length === 0) return { members: new Map(), tallies };

    const decoded = new Map(batches.flatMap((b) => b.messages).map((m, i) => [m, received[i]]));
    const decided: Decided[] = fresh.flatMap(({ partition, messages }) => {
      const tally = new Tally();
      tallies.set(partition, tally);
      return messages.map((m) => {
        const message = decoded.get(m)!;
        return { message, key: commandKey(message), tally };
      });
    });

    const newEvents = new Map<string, LedgerEvent[]>();
    const followUps: OutboxEntry[] = [];
    const processedNow: Array<{ source: string; id: string }> = [];
    const outcomes: CommandOutcome[] = [];
    const failedAt = new Date().toISOString();

    for (const { message, key, tally } of decided) {
      const inboundType = message.kind === 'inbound' ? message.event.type : undefined;
      if (inboundType) tally.add(inboundType, 'received');
      const seen = `${key.source}\u0000${key.id}`;
      if (alreadyProcessed.has(seen)) {
        if (inboundType) tally.add(inboundType, 'duplicates');
        continue;
      }
      const member = members.get(message.memberId)!;
      const command = toCommand(
        message,
        (referrerId) =>
          referrers.has(referrerId) || members.get(referrerId)?.state.status === 'enrolled',
      );
      let events: LedgerEvent[];
      let after: MemberState;
      try {
        ({ events, state: after } = decision(command, member.state, config));
      } catch (error) {
        if (!(error instanceof LedgerRefusal)) throw error;
        if (message.kind !== 'inbound') {
          // A transfer's, a redemption's or a partner conversion's refusal is the answer to
          // the member or the partner (insufficient points, a member not enrolled); any other
          // command of ours that the ledger refuses is a bug to look at, not input to retry.
          if (!answeredByRefusal.has(command.type)) {
            this.logger.error(
              `command ${message.commandId} refused: ${error.reason}: ${error.message}`,
            );
          }
          alreadyProcessed.add(seen);
          processedNow.push(key);
          outcomes.push({
            commandId: message.commandId,
            memberId: message.memberId,
            status: 'refused',
            reason: error.reason,
            detail: error.message,
          });
          continue;
        }
        tally.add(inboundType, `dead_lettered:${error.reason as RejectionReason}`);
        followUps.push(deadLetterEntry(message, error, failedAt));
        continue;
      }
      alreadyProcessed.add(seen);
      processedNow.push(key);
      if (inboundType) tally.add(inboundType, 'applied');
      if (message.kind === 'ledger') {
        outcomes.push({
          commandId: message.commandId,
          memberId: message.memberId,
          status: 'applied',
          events: outcomeEvents(events),
        });
      }
      if (events.length === 0) continue;
      member.state = after;
      newEvents.set(message.memberId, [...(newEvents.get(message.memberId) ?? []), ...events]);
      followUps.push(...events.flatMap((event) => followUpCommands(message.memberId, event)));
    }

    const appends: StreamAppend<LedgerEvent>[] = [...newEvents].map(([memberId, events]) => ({
      streamId: memberStreamId(memberId),
      expectedVersion: members.get(memberId)!.version,
      events,
    }));
    const snapshots: Snapshot<MemberState>[] = [];
    for (const [memberId, events] of newEvents) {
      const member = members.get(memberId)!;
      member.version += events.length;
      if (member.version - member.snapshotAt >= snapshotEvery) {
        snapshots.push({
          streamId: memberStreamId(memberId),
          streamPosition: member.version,
          schemaVersion: MemberSnapshotVersion,
          state: member.state,
        });
        member.snapshotAt = member.version;
      }
    }
    // Every write goes out with the COMMIT, in one write to the socket, and runs in this order:
    // the events, then the follow-up commands, then the outcomes' events (the relay publishes
    // a transaction's events before its outbox rows).
    return new Closing({ members, tallies }, () => [
      // The relay publishes these events as integration events (integrationOutboxEntry).
      this.store.appendMany(db, appends),
      this.store.enqueue(db, followUps),
      this.processed.insert(db, processedNow),
      this.outcomes.record(db, outcomes),
      // The sender of a ledger command (redemption's saga) learns its outcome as an event.
      this.store.enqueue(
        db,
        outcomes.map((outcome) => commandCompleted(outcome, failedAt)),
      ),
      saveTallies(db, tallies),
      saveNextOffsets(db, fresh),
      this.store.saveSnapshots(db, snapshots),
    ]);
  }
}

/** The referrers named by the batch's sign-ups: whether each is enrolled decides `unknown_referrer`. */
function referrerIdsOf(commands: AccountsCommandMessage[]): string[] {
  return commands.flatMap((c) =>
    c.kind === 'inbound' && c.event.type === 'member.signed_up' && c.event.data.referrerId
      ? [c.event.data.referrerId]
      : [],
  );
}

function commandKey(message: AccountsCommandMessage): { source: string; id: string } {
  return message.kind === 'inbound'
    ? { source: message.event.source, id: message.event.id }
    : { source: 'jifen', id: message.commandId };
}

function toCommand(
  message: AccountsCommandMessage,
  referrerEnrolled: (id: string) => boolean,
): LedgerCommand {
  return message.kind === 'inbound'
    ? toLedgerCommand(message.event, referrerEnrolled)
    : message.command;
}

/** Commands for other members' streams that an event calls for, sent through the outbox. */
function followUpCommands(memberId: string, event: LedgerEvent): OutboxEntry[] {
  let message: LedgerCommandMessage | undefined;
  if (event.type === 'ReferrerBonusDue') {
    const command = referralBonusCommandFor(event);
    message = {
      kind: 'ledger',
      commandId: `referral/${event.data.refereeId}/${event.data.trigger}`,
      memberId: command.memberId,
      command,
    };
  } else if (event.type === 'PointsTransferredOut') {
    const command = receiveTransferCommandFor(memberId, event);
    message = {
      kind: 'ledger',
      commandId: `transfer-in/${event.data.transferId}`,
      memberId: command.memberId,
      command,
    };
  }
  return message
    ? [
        {
          topic: Topics.commands,
          key: message.memberId,
          type: message.command.type,
          payload: message,
        },
      ]
    : [];
}

function commandCompleted(outcome: CommandOutcome, occurredAt: string): OutboxEntry {
  const event: CommandCompletedEvent = {
    eventId: `command/${outcome.commandId}`,
    type: 'command.completed',
    memberId: outcome.memberId,
    occurredAt,
    data:
      outcome.status === 'applied'
        ? { commandId: outcome.commandId, status: 'applied', entries: outcome.events }
        : {
            commandId: outcome.commandId,
            status: 'refused',
            reason: outcome.reason,
            detail: outcome.detail,
          },
  };
  return { topic: Topics.accountsEvents, key: outcome.memberId, type: event.type, payload: event };
}

function deadLetterEntry(
  message: Extract<AccountsCommandMessage, { kind: 'inbound' }>,
  refusal: LedgerRefusal,
  failedAt: string,
): OutboxEntry {
  const deadLetter: DeadLetter = {
    ...message.origin,
    reason: refusal.reason as RejectionReason,
    detail: refusal.message,
    failedAt,
  };
  return {
    topic: Topics.inboundDlq,
    key: message.origin.key ?? message.memberId,
    type: 'dead_letter',
    payload: deadLetter,
  };
}
