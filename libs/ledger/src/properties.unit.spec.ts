import fc from 'fast-check';
import type { LedgerCommand } from './commands';
import { decide, decision, fold } from './decide';
import { LedgerRefusal } from './errors';
import { keyedEntries } from './keyed';
import type { LedgerEvent } from './events';
import { balanceOf, initialState, reservedOf, type MemberState } from './state';
import { instantFromMs, toMs } from './time';

const ME = 'p-1';
const START = toMs('2024-01-01T00:00:00.000Z');

/** One random step: what to do, and how long after the previous step. */
const step = fc.record({
  hours: fc.integer({ min: 0, max: 24 * 45 }),
  op: fc.oneof(
    fc.record({ kind: fc.constant('signUp' as const), referred: fc.boolean() }),
    fc.record({ kind: fc.constant('profile' as const) }),
    fc.record({
      kind: fc.constant('purchase' as const),
      amount: fc.integer({ min: 1, max: 3_000_000 }),
    }),
    fc.record({
      kind: fc.constant('purchase' as const),
      amount: fc.integer({ min: 1, max: 30_000 }),
    }),
    fc.record({
      kind: fc.constant('refund' as const),
      order: fc.nat(),
      share: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
    }),
    fc.record({ kind: fc.constantFrom('share' as const, 'review' as const, 'checkIn' as const) }),
    fc.record({ kind: fc.constant('referral' as const), first: fc.boolean() }),
    fc.record({
      kind: fc.constantFrom('partnerCredit' as const, 'partnerDebit' as const),
      points: fc.integer({ min: 1, max: 5_000 }),
    }),
    fc.record({
      kind: fc.constantFrom('transferOut' as const, 'reserve' as const, 'redeem' as const),
      points: fc.integer({ min: 0, max: 12_000 }),
    }),
    fc.record({
      kind: fc.constant('transferIn' as const),
      points: fc.integer({ min: 1, max: 2_000 }),
    }),
    fc.record({ kind: fc.constantFrom('confirm' as const, 'release' as const), which: fc.nat() }),
    fc.record({ kind: fc.constantFrom('expiry' as const, 'tierReview' as const) }),
  ),
});

type Step = { hours: number; op: { kind: string } & Record<string, unknown> };

function toCommand(s: Step, i: number, time: string, state: MemberState): LedgerCommand {
  const base = { memberId: ME, time, sourceEventId: `e${i}` };
  const op = s.op as Record<string, never> & { kind: string };
  const orders = state.status === 'enrolled' ? keyedEntries(state.orders) : [];
  const reservations =
    state.status === 'enrolled' ? keyedEntries(state.reservations).map(([id]) => id) : [];
  switch (op.kind) {
    case 'signUp':
      return { ...base, type: 'SignUp', referrerId: op.referred ? 'p-2' : undefined };
    case 'profile':
      return { ...base, type: 'CompleteProfile', birthday: '03-15' };
    case 'purchase':
      return { ...base, type: 'RecordPurchase', orderId: `o${i}`, amountMinor: op.amount };
    case 'refund': {
      const [orderId, order] = orders[op.order % Math.max(1, orders.length)] ?? ['none', null];
      const left = order ? order.amountMinor - order.refundedMinor : 1;
      const amountMinor = op.share === 1 ? left : Math.max(1, Math.floor(left * op.share));
      return { ...base, type: 'RefundPurchase', orderId, refundId: `f${i}`, amountMinor };
    }
    case 'share':
      return { ...base, type: 'RecordShare', shareId: `s${i}` };
    case 'review':
      return { ...base, type: 'RecordReview', reviewId: `r${i}` };
    case 'checkIn':
      return { ...base, type: 'CheckIn' };
    case 'referral':
      return {
        ...base,
        type: 'CreditReferralBonus',
        refereeId: 'p-3',
        trigger: op.first ? 'first_purchase' : 'sign_up',
      };
    case 'partnerCredit':
      return {
        ...base,
        type: 'CreditPartnerPoints',
        messageId: `m${i}`,
        partnerId: 'airline-x',
        points: op.points,
      };
    case 'partnerDebit':
      return {
        ...base,
        type: 'DebitPartnerPoints',
        messageId: `m${i}`,
        partnerId: 'hotel-y',
        points: op.points,
      };
    case 'transferOut':
      return {
        ...base,
        type: 'TransferPoints',
        transferId: `t${i}`,
        toMemberId: 'p-2',
        points: op.points,
      };
    case 'transferIn':
      return {
        ...base,
        type: 'ReceiveTransfer',
        transferId: `t${i}`,
        fromMemberId: 'p-2',
        lots: [
          {
            points: op.points,
            kind: 'standard',
            earnedAt: time,
            expiresAt: instantFromMs(toMs(time) + 90 * 86_400_000),
          },
        ],
      };
    case 'reserve':
      return { ...base, type: 'ReservePoints', redemptionId: `x${i}`, points: op.points };
    case 'redeem':
      return { ...base, type: 'RedeemPoints', redemptionId: `y${i}`, points: op.points };
    case 'confirm':
    case 'release': {
      const redemptionId = reservations[op.which % Math.max(1, reservations.length)] ?? 'none';
      return {
        ...base,
        type: op.kind === 'confirm' ? 'ConfirmReservation' : 'ReleaseReservation',
        redemptionId,
      };
    }
    case 'expiry':
      return { type: 'RunExpiry', memberId: ME, asOf: time, sourceEventId: `e${i}` };
    default:
      return { type: 'ReviewTier', memberId: ME, asOf: time, sourceEventId: `e${i}` };
  }
}

