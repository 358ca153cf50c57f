import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import {
  CommandCompletedEvent,
  LedgerCommandMessage,
  RedemptionEvent,
  RedemptionEventType,
  Topics,
} from '@jifen/contracts';
import {
  Closing,
  EventStore,
  OutboxEntry,
  prepared,
  sendTogether,
  SERVICE_POOL,
  withTransaction,
} from '@jifen/event-store';
import { LedgerCommand } from '@jifen/ledger';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { CatalogueService, stillAt } from '../catalogue/catalogue.service';
import { answerOf, isSettled, RedemptionAnswer, RedemptionRow } from './redemption-answer';
import { CatalogueItem, price, RedemptionRequest } from './pricing';

type Step = 'redeem' | 'reserve' | 'confirm' | 'release';

/** The status a row has while it waits for each step's outcome. */
const expectedStatus: Record<Step, RedemptionRow['status']> = {
  redeem: 'pending',
  reserve: 'pending',
  confirm: 'confirming',
  release: 'releasing',
};

/**
 * The columns of a RedemptionRow, named: a prepared statement's result columns must not change
 * under it (`r.*` would, at the next migration that adds a column).
 */
const rowColumns = [
  'redemption_id',
  'member_id',
  'mode',
  'item_id',
  'order_id',
  'points',
  'cash_due_minor',
  'unit_cost_minor',
  'status',
  'reason',
  'detail',
  'stock_taken',
  'payment_due_at',
];

/** Redemption rows with their item's category; a WHERE clause follows. */
const selectRows = `SELECT ${rowColumns.map((c) => `r.${c}`).join(', ')}, c.category
  FROM redemptions r LEFT JOIN catalogue_items c ON c.item_id = r.item_id`;

const selectRow = `${selectRows} WHERE r.redemption_id = $1`;

/**
 * The redemption saga. Every step is a row change and a command to accounts written in one
 * transaction (the command leaves through the outbox); every outcome arrives as accounts'
 * `command.completed` event and moves the row on. Nothing is asked of accounts outside a
 * transaction, and a crash between steps resumes from the row.
 */
@Injectable()
export class RedemptionsService {
  /** How long an HTTP call waits for the outcome before answering 202 pending. */
  readonly waitMs: number;
  readonly paymentTimeoutMs: number;

  constructor(
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    private readonly store: EventStore,
    private readonly catalogue: CatalogueService,
  ) {
    this.waitMs = config.requestWaitMs;
    this.paymentTimeoutMs = config.paymentTimeoutMs;
  }

  /** Starts a redemption, or returns the first one's answer for a repeated `redemptionId`. */
  async request(
    redemptionId: string,
    memberId: string,
    request: RedemptionRequest,
  ): Promise<RedemptionAnswer> {
    const now = new Date();
    // Listening from before the commit, so a new redemption is not read back at once: it is
    // pending until its outcome's commit wakes this request (or a second passes).
    const woken = this.wakeUpFor(redemptionId, Math.min(1_000, this.waitMs));
    let started: boolean | 'stale';
    try {
      started = await this.start(redemptionId, memberId, request, now, true);
      if (started === 'stale') started = await this.start(redemptionId, memberId, request, now);
    } catch (error) {
      woken.cancel();
      throw error;
    }
    if (started !== true) {
      woken.cancel();
      return this.waitForAnswer(redemptionId);
    }
    const settled = await woken.promise;
    return settled ? answerOf(settled) : this.waitForAnswer(redemptionId);
  }

