import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Pool } from 'pg';
import { CommandCompletedEvent, Topics } from '@jifen/contracts';
import { Closing, prepared, SERVICE_POOL, withTransaction } from '@jifen/event-store';
import {
  BatchConsumer,
  createKafka,
  groupId,
  PartitionBatch,
  saveNextOffsets,
  unappliedBatches,
  topicName,
} from '@jifen/messaging';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { AllianceService } from '../alliance/alliance.service';
import { announceOutcomes } from './outcome-notices';
import { RedemptionsService } from './redemptions.service';
import { RedemptionRow } from './redemption-answer';

interface AccountsEvent {
  eventId: string;
  type: string;
  memberId: string;
  streamPosition?: number;
  data: { balanceAfter?: number } & Record<string, unknown>;
}

/**
 * Reads `loyalty.accounts.events.v1`: the outcomes of the saga's and the alliance's commands
 * move redemptions and settlement messages on,
 * and every ledger entry's `balanceAfter` keeps the members' available balances for the
 * catalogue's "what can I afford" filter. One transaction per batch with the next offset.
 */
@Injectable()
export class AccountsEventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccountsEventsConsumer.name);
  private consumer?: BatchConsumer;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    private readonly redemptions: RedemptionsService,
    private readonly alliance: AllianceService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new BatchConsumer({
      kafka: createKafka(this.config.kafka),
      groupId: groupId(this.config.kafka, 'jifen-redemption'),
      topics: [topicName(this.config.kafka, Topics.accountsEvents)],
      handle: (batches) => this.handle(batches),
    });
    await this.consumer.start();
    this.logger.log('following accounts events');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  private async handle(batches: PartitionBatch[]): Promise<void> {
    const now = new Date();
    const outcomes: string[] = [];
    const confirmed: RedemptionRow[] = [];
    await withTransaction(this.pool, async (db) => {
      const fresh = await unappliedBatches(db, batches);
      if (fresh.length === 0) return;
      const balances = new Map<string, { balance: number; position: number }>();
      const completed: CommandCompletedEvent[] = [];
      for (const message of fresh.flatMap((batch) => batch.messages)) {
        const event = JSON.parse(message.value!.toString('utf8')) as AccountsEvent;
        if (event.type === 'command.completed') {
          completed.push(event as unknown as CommandCompletedEvent);
        } else if (event.type === 'member.enrolled' && event.streamPosition !== undefined) {
          // Enrolled with nothing yet: partners may convert for this member.
          if (!balances.has(event.memberId))
            balances.set(event.memberId, { balance: 0, position: event.streamPosition });
        } else if (
          typeof event.data.balanceAfter === 'number' &&
          event.streamPosition !== undefined
        ) {
          balances.set(event.memberId, {
            balance: event.data.balanceAfter,
            position: event.streamPosition,
          });
        }
      }
      const applied = await this.redemptions.applyOutcomes(db, completed, now);
      outcomes.push(...applied.ids);
      confirmed.push(...applied.confirmed);
      for (const event of completed) await this.alliance.applyOutcome(db, event, now);
      const entries = [...balances];
      // The rest goes out with the COMMIT, in one write.
      return new Closing(undefined, () => [
        // Other instances' requests waiting on these redemptions learn of them at the commit.
        announceOutcomes(db, this.config.schema, outcomes),
        ...(entries.length > 0
          ? [
              db.query(
                prepared(
                  `INSERT INTO member_balances AS b (member_id, balance, stream_position)
                   SELECT n.member_id, n.balance, n.stream_position
                   FROM unnest($1::text[], $2::int[], $3::bigint[])
                     AS n(member_id, balance, stream_position)
                   ON CONFLICT (member_id) DO UPDATE SET balance = excluded.balance,
                     stream_position = excluded.stream_position
                   WHERE b.stream_position < excluded.stream_position`,
                  [
                    entries.map(([id]) => id),
                    entries.map(([, b]) => b.balance),
                    entries.map(([, b]) => b.position),
                  ],
                ),
              ),
            ]
          : []),
        saveNextOffsets(db, fresh),
      ]);
    });
    this.redemptions.outcomesCommitted(outcomes, confirmed);
  }
}
