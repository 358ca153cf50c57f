import { Body, Controller, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import type { ServerResponse as Response } from 'node:http';
import { Pool } from 'pg';
import { LedgerCommandMessage, Topics } from '@jifen/contracts';
import { EventStore, SERVICE_POOL, withTransaction } from '@jifen/event-store';
import { TransferPoints } from '@jifen/ledger';
import { ApiError, Roles } from '@jifen/platform';
import { enrolledAmong } from '../members/enrolment';
import { CommandOutcome, CommandOutcomes } from '../outcomes/command-outcomes';
import { TransferPointsDto } from './transfer-points.dto';

/** How long a request waits for both sides of a transfer before answering 202. */
export const transferWaitMs = 5_000;

export const transferOutCommandId = (transferId: string) => `transfer/${transferId}`;
/** The id accounts gives the recipient's credit command (see the commands consumer). */
export const transferInCommandId = (transferId: string) => `transfer-in/${transferId}`;

interface TransferRequest {
  transferId: string;
  fromMemberId: string;
  toMemberId: string;
  points: number;
  requestedAt: string;
}

export type TransferAnswer = Omit<TransferRequest, 'requestedAt'> &
  (
    | { status: 'completed'; transferOutEntryId: string; transferInEntryId: string }
    | { status: 'pending' }
    | { status: 'refused'; reason: string; detail: string }
  );

/**
 * Transfers between members (CONTRACT.md section 7). The request is stored and the sender's
 * `TransferPoints` command is written to the outbox in one transaction (no dual write); the
 * relay sends it keyed by the sender, so the sender's partition consumer is its only writer.
 * Its `PointsTransferredOut` event sends the recipient's credit command the same way. The
 * request waits for both outcomes: 201 with both ledger entry ids, 422 with the ledger's
 * refusal, or 202 `pending` with the status URL when they are not known within 5 s.
 */
@Controller('members/:memberId/transfers')
export class TransfersController {
  constructor(
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly outcomes: CommandOutcomes,
  ) {}

  @Post()
  @Roles('member-app')
  @HttpCode(201)
  async transfer(
    @Param('memberId') memberId: string,
    @Body() body: TransferPointsDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TransferAnswer> {
    let request = await this.request(body.transferId);
    if (!request) {
      const enrolled = await enrolledAmong(this.pool, [memberId, body.toMemberId]);
      for (const id of [memberId, body.toMemberId]) {
        if (!enrolled.has(id)) {
          throw new ApiError(404, 'unknown_member', `no member "${id}" is enrolled`);
        }
      }
      request = await this.send({
        transferId: body.transferId,
        fromMemberId: memberId,
        toMemberId: body.toMemberId,
        points: body.points,
        requestedAt: new Date().toISOString(),
      });
    }
    if (request.fromMemberId !== memberId) {
      throw new ApiError(
        409,
        'conflict',
        `transferId "${body.transferId}" belongs to another member's transfer; use a new one`,
      );
    }
    const answer = await this.answer(request, transferWaitMs);
    if (answer.status === 'refused') throw new ApiError(422, answer.reason, answer.detail);
    if (answer.status === 'pending') {
      response.statusCode = 202;
      response.setHeader(
        'Location',
        `/members/${encodeURIComponent(memberId)}/transfers/${encodeURIComponent(request.transferId)}`,
      );
    }
    return answer;
  }

  @Get(':transferId')
  @Roles('member-app', 'admin')
  async status(
    @Param('memberId') memberId: string,
    @Param('transferId') transferId: string,
  ): Promise<TransferAnswer> {
    const request = await this.request(transferId);
    if (!request || request.fromMemberId !== memberId) {
      throw new ApiError(404, 'not_found', `member "${memberId}" made no transfer "${transferId}"`);
    }
    return this.answer(request, 0);
  }

  /** Stores the request and its command in one transaction; a concurrent twin keeps the first. */
  private async send(request: TransferRequest): Promise<TransferRequest> {
    const command: TransferPoints = {
      type: 'TransferPoints',
      memberId: request.fromMemberId,
      sourceEventId: transferOutCommandId(request.transferId),
      time: request.requestedAt,
      transferId: request.transferId,
      toMemberId: request.toMemberId,
      points: request.points,
    };
    const message: LedgerCommandMessage = {
      kind: 'ledger',
      commandId: transferOutCommandId(request.transferId),
      memberId: request.fromMemberId,
      command,
    };
    const inserted = await withTransaction(this.pool, async (db) => {
      const { rowCount } = await db.query(
        `INSERT INTO transfer_requests
           (transfer_id, from_member_id, to_member_id, points, requested_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (transfer_id) DO NOTHING`,
        [
          request.transferId,
          request.fromMemberId,
          request.toMemberId,
          request.points,
          request.requestedAt,
        ],
      );
      if (rowCount === 0) return false;
      await this.store.enqueue(db, [
        { topic: Topics.commands, key: message.memberId, type: command.type, payload: message },
      ]);
      return true;
    });
    return inserted ? request : (await this.request(request.transferId))!;
  }

  private async request(transferId: string): Promise<TransferRequest | undefined> {
    const { rows } = await this.pool.query<{
      from_member_id: string;
      to_member_id: string;
      points: number;
      requested_at: Date;
    }>(
      `SELECT from_member_id, to_member_id, points, requested_at
       FROM transfer_requests WHERE transfer_id = $1`,
      [transferId],
    );
    const row = rows[0];
    return (
      row && {
        transferId,
        fromMemberId: row.from_member_id,
        toMemberId: row.to_member_id,
        points: row.points,
        requestedAt: row.requested_at.toISOString(),
      }
    );
  }

  private async answer(request: TransferRequest, waitMs: number): Promise<TransferAnswer> {
    const out = transferOutCommandId(request.transferId);
    const into = transferInCommandId(request.transferId);
    const found = await this.outcomes.waitFor(
      this.pool,
      [out, into],
      (f) => f.get(out)?.status === 'refused' || (f.has(out) && f.has(into)),
      waitMs,
    );
    const { requestedAt: _requestedAt, ...base } = request;
    const sent = found.get(out);
    const received = found.get(into);
    if (sent?.status === 'refused') {
      return { ...base, status: 'refused', reason: sent.reason, detail: sent.detail };
    }
    if (sent?.status === 'applied' && received?.status === 'applied') {
      return {
        ...base,
        status: 'completed',
        transferOutEntryId: entryIdOf(sent, 'PointsTransferredOut'),
        transferInEntryId: entryIdOf(received, 'PointsTransferredIn'),
      };
    }
    // The recipient's credit refused (it cannot be, for an enrolled recipient) stays pending:
    // the operator sees the consumer's error log.
    return { ...base, status: 'pending' };
  }
}

function entryIdOf(outcome: Extract<CommandOutcome, { status: 'applied' }>, type: string): string {
  const entry = outcome.events.find((event) => event.type === type);
  return entry?.entryId ?? '';
}