  /**
   * Prices the request and writes its row, with the saga's first command and event when it is
   * priced. True when this call started the saga; false when the row is refused or was there
   * already; 'stale' when the remembered item it was priced from had changed, and nothing was
   * written (the caller prices it again from the item as it is now).
   */
  private async start(
    redemptionId: string,
    memberId: string,
    request: RedemptionRequest,
    now: Date,
    mayRemember = false,
  ): Promise<boolean | 'stale'> {
    const itemId = request.mode === 'cash_offset' ? null : request.itemId;
    const read = itemId ? await this.catalogue.forPricing(itemId, mayRemember) : undefined;
    const item = read?.item;
    const result = price(request, item, now);
    const priced = result.ok ? result.priced : undefined;
    const row: RedemptionRow = {
      redemption_id: redemptionId,
      member_id: memberId,
      mode: request.mode,
      item_id: itemId,
      order_id: request.mode === 'cash_offset' ? request.orderId : null,
      points: priced?.points ?? ('points' in request ? request.points : 0),
      cash_due_minor: String(priced?.cashDueMinor ?? 0),
      unit_cost_minor: String(priced?.unitCostMinor ?? 0),
      status: result.ok ? 'pending' : 'refused',
      reason: result.ok ? null : result.refusal.reason,
      detail: result.ok ? null : result.refusal.detail,
      stock_taken: false,
      payment_due_at: null,
      category: item?.category ?? null,
    };
    // The row first: a concurrent request with the same id waits on it, then finds it. Priced
    // from a remembered item, it is written only if the item is still as remembered.
    const insert = prepared(
      `INSERT INTO redemptions (redemption_id, member_id, mode, item_id, order_id, points,
         cash_due_minor, unit_cost_minor, status, reason, detail, stock_taken)
       SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::integer, $7::bigint,
         $8::bigint, $9::text, $10::text, $11::text, false
       WHERE ${stillAt('$4', '$12')}
       ON CONFLICT (redemption_id) DO NOTHING RETURNING redemption_id`,
      [
        row.redemption_id,
        row.member_id,
        row.mode,
        row.item_id,
        row.order_id,
        row.points,
        row.cash_due_minor,
        row.unit_cost_minor,
        row.status,
        row.reason,
        row.detail,
        read?.remembered ? read.version : null,
      ],
    );
    const step: Step = priced?.mode === 'points_plus_cash' ? 'reserve' : 'redeem';
    // Items with stock are never remembered (CatalogueService), so this one was just read.
    if (priced?.takesStock) {
      return this.startTakingStock(insert, { ...row, stock_taken: true }, item!, step, now);
    }
    // The row, the saga's first command and its event in one statement: one round trip, no
    // transaction (three writes to PostgreSQL before, a quarter of redemption's CPU under 50
    // clients on one member).
    const entries = priced ? this.firstEntries(row, step, now) : [];
    const inserted = await this.store.insertThenEnqueue(this.pool, insert, entries);
    if (inserted.length > 0) return priced !== undefined;
    if (read?.remembered) {
      // Changed since remembered, or a repeated id: priced again from the item as read now,
      // the row either goes in or was there already.
      this.catalogue.forget(read.item.itemId);
      return 'stale';
    }
    return false;
  }

  /** The saga's first command to accounts and its `redemption.requested` event. */
  private firstEntries(row: RedemptionRow, step: Step, now: Date): OutboxEntry[] {
    return [this.command(row, step, now), this.event(row, 'redemption.requested', now)];
  }

  /**
   * A redemption of an item with stock: the row, then one unit taken (or the row refused as
   * out of stock), then the saga's first command and event, in one transaction.
   */
  private startTakingStock(
    insert: { text: string; values: unknown[] },
    row: RedemptionRow,
    item: CatalogueItem,
    step: Step,
    now: Date,
  ): Promise<boolean> {
    return withTransaction(this.pool, async (db) => {
      if ((await db.query(insert)).rowCount === 0) return false;
      if (!(await this.catalogue.takeOne(db, item.itemId))) {
        await this.refuse(db, row.redemption_id, 'out_of_stock', `"${item.name}" is out of stock`);
        return false;
      }
      await db.query(`UPDATE redemptions SET stock_taken = true WHERE redemption_id = $1`, [
        row.redemption_id,
      ]);
      // The saga's first command and event go out with the COMMIT, in one write.
      return new Closing(true, () => [this.store.enqueue(db, this.firstEntries(row, step, now))]);
    });
  }

  /** `POST /redemptions/{id}/payment`: confirms a points + cash redemption, or cancels it. */
  async pay(redemptionId: string, paid: boolean): Promise<RedemptionAnswer | undefined> {
    const found = await withTransaction(this.pool, async (db) => {
      const row = await this.row(db, redemptionId, true);
      if (!row) return false;
      if (row.status !== 'awaiting_payment') return true;
      await this.move(db, row, paid ? 'confirming' : 'releasing', paid ? null : 'payment_failed');
      await this.store.enqueue(db, [this.command(row, paid ? 'confirm' : 'release', new Date())]);
      return true;
    });
    return found ? this.waitForAnswer(redemptionId) : undefined;
  }

  async answer(redemptionId: string): Promise<RedemptionAnswer | undefined> {
    const row = await this.row(this.pool, redemptionId);
    return row && answerOf(row);
  }

