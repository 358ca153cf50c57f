import { Inject, Injectable, Logger } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { CommandCompletedEvent, LedgerCommandMessage, Topics } from '@jifen/contracts';
import { EventStore, OutboxEntry, SERVICE_POOL, withTransaction } from '@jifen/event-store';
import { LedgerCommand, localDay, PartnerTerms, programAt, RETAIL_CHAIN } from '@jifen/ledger';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import {
  AllianceReason,
  checkMessage,
  ConversionMessage,
  PartnerStatementMessage,
} from './settlement-message';
import { signed } from './signature';

interface MessageRow {
  partner_id: string;
  message_id: string;
  type: 'credit' | 'debit';
  member_id: string;
  points: number;
  settlement_minor: string;
  status: 'pending' | 'accepted' | 'rejected';
  reason: string | null;
  entry_id: string | null;
}

export interface PartnerStatement {
  partnerId: string;
  date: string;
  /** Points the partner converted into ours: the partner owes us their settlement price. */
  credits: { count: number; points: number; owedToUsMinor: number };
  /** Points our members converted into the partner's units: we owe the partner. */
  debits: { count: number; points: number; owedByUsMinor: number };
  /** Positive: the partner owes us; negative: we owe the partner. */
  netMinor: number;
  settledMessageIds: string[];
  pendingMessageIds: string[];
  rejected: Array<{ messageId: string | null; reason: string; detail: string }>;
  /** Present once the partner sent its own statement for the day. */
  partnerStatement?: {
    messageId: string;
    settledMessageIds: string[];
    sums: Record<string, unknown> | null;
    /** Settled here, absent from the partner's list. */
    missingAtPartner: string[];
    /** In the partner's list, not settled here. */
    unknownHere: string[];
  };
}

/**
 * Points-alliance settlement: verifies partners' signed messages in the contract's order,
 * turns accepted conversions into commands for accounts (a member's only writer), and answers
 * every message with a signed acknowledgement once its outcome is known. Rejections change
 * nothing and are kept for the partner's reconciliation.
 */
