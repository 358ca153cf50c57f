import { RedemptionEvent } from '@jifen/contracts';
import { PartitionBatch, Queryable, saveNextOffsets, unappliedBatches } from '@jifen/messaging';
import { AccountsEvent } from './accounts-event';
import { addAccountsEvent, addRedemptionEvent, BatchEffects, emptyEffects } from './batch-effects';

export type SourceTopic = 'accounts' | 'redemption';

/**
 * Applies batches of several partitions to the read models inside the caller's transaction:
 * messages below a partition's stored next offset are skipped (a batch delivered again), and
 * so are events already applied that come again at new offsets (the relay publishes an event
 * twice after a crash before its checkpoint). An accounts event is recognised by its stream
 * position: a member's events reach the topic in stream order on one partition, so an event at
 * or below the highest position applied for its member (`members.applied_position`) was
 * applied. Other events (redemption's, and accounts' without a position) by their id in
 * `applied_events`. The rest are summed into a handful of upserts, written with the new next
 * offsets. `sourceOf` says what each topic carries. Returns how many events applied.
 *
 * `lockPartitions`: whether the transaction first takes a lock per partition, so that two
 * consumers holding the same partition (a rebalance that overlaps a batch in flight) apply its
 * batches one after the other, the second reading what the first stored. The rebuild, whose
 * transaction holds every read-model table exclusively, passes false.
 */
export async function applyBatches(
  db: Queryable,
  batches: PartitionBatch[],
  sourceOf: (topic: string) => SourceTopic,
  timeZone: string,
  lockPartitions = true,
): Promise<number> {
  if (lockPartitions) await lockPartitionsOf(db, batches);
  const fresh = await unappliedBatches(db, batches);
  if (fresh.length === 0) return 0;

  const events = fresh.flatMap(({ topic, messages }) =>
    messages.flatMap((message) => {
      if (!message.value) return [];
      const event = JSON.parse(message.value.toString('utf8')) as { eventId?: unknown };
      if (typeof event.eventId !== 'string') return [];
      const source = sourceOf(topic);
      const positioned = source === 'accounts' && hasStreamPosition(event as AccountsEvent);
      return [{ source, positioned, event: event as { eventId: string } }];
    }),
  );
  const [applied, positions] = await Promise.all([
    newEventIds(
      db,
      events.filter((e) => !e.positioned).map((e) => e.event.eventId),
    ),
    appliedPositions(
      db,
      events.filter((e) => e.positioned).map((e) => (e.event as AccountsEvent).memberId),
    ),
  ]);
  const effects = emptyEffects();
  let count = 0;
  for (const e of events) {
    if (e.positioned) {
      const { memberId, streamPosition } = e.event as AccountsEvent;
      // A second copy within the same batch is skipped too.
      if (streamPosition <= (positions.get(memberId) ?? 0)) continue;
      positions.set(memberId, streamPosition);
    } else if (!applied.delete(e.event.eventId)) {
      continue;
    }
    count++;
    if (e.source === 'accounts') addAccountsEvent(effects, e.event as AccountsEvent, timeZone);
    else addRedemptionEvent(effects, e.event as RedemptionEvent);
  }
  await writeEffects(db, effects);

  await saveNextOffsets(db, fresh);
  await db.query(
    `UPDATE consumed_offsets o SET last_message_at = to_timestamp(b.at::double precision / 1000)
     FROM unnest($1::text[], $2::int[], $3::bigint[]) AS b(topic, partition, at)
     WHERE o.topic = b.topic AND o.partition = b.partition`,
    [
      fresh.map((b) => b.topic),
      fresh.map((b) => b.partition),
      fresh.map((b) => b.messages[b.messages.length - 1].timestamp),
    ],
  );
  return count;
}

function hasStreamPosition(event: AccountsEvent): boolean {
  return (
    typeof event.memberId === 'string' &&
    Number.isSafeInteger(event.streamPosition) &&
    event.streamPosition > 0
  );
}

/**
 * A transaction-level advisory lock per partition of the batches, in one order (so two
 * transactions cannot each hold one the other waits for), held until the commit.
 */
async function lockPartitionsOf(db: Queryable, batches: PartitionBatch[]): Promise<void> {
  if (batches.length === 0) return;
  const keys = batches.map((b) => `${b.topic}/${b.partition}`).sort();
  await db.query(
    `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.consumed/' || k))
     FROM unnest($1::text[]) WITH ORDINALITY AS p(k, n) ORDER BY n`,
    [keys],
  );
}

/** The highest stream position applied per member, for those of `memberIds` with one. */
async function appliedPositions(db: Queryable, memberIds: string[]): Promise<Map<string, number>> {
  if (memberIds.length === 0) return new Map();
  const result = (await db.query(
    `SELECT member_id, applied_position FROM members WHERE member_id = ANY($1::text[])`,
    [[...new Set(memberIds)]],
  )) as Rows<{ member_id: string; applied_position: number }>;
  return new Map(rowsOf(result).map((row) => [row.member_id, row.applied_position]));
}

type Rows<R> = { rows?: R[] } | R[];
const rowsOf = <R>(result: Rows<R>): R[] => (Array.isArray(result) ? result : (result.rows ?? []));