  /**
   * Applies accounts' outcomes of the saga's commands, in order; repeated outcomes change
   * nothing. The rows are read and locked in one query, and the common end (confirmed) is
   * written for all of them at once: a member redeeming 50 at a time sent 150 statements.
   * Answers the ids of the redemptions the outcomes were for, and the confirmed rows as the
   * transaction leaves them (the waiting requests answer with them instead of reading again).
   */
  async applyOutcomes(
    db: PoolClient,
    events: CommandCompletedEvent[],
    now: Date,
  ): Promise<{ ids: string[]; confirmed: RedemptionRow[] }> {
    const outcomes = events.flatMap((event) => {
      const match = /^redemption\/(.+)\/(redeem|reserve|confirm|release)$/.exec(
        event.data.commandId,
      );
      return match ? [{ event, redemptionId: match[1], step: match[2] as Step }] : [];
    });
    if (outcomes.length === 0) return { ids: [], confirmed: [] };
    const ids = [...new Set(outcomes.map((o) => o.redemptionId))];
    const { rows: locked } = await db.query<RedemptionRow>(
      `${selectRows} WHERE r.redemption_id = ANY($1::text[])
       ORDER BY r.redemption_id FOR UPDATE OF r`,
      [ids],
    );
    const rows = new Map(locked.map((row) => [row.redemption_id, row]));
    const confirmed: RedemptionRow[] = [];
    for (const { event, redemptionId, step } of outcomes) {
      const row = rows.get(redemptionId);
      if (!row || row.status !== expectedStatus[step]) continue;
      const next = await this.applyOutcome(db, row, step, event, now);
      rows.set(redemptionId, next);
      if (next.status === 'confirmed') confirmed.push(next);
    }
    if (confirmed.length > 0) {
      await sendTogether(db, () =>
        Promise.all([
          db.query(
            `UPDATE redemptions SET status = 'confirmed', reason = NULL, updated_at = now()
           WHERE redemption_id = ANY($1::text[])`,
            [confirmed.map((row) => row.redemption_id)],
          ),
          this.store.enqueue(
            db,
            confirmed.map((row) => this.event(row, 'redemption.confirmed', now)),
          ),
        ]),
      );
    }
    return { ids, confirmed };
  }

  /** One outcome on its locked row; answers the row as it is after (confirmed: written by the caller). */
  private async applyOutcome(
    db: PoolClient,
    row: RedemptionRow,
    step: Step,
    event: CommandCompletedEvent,
    now: Date,
  ): Promise<RedemptionRow> {
    const redemptionId = row.redemption_id;
    if (event.data.status !== 'applied') {
      const reason = event.data.reason ?? 'refused';
      await this.refuse(
        db,
        redemptionId,
        reason,
        event.data.detail ?? 'accounts refused the redemption',
      );
      return { ...row, status: 'refused', reason };
    }
    if (step === 'reserve') {
      await db.query(
        `UPDATE redemptions SET status = 'awaiting_payment', payment_due_at = $2, updated_at = now()
         WHERE redemption_id = $1`,
        [redemptionId, new Date(now.getTime() + this.paymentTimeoutMs)],
      );
      return { ...row, status: 'awaiting_payment' };
    }
    if (step === 'release') {
      await this.move(db, row, 'released', row.reason);
      await this.returnStock(db, row);
      await this.store.enqueue(db, [
        this.event({ ...row, status: 'released' }, 'redemption.released', now),
      ]);
      return { ...row, status: 'released', stock_taken: false };
    }
    return { ...row, status: 'confirmed', reason: null };
  }