@Injectable()
export class AllianceService {
  private readonly logger = new Logger(AllianceService.name);

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    private readonly store: EventStore,
  ) {}

  partners(now = new Date()): readonly PartnerTerms[] {
    return programAt(RETAIL_CHAIN, now.toISOString()).partners ?? [];
  }

  /** One inbound message, inside the consumer's batch transaction. */
  async receive(db: PoolClient, value: Buffer | null, now: Date): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(value?.toString('utf8') ?? '');
    } catch {
      body = undefined;
    }
    const checked = checkMessage(body, this.partners(now), this.config.partnerSecrets);
    if (!checked.ok) {
      // Reconciliation lists a rejection under the day the message claims, when it has one.
      const day = this.dayOf((body as { occurredAt?: unknown } | undefined)?.occurredAt);
      await this.reject(
        db,
        checked.partnerId,
        checked.messageId,
        day,
        checked.reason,
        checked.detail,
        now,
      );
      return;
    }
    if (checked.message.type === 'statement') {
      await this.recordPartnerStatement(db, checked.message, now);
      return;
    }
    await this.receiveConversion(db, checked.message, checked.partner, now);
  }

  private async receiveConversion(
    db: PoolClient,
    m: ConversionMessage,
    partner: PartnerTerms,
    now: Date,
  ) {
    const day = this.dayOf(m.occurredAt)!;
    const refuse = (reason: AllianceReason, detail: string) =>
      this.reject(db, m.partnerId, m.messageId, day, reason, detail, now);

    // No `unknown_member` check here: redemption's copy of the members trails accounts'
    // events by a moment, and a member it has not heard of may have enrolled just now.
    // Accounts, which keeps the ledger, decides (`unknown_member` and, for a debit,
    // `insufficient_points`, in the contract's order), and its outcome answers the partner.
    // Refused here, a conversion for a member who enrolled a second before was lost (about one
    // credit in six in the demo).
    const { rows: used } = await db.query<{ points: string }>(
      `SELECT coalesce(sum(points), 0)::text AS points FROM alliance_messages
       WHERE partner_id = $1 AND member_id = $2 AND type = $3 AND day = $4 AND status <> 'rejected'
         AND message_id <> $5`,
      [m.partnerId, m.memberId, m.type, day, m.messageId],
    );
    if (Number(used[0].points) + m.points > partner.dailyLimitPoints) {
      return refuse(
        'over_limit',
        `${m.partnerId} converts at most ${partner.dailyLimitPoints} points per member per day each way; ${used[0].points} already on ${day}`,
      );
    }
    // A debit beyond the last balance accounts announced is refused at once; with none known
    // yet, accounts decides. Only a debit needs the balance.
    if (m.type === 'debit') {
      const { rows: members } = await db.query<{ balance: number }>(
        'SELECT balance FROM member_balances WHERE member_id = $1',
        [m.memberId],
      );
      if (members.length > 0 && m.points > members[0].balance) {
        return refuse(
          'insufficient_points',
          `${m.points} points asked, ${members[0].balance} available`,
        );
      }
    }
    const inserted = await db.query(
      `INSERT INTO alliance_messages (partner_id, message_id, type, member_id, partner_member_ref, points,
         partner_units, rate, settlement_minor, occurred_at, day, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending')
       ON CONFLICT (partner_id, message_id) DO NOTHING`,
      [
        m.partnerId,
        m.messageId,
        m.type,
        m.memberId,
        m.partnerMemberRef,
        m.points,
        m.partnerUnits,
        m.rate,
        m.points * partner.settlementMinorPerPoint,
        m.occurredAt,
        day,
      ],
    );
    if (inserted.rowCount === 0)
      return refuse('duplicate_message', `message "${m.messageId}" was received before`);

    const base = {
      memberId: m.memberId,
      sourceEventId: `alliance/${m.partnerId}/${m.messageId}`,
      time: m.occurredAt,
      partnerId: m.partnerId,
      messageId: `${m.partnerId}/${m.messageId}`,
      points: m.points,
    };
    const command: LedgerCommand =
      m.type === 'credit'
        ? { ...base, type: 'CreditPartnerPoints' }
        : { ...base, type: 'DebitPartnerPoints' };
    const message: LedgerCommandMessage = {
      kind: 'ledger',
      commandId: `alliance/${m.partnerId}/${m.messageId}`,
      memberId: m.memberId,
      command,
    };
    await this.store.enqueue(db, [
      { topic: Topics.commands, key: m.memberId, type: command.type, payload: message },
    ]);
  }

  /** Accounts' outcome of a conversion: settle or reject it, and acknowledge it. */
  async applyOutcome(db: PoolClient, event: CommandCompletedEvent, now: Date): Promise<void> {
    const match = /^alliance\/([^/]+)\/(.+)$/.exec(event.data.commandId);
    if (!match) return;
    const [, partnerId, messageId] = match;
    const { rows } = await db.query<MessageRow>(
      `SELECT * FROM alliance_messages WHERE partner_id = $1 AND message_id = $2 FOR UPDATE`,
      [partnerId, messageId],
    );
    const row = rows[0];
    if (!row || row.status !== 'pending') return;
    if (event.data.status === 'applied') {
      const entryId = event.data.entries?.find((e) => e.entryId)?.entryId ?? null;
      await db.query(
        `UPDATE alliance_messages SET status = 'accepted', entry_id = $3 WHERE partner_id = $1 AND message_id = $2`,
        [partnerId, messageId, entryId],
      );
      await this.store.enqueue(
        db,
        this.ack(partnerId, messageId, now, { status: 'accepted', entryId, points: row.points }),
      );
    } else {
      const reason = event.data.reason ?? 'rejected';
      const detail = event.data.detail ?? 'accounts refused the conversion';
      await db.query(
        `UPDATE alliance_messages SET status = 'rejected', reason = $3, detail = $4 WHERE partner_id = $1 AND message_id = $2`,
        [partnerId, messageId, reason, detail],
      );
      await this.store.enqueue(
        db,
        this.ack(partnerId, messageId, now, { status: 'rejected', reason, detail }),
      );
    }
  }

  async statement(partnerId: string, date: string): Promise<PartnerStatement | undefined> {
    if (!this.partners().some((p) => p.partnerId === partnerId)) return undefined;
    const { rows } = await this.pool.query<MessageRow & { detail: string | null }>(
      `SELECT * FROM alliance_messages WHERE partner_id = $1 AND day = $2 ORDER BY received_at, message_id`,
      [partnerId, date],
    );
    const { rows: rejections } = await this.pool.query<{
      message_id: string | null;
      reason: string;
      detail: string;
    }>(
      `SELECT message_id, reason, detail FROM alliance_rejections WHERE partner_id = $1 AND day = $2 ORDER BY id`,
      [partnerId, date],
    );
    const accepted = rows.filter((r) => r.status === 'accepted');
    const sum = (type: 'credit' | 'debit') => {
      const of = accepted.filter((r) => r.type === type);
      return {
        count: of.length,
        points: of.reduce((a, r) => a + r.points, 0),
        minor: of.reduce((a, r) => a + Number(r.settlement_minor), 0),
      };
    };
    const credits = sum('credit');
    const debits = sum('debit');
    const settledMessageIds = accepted.map((r) => r.message_id);
    const report: PartnerStatement = {
      partnerId,
      date,
      credits: { count: credits.count, points: credits.points, owedToUsMinor: credits.minor },
      debits: { count: debits.count, points: debits.points, owedByUsMinor: debits.minor },
      netMinor: credits.minor - debits.minor,
      settledMessageIds,
      pendingMessageIds: rows.filter((r) => r.status === 'pending').map((r) => r.message_id),
      rejected: [
        ...rows
          .filter((r) => r.status === 'rejected')
          .map((r) => ({
            messageId: r.message_id,
            reason: r.reason ?? 'rejected',
            detail: r.detail ?? '',
          })),
        ...rejections.map((r) => ({ messageId: r.message_id, reason: r.reason, detail: r.detail })),
      ],
    };
    const { rows: theirs } = await this.pool.query<{
      message_id: string;
      message_ids: string[];
      sums: Record<string, unknown> | null;
    }>(
      `SELECT message_id, message_ids, sums FROM alliance_partner_statements WHERE partner_id = $1 AND day = $2`,
      [partnerId, date],
    );
    if (theirs[0]) {
      const theirIds = new Set(theirs[0].message_ids);
      const ours = new Set(settledMessageIds);
      report.partnerStatement = {
        messageId: theirs[0].message_id,
        settledMessageIds: theirs[0].message_ids,
        sums: theirs[0].sums,
        missingAtPartner: settledMessageIds.filter((id) => !theirIds.has(id)),
        unknownHere: theirs[0].message_ids.filter((id) => !ours.has(id)),
      };
    }
    return report;
  }

  /** Publishes our signed statement of a day to the partner (outbound topic). */
  async publishStatement(
    partnerId: string,
    date: string,
    now = new Date(),
    db: Pool | PoolClient = this.pool,
  ): Promise<PartnerStatement | undefined> {
    const report = await this.statement(partnerId, date);
    const secret = this.config.partnerSecrets[partnerId];
    if (!report || secret === undefined) return undefined;
    const message = signed(
      {
        messageId: `statement/${partnerId}/${date}`,
        partnerId,
        type: 'statement',
        date,
        messageIds: report.settledMessageIds,
        sums: {
          creditPoints: report.credits.points,
          creditMinor: report.credits.owedToUsMinor,
          debitPoints: report.debits.points,
          debitMinor: report.debits.owedByUsMinor,
          netMinor: report.netMinor,
        },
        occurredAt: now.toISOString(),
      },
      secret,
    );
    await this.store.enqueue(db, [
      { topic: Topics.allianceOutbound, key: partnerId, type: 'statement', payload: message },
    ]);
    return report;
  }

  /**
   * Each partner's signed statement of the last program day, once that day has been over for
   * `graceMs` (late messages settle first). Once across instances: the day is claimed in
   * `alliance_statements_sent` in the transaction that enqueues the statement.
   */
  async publishDailyStatements(now: Date, graceMs = 30 * 60_000): Promise<string[]> {
    const day = localDay(
      new Date(now.getTime() - graceMs - 24 * 3_600_000).toISOString(),
      this.config.timezone,
    );
    const sent: string[] = [];
    for (const partner of this.partners(now)) {
      if (this.config.partnerSecrets[partner.partnerId] === undefined) continue;
      const claimed = await withTransaction(this.pool, async (db) => {
        const { rowCount } = await db.query(
          `INSERT INTO alliance_statements_sent (partner_id, day) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
          [partner.partnerId, day],
        );
        if (rowCount === 0) return false;
        await this.publishStatement(partner.partnerId, day, now, db);
        return true;
      });
      if (claimed) sent.push(partner.partnerId);
    }
    return sent;
  }

  private async recordPartnerStatement(db: PoolClient, m: PartnerStatementMessage, now: Date) {
    await db.query(
      `INSERT INTO alliance_partner_statements (partner_id, day, message_id, message_ids, sums)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb)
       ON CONFLICT (partner_id, day) DO UPDATE SET message_id = excluded.message_id,
         message_ids = excluded.message_ids, sums = excluded.sums, received_at = now()`,
      [
        m.partnerId,
        m.date,
        m.messageId,
        JSON.stringify(m.messageIds),
        m.sums === undefined ? null : JSON.stringify(m.sums),
      ],
    );
    await this.store.enqueue(db, this.ack(m.partnerId, m.messageId, now, { status: 'accepted' }));
  }

  private async reject(
    db: PoolClient,
    partnerId: string | undefined,
    messageId: string | undefined,
    day: string | null,
    reason: AllianceReason,
    detail: string,
    now: Date,
  ): Promise<void> {
    await db.query(
      `INSERT INTO alliance_rejections (partner_id, message_id, day, reason, detail) VALUES ($1, $2, $3, $4, $5)`,
      [
        partnerId ?? null,
        messageId ?? null,
        day ?? localDay(now.toISOString(), this.config.timezone),
        reason,
        detail,
      ],
    );
    // Only a partner we hold a key for can be answered with a signature.
    if (
      partnerId &&
      messageId &&
      this.config.partnerSecrets[partnerId] !== undefined &&
      this.partners(now).some((p) => p.partnerId === partnerId)
    ) {
      await this.store.enqueue(
        db,
        this.ack(partnerId, messageId, now, { status: 'rejected', reason, detail }),
      );
    } else {
      this.logger.warn(`alliance message rejected without acknowledgement: ${reason}`);
    }
  }

  /** The program-time day of a message's `occurredAt`; null when it has none. */
  private dayOf(occurredAt: unknown): string | null {
    const ms = typeof occurredAt === 'string' ? Date.parse(occurredAt) : NaN;
    return Number.isNaN(ms) ? null : localDay(new Date(ms).toISOString(), this.config.timezone);
  }

  private ack(
    partnerId: string,
    inReplyTo: string,
    now: Date,
    outcome: Record<string, unknown>,
  ): OutboxEntry[] {
    const message = signed(
      {
        messageId: `ack/${partnerId}/${inReplyTo}`,
        partnerId,
        type: 'ack',
        inReplyTo,
        ...outcome,
        occurredAt: now.toISOString(),
      },
      this.config.partnerSecrets[partnerId],
    );
    return [{ topic: Topics.allianceOutbound, key: partnerId, type: 'ack', payload: message }];
  }
}