async function newEventIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const result = (await db.query(
    `INSERT INTO applied_events (event_id) SELECT unnest($1::text[])
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [ids],
  )) as Rows<{ event_id: string }>;
  return new Set(rowsOf(result).map((row) => row.event_id));
}

async function writeEffects(db: Queryable, effects: BatchEffects): Promise<void> {
  if (effects.daily.size > 0) {
    const days = [...effects.daily];
    await db.query(
      `INSERT INTO daily_flows (day, issued, reversed, redeemed, expired, sales_minor)
       SELECT * FROM unnest($1::date[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
       ON CONFLICT (day) DO UPDATE SET
         issued = daily_flows.issued + excluded.issued,
         reversed = daily_flows.reversed + excluded.reversed,
         redeemed = daily_flows.redeemed + excluded.redeemed,
         expired = daily_flows.expired + excluded.expired,
         sales_minor = daily_flows.sales_minor + excluded.sales_minor`,
      [
        days.map(([day]) => day),
        days.map(([, f]) => f.issued),
        days.map(([, f]) => f.reversed),
        days.map(([, f]) => f.redeemed),
        days.map(([, f]) => f.expired),
        days.map(([, f]) => f.salesMinor),
      ],
    );
  }
  if (effects.ruleIssuance.size > 0) {
    const rows = [...effects.ruleIssuance.values()];
    await db.query(
      `INSERT INTO rule_issuance (day, rule_id, member_id, points)
       SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::bigint[])
       ON CONFLICT (day, rule_id, member_id) DO UPDATE SET points = rule_issuance.points + excluded.points`,
      [
        rows.map((r) => r.day),
        rows.map((r) => r.ruleId),
        rows.map((r) => r.memberId),
        rows.map((r) => r.points),
      ],
    );
  }
  if (effects.memberSales.size > 0) {
    const rows = [...effects.memberSales.values()];
    await db.query(
      `INSERT INTO member_sales (member_id, day, sales_minor, purchases)
       SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[], $4::int[])
       ON CONFLICT (member_id, day) DO UPDATE SET
         sales_minor = member_sales.sales_minor + excluded.sales_minor,
         purchases = member_sales.purchases + excluded.purchases`,
      [
        rows.map((r) => r.memberId),
        rows.map((r) => r.day),
        rows.map((r) => r.salesMinor),
        rows.map((r) => r.purchases),
      ],
    );
  }
  if (effects.members.size > 0) {
    const rows = [...effects.members.values()];
    // Tier and balance are states: the one written at the later stream position wins.
    // The rest are sums; the applied position only grows.
    await db.query(
      `INSERT INTO members (member_id, tier, tier_position, balance, balance_position, reserved,
                            control_group, purchases, sales_minor, last_purchase_at, applied_position)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::int[], $6::bigint[],
                            $7::boolean[], $8::int[], $9::bigint[], $10::timestamptz[], $11::int[])
       ON CONFLICT (member_id) DO UPDATE SET
         tier = CASE WHEN excluded.tier_position > members.tier_position THEN excluded.tier ELSE members.tier END,
         tier_position = GREATEST(members.tier_position, excluded.tier_position),
         balance = CASE WHEN excluded.balance_position > members.balance_position THEN excluded.balance ELSE members.balance END,
         balance_position = GREATEST(members.balance_position, excluded.balance_position),
         reserved = members.reserved + excluded.reserved,
         control_group = members.control_group OR excluded.control_group,
         purchases = members.purchases + excluded.purchases,
         sales_minor = members.sales_minor + excluded.sales_minor,
         last_purchase_at = GREATEST(members.last_purchase_at, excluded.last_purchase_at),
         applied_position = GREATEST(members.applied_position, excluded.applied_position)`,
      [
        rows.map((r) => r.memberId),
        rows.map((r) => r.tier),
        rows.map((r) => r.tierPosition),
        rows.map((r) => r.balance),
        rows.map((r) => r.balancePosition),
        rows.map((r) => r.reserved),
        rows.map((r) => r.controlGroup),
        rows.map((r) => r.purchases),
        rows.map((r) => r.salesMinor),
        rows.map((r) => r.lastPurchaseAt),
        rows.map((r) => r.appliedPosition),
      ],
    );
  }
  if (effects.redemptions.length > 0) {
    const rows = effects.redemptions;
    // One row per redemption: a confirmation republished under another event id counts once.
    await db.query(
      `INSERT INTO redemptions (redemption_id, member_id, mode, item_id, category, points,
                                cash_minor, unit_cost_minor, quantity, occurred_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                            $7::bigint[], $8::bigint[], $9::int[], $10::timestamptz[])
       ON CONFLICT (redemption_id) DO NOTHING`,
      [
        rows.map((r) => r.redemptionId),
        rows.map((r) => r.memberId),
        rows.map((r) => r.mode),
        rows.map((r) => r.itemId),
        rows.map((r) => r.category),
        rows.map((r) => r.points),
        rows.map((r) => r.cashMinor),
        rows.map((r) => r.unitCostMinor),
        rows.map((r) => r.quantity),
        rows.map((r) => r.occurredAt),
      ],
    );
  }
}