  /** Releases reservations whose payment did not come in time; each row once, whoever runs it. */
  async releaseOverdue(now: Date): Promise<number> {
    return withTransaction(this.pool, async (db) => {
      const { rows } = await db.query<RedemptionRow>(
        `UPDATE redemptions SET status = 'releasing', reason = 'payment_timeout', updated_at = now()
         WHERE redemption_id IN (
           SELECT redemption_id FROM redemptions
           WHERE status = 'awaiting_payment' AND payment_due_at <= $1
           ORDER BY payment_due_at LIMIT 500 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [now],
      );
      await this.store.enqueue(
        db,
        rows.map((row) => this.command(row, 'release', now)),
      );
      return rows.length;
    });
  }

  /**
   * Waits for the redemption to settle, up to `waitMs`: woken when this instance's consumer
   * commits an outcome for it, or any instance's (`OutcomeNotices`), both through
   * `outcomesCommitted`; and looking every second in case a notice was lost.
   */
  private async waitForAnswer(redemptionId: string): Promise<RedemptionAnswer> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      // Listening before reading: a wake-up between the read and the wait is not lost.
      const woken = this.wakeUpFor(redemptionId, Math.min(1_000, deadline - Date.now()));
      const row = (await this.row(this.pool, redemptionId))!;
      if (isSettled(row) || Date.now() >= deadline) {
        woken.cancel();
        return answerOf(row);
      }
      const settled = await woken.promise;
      if (settled) return answerOf(settled);
    }
  }

  /**
   * After a commit that applied outcomes: wakes the requests waiting for these redemptions,
   * handing over the settled rows the committing transaction knows (`settled`), so those
   * requests answer without reading the row again.
   */
  outcomesCommitted(redemptionIds: Iterable<string>, settled: RedemptionRow[] = []): void {
    const rows = new Map(settled.map((row) => [row.redemption_id, row]));
    for (const id of redemptionIds) {
      for (const wake of this.waiting.get(id) ?? []) wake(rows.get(id));
    }
  }

  private readonly waiting = new Map<string, Set<(settled?: RedemptionRow) => void>>();

  /** Resolves with the settled row when the waker has it, else with nothing (read it). */
  private wakeUpFor(
    redemptionId: string,
    timeoutMs: number,
  ): { promise: Promise<RedemptionRow | undefined>; cancel: () => void } {
    let done!: (settled?: RedemptionRow) => void;
    const promise = new Promise<RedemptionRow | undefined>((resolve) => {
      const timer = setTimeout(() => done(), Math.max(0, timeoutMs));
      done = (settled) => {
        clearTimeout(timer);
        const set = this.waiting.get(redemptionId);
        set?.delete(done);
        if (set?.size === 0) this.waiting.delete(redemptionId);
        resolve(settled);
      };
      const set = this.waiting.get(redemptionId) ?? new Set();
      set.add(done);
      this.waiting.set(redemptionId, set);
    });
    return { promise, cancel: () => done() };
  }

  private async refuse(
    db: PoolClient,
    redemptionId: string,
    reason: string,
    detail: string,
  ): Promise<void> {
    const row = (await this.row(db, redemptionId, true))!;
    await db.query(
      `UPDATE redemptions SET status = 'refused', reason = $2, detail = $3, updated_at = now()
       WHERE redemption_id = $1`,
      [redemptionId, reason, detail],
    );
    await this.returnStock(db, row);
    if (row.status !== 'refused') {
      await this.store.enqueue(db, [
        this.event({ ...row, reason }, 'redemption.refused', new Date()),
      ]);
    }
  }

  private async returnStock(db: PoolClient, row: RedemptionRow): Promise<void> {
    if (!row.stock_taken || !row.item_id) return;
    await this.catalogue.returnOne(db, row.item_id);
    await db.query('UPDATE redemptions SET stock_taken = false WHERE redemption_id = $1', [
      row.redemption_id,
    ]);
  }

  private async move(
    db: PoolClient,
    row: RedemptionRow,
    status: RedemptionRow['status'],
    reason: string | null,
  ) {
    await db.query(
      `UPDATE redemptions SET status = $2, reason = $3, updated_at = now() WHERE redemption_id = $1`,
      [row.redemption_id, status, reason],
    );
  }

  private async row(
    db: Pool | PoolClient,
    redemptionId: string,
    forUpdate = false,
  ): Promise<RedemptionRow | undefined> {
    const { rows } = await db.query<RedemptionRow>(
      forUpdate ? `${selectRow} FOR UPDATE OF r` : selectRow,
      [redemptionId],
    );
    return rows[0];
  }

  private command(row: RedemptionRow, step: Step, now: Date): OutboxEntry {
    const base = {
      memberId: row.member_id,
      sourceEventId: `redemption/${row.redemption_id}`,
      time: now.toISOString(),
      redemptionId: row.redemption_id,
    };
    const command: LedgerCommand =
      step === 'redeem'
        ? { ...base, type: 'RedeemPoints', points: row.points }
        : step === 'reserve'
          ? { ...base, type: 'ReservePoints', points: row.points }
          : step === 'confirm'
            ? { ...base, type: 'ConfirmReservation' }
            : { ...base, type: 'ReleaseReservation' };
    const message: LedgerCommandMessage = {
      kind: 'ledger',
      commandId: `redemption/${row.redemption_id}/${step}`,
      memberId: row.member_id,
      command,
    };
    return { topic: Topics.commands, key: row.member_id, type: command.type, payload: message };
  }

  private event(row: RedemptionRow, type: RedemptionEventType, now: Date): OutboxEntry {
    const event: RedemptionEvent = {
      eventId: `redemption/${row.redemption_id}/${type}`,
      type,
      memberId: row.member_id,
      occurredAt: now.toISOString(),
      data: {
        redemptionId: row.redemption_id,
        mode: row.mode,
        itemId: row.item_id,
        category: row.mode === 'cash_offset' ? 'cash_offset' : (row.category ?? 'unknown'),
        orderId: row.order_id,
        points: row.points,
        cashMinor: Number(row.cash_due_minor),
        unitCostMinor: Number(row.unit_cost_minor),
        quantity: 1,
        ...(row.reason && { reason: row.reason }),
      },
    };
    return { topic: Topics.redemptionEvents, key: row.member_id, type, payload: event };
  }
}