/** Runs the steps, skipping refused commands, checking `check` after each one. */
function run(
  steps: Step[],
  check: (state: MemberState, events: LedgerEvent[], all: LedgerEvent[]) => void,
  before: (command: LedgerCommand, state: MemberState) => void = () => undefined,
) {
  let state = initialState();
  let ms = START;
  const all: LedgerEvent[] = [];
  steps.forEach((s, i) => {
    ms += s.hours * 3_600_000;
    const command = toCommand(s, i, instantFromMs(ms), state);
    let events: LedgerEvent[];
    try {
      before(command, state);
      events = decide(command, state);
    } catch (error) {
      if (error instanceof LedgerRefusal) return;
      throw error;
    }
    state = fold(events, state);
    all.push(...events);
    check(state, events, all);
  });
  return { state, all };
}

const sequences = fc.array(step, { minLength: 1, maxLength: 40 });
const params = { numRuns: 150 };

describe('properties over random command sequences', () => {
  it('keeps the balance and every lot at or above zero, and the books balanced', () => {
    fc.assert(
      fc.property(sequences, (steps) => {
        run(steps, (state) => {
          if (state.status === 'unknown') return;
          const l = state.lifetime;
          expect(balanceOf(state)).toBeGreaterThanOrEqual(0);
          expect(state.debt).toBeGreaterThanOrEqual(0);
          for (const lot of state.lots) expect(lot.points).toBeGreaterThan(0);
          expect(balanceOf(state) + reservedOf(state)).toBe(
            l.earned + l.transferredIn - l.transferredOut - l.reversed - l.redeemed - l.expired,
          );
        });
      }),
      params,
    );
  });

  it('records on each entry the balance the member is left with', () => {
    fc.assert(
      fc.property(sequences, (steps) => {
        run(steps, (state, events) => {
          const entries = events.filter((e) => 'balanceAfter' in e.data);
          const last = entries[entries.length - 1];
          if (last && 'balanceAfter' in last.data)
            expect(last.data.balanceAfter).toBe(balanceOf(state));
        });
      }),
      params,
    );
  });

  it('reverses exactly the order’s points once an order is fully refunded (taken or owed)', () => {
    fc.assert(
      fc.property(sequences, (steps) => {
        const { state, all } = run(steps, () => undefined);
        if (state.status === 'unknown') return;
        for (const [orderId, order] of keyedEntries(state.orders)) {
          if (order.refundedMinor !== order.amountMinor) continue;
          const reversed = all
            .filter((e) => e.type === 'PointsReversed' && e.data.orderId === orderId)
            .reduce(
              (sum, e) =>
                sum + (e.type === 'PointsReversed' ? -e.data.points + e.data.debtIncurred : 0),
              0,
            );
          expect(reversed).toBe(order.points);
        }
      }),
      params,
    );
  });

  it('gives the same state when the emitted events are folded again', () => {
    fc.assert(
      fc.property(sequences, (steps) => {
        const { state, all } = run(steps, () => undefined);
        expect(fold(all)).toEqual(state);
        expect(JSON.parse(JSON.stringify(fold(all)))).toEqual(state);
      }),
      params,
    );
  });

  it('leaves the state its events fold to, so the consumer keeps it without folding again', () => {
    fc.assert(
      fc.property(sequences, (steps) => {
        run(
          steps,
          () => undefined,
          (command, before) => {
            const made = decision(command, before);
            expect(made.events).toEqual(decide(command, before));
            expect(made.state).toEqual(fold(made.events, before));
          },
        );
      }),
      params,
    );
  });
});
