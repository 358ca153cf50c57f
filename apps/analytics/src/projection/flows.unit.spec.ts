import { AccountsEvent } from './accounts-event';
import { addAccountsEvent, emptyEffects } from './batch-effects';
import { flowsOf } from './flows';

const entry = (type: string, points: number, extra: Partial<AccountsEvent['data']> = {}) =>
  ({
    eventId: `e-${type}`,
    type,
    memberId: 'm',
    occurredAt: '2025-03-04T17:00:00.000Z', // 01:00 on 03-05 in Shanghai
    streamPosition: 1,
    data: { points, balanceAfter: 0, ruleId: 'purchase', ...extra },
  }) as AccountsEvent;

describe('flows of the accounts events', () => {
  it('counts issued, reversed (incl. debt paid off), redeemed and expired; transfers and caps are none', () => {
    expect(flowsOf(entry('points.earned', 100))).toEqual({ issued: 100 });
    expect(flowsOf(entry('points.partner_credited', 40))).toEqual({ issued: 40 });
    expect(flowsOf(entry('points.capped', 0))).toEqual({});
    expect(flowsOf(entry('points.reversed', -50))).toEqual({ reversed: 50 });
    expect(flowsOf(entry('points.debt_paid_off', -30))).toEqual({ reversed: 30 });
    expect(flowsOf(entry('points.redeemed', -200))).toEqual({ redeemed: 200 });
    expect(flowsOf(entry('points.partner_debited', -100))).toEqual({ redeemed: 100 });
    expect(flowsOf(entry('points.reserved', -300))).toEqual({});
    expect(flowsOf(entry('points.reservation_released', 300))).toEqual({});
    expect(flowsOf(entry('points.reservation_confirmed', 0, { redeemedPoints: 300 }))).toEqual({
      redeemed: 300,
    });
    expect(flowsOf(entry('points.expired', -20))).toEqual({ expired: 20 });
    expect(flowsOf(entry('points.transferred_out', -10))).toEqual({});
    expect(flowsOf(entry('points.transferred_in', 10))).toEqual({});
  });

  it('books a batch on program-time-zone days, with reservations held apart', () => {
    const effects = emptyEffects();
    addAccountsEvent(effects, entry('points.earned', 100), 'Asia/Shanghai');
    addAccountsEvent(
      effects,
      { ...entry('points.reserved', -100), streamPosition: 2 },
      'Asia/Shanghai',
    );
    expect([...effects.daily.keys()]).toEqual(['2025-03-05']);
    expect(effects.members.get('m')).toMatchObject({ reserved: 100, balancePosition: 2 });
    expect([...effects.ruleIssuance.values()]).toEqual([
      { day: '2025-03-05', ruleId: 'purchase', memberId: 'm', points: 100 },
    ]);
  });
});
