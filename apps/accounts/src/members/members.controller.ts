import { Controller, DefaultValuePipe, Get, Inject, Param, Query } from '@nestjs/common';
import { Pool } from 'pg';
import { EventStore, SERVICE_POOL } from '@jifen/event-store';
import {
  ENTRY_KIND,
  evolve,
  initialState,
  LedgerEntry,
  LedgerEvent,
  MemberState,
  MemberView,
  memberView,
  toLedgerEntry,
} from '@jifen/ledger';
import { ApiError, Roles } from '@jifen/platform';
import { ProgramVersions } from '../rules/program-versions';
import { MemberSnapshotVersion, memberStreamId } from './member-streams';

const entryTypes = Object.keys(ENTRY_KIND);

/** A member's points as of the request, and their ledger (CONTRACT.md section 7). */
@Controller('members')
export class MembersController {
  constructor(
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly programs: ProgramVersions,
  ) {}

  /**
   * Time-dependent fields are as of the request, or as of `asOf` (RFC 3339) when given: an
   * extension to the contract that lets a caller compare two reads exactly.
   */
  @Get(':memberId')
  @Roles('member-app', 'admin')
  async member(
    @Param('memberId') memberId: string,
    @Query('asOf') asOf?: string,
  ): Promise<MemberView> {
    if (asOf !== undefined && Number.isNaN(Date.parse(asOf))) {
      throw new ApiError(400, 'invalid', 'asOf must be an RFC 3339 timestamp');
    }
    const { state } = await this.store.aggregateStream<MemberState, LedgerEvent>(
      this.pool,
      memberStreamId(memberId),
      { initialState, evolve, snapshotSchemaVersion: MemberSnapshotVersion },
    );
    const view = memberView(
      state,
      asOf ?? new Date().toISOString(),
      await this.programs.ledgerConfig(),
    );
    if (!view) throw unknownMember(memberId);
    return view;
  }

  @Get(':memberId/ledger')
  @Roles('member-app', 'admin')
  async ledger(
    @Param('memberId') memberId: string,
    @Query('limit', new DefaultValuePipe('50')) limitText: string,
    @Query('cursor') cursor?: string,
  ): Promise<{ entries: LedgerEntry[]; nextCursor: string | null }> {
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 500) {
      throw new ApiError(400, 'invalid', 'limit must be an integer from 1 to 500');
    }
    if (cursor !== undefined && !/^[1-9]\d{0,15}$/.test(cursor)) {
      throw new ApiError(
        400,
        'invalid',
        'cursor must be a value of nextCursor from an earlier page',
      );
    }
    const streamId = memberStreamId(memberId);
    // Newest first; the cursor is the stream position below which the next page starts.
    const { rows } = await this.pool.query<{
      stream_position: string;
      type: string;
      data: unknown;
    }>(
      // Ordered by the column, not by the text output of the same name ("10" < "9").
      `SELECT m.stream_position::text AS stream_position, m.type, m.data FROM messages m
       WHERE m.stream_id = $1 AND m.stream_position < $2 AND m.type = ANY($3::text[])
       ORDER BY m.stream_position DESC LIMIT $4`,
      [streamId, cursor ?? Number.MAX_SAFE_INTEGER, entryTypes, limit + 1],
    );
    if (
      rows.length === 0 &&
      cursor === undefined &&
      (await this.store.streamVersion(this.pool, streamId)) === 0
    ) {
      throw unknownMember(memberId);
    }
    const page = rows.slice(0, limit);
    return {
      entries: page.map((row) => toLedgerEntry({ type: row.type, data: row.data } as LedgerEvent)!),
      nextCursor: rows.length > limit ? page[page.length - 1].stream_position : null,
    };
  }
}

function unknownMember(memberId: string): ApiError {
  return new ApiError(404, 'unknown_member', `no member "${memberId}" is enrolled`);
}
