import { given } from '../testing/given';
import { command, purchase, signUp } from '../testing/builders';

const reserve = (id: string, points: number) =>
  command('ReservePoints', '2024-03-05', { redemptionId: id, points });
const confirm = (id: string) => command('ConfirmReservation', '2024-03-06', { redemptionId: id });
const release = (id: string) => command('ReleaseReservation', '2024-03-06', { redemptionId: id });

describe('redemption: reserve, confirm, release; redeem', () => {
  const funded = [signUp('2024-03-01'), purchase('o1', 1_000_00, '2024-03-02')]; // 1,050

  it('reserves points out of the balance into reserved', () => {
    const outcome = given(...funded)
      .when(reserve('r1', 300))
      .then([
        { type: 'PointsReserved', data: { points: -300, balanceAfter: 750, redemptionId: 'r1' } },
      ]);
    expect(outcome.view()).toMatchObject({ balance: 750, reserved: 300 });
  });

  it('confirms with a 0-point redeem entry and counts the points redeemed', () => {
    const outcome = given(...funded, reserve('r1', 300))
      .when(confirm('r1'))
      .then([
        {
          type: 'ReservationConfirmed',
          data: { points: 0, balanceAfter: 750, redeemedPoints: 300 },
        },
      ]);
    expect(outcome.view()).toMatchObject({
      balance: 750,
      reserved: 0,
      lifetime: { redeemed: 300 },
    });
  });

  it('releases the points back into the lots they came from', () => {
    const outcome = given(...funded, reserve('r1', 300))
      .when(release('r1'))
      .then([
        {
          type: 'ReservationReleased',
          data: {
            points: 300,
            balanceAfter: 1_050,
            lots: [{ kind: 'promotional', points: 50 }, { points: 250 }],
          },
        },
      ]);
    expect(outcome.view()).toMatchObject({
      balance: 1_050,
      reserved: 0,
      lifetime: { redeemed: 0 },
    });
  });

  it('is idempotent and refuses the other outcome once one is settled', () => {
    given(...funded, reserve('r1', 300))
      .when(reserve('r1', 300))
      .then([]);
    given(...funded, reserve('r1', 300), confirm('r1'))
      .when(confirm('r1'))
      .then([]);
    given(...funded, reserve('r1', 300), release('r1'))
      .when(release('r1'))
      .then([]);
    given(...funded, reserve('r1', 300), confirm('r1'))
      .when(release('r1'))
      .thenThrows('reservation_not_held');
    given(...funded, reserve('r1', 300), release('r1'))
      .when(confirm('r1'))
      .thenThrows('reservation_not_held');
    given(...funded)
      .when(confirm('r9'))
      .thenThrows('unknown_reservation');
  });

  it('needs at least 100 points and no more than the balance', () => {
    given(...funded)
      .when(reserve('r1', 99))
      .thenThrows('below_minimum');
    given(...funded)
      .when(reserve('r1', 1_051))
      .thenThrows('insufficient_points');
    given(...funded)
      .when(command('RedeemPoints', '2024-03-05', { redemptionId: 'x', points: 99 }))
      .thenThrows('below_minimum');
  });

  it('redeems points-only and cash offsets in one redeem entry', () => {
    const outcome = given(...funded)
      .when(command('RedeemPoints', '2024-03-05', { redemptionId: 'x', points: 150 }))
      .then([
        {
          type: 'PointsRedeemed',
          data: {
            points: -150,
            balanceAfter: 900,
            explanation: '150 points redeemed (worth 1.50 CNY) for redemption x',
          },
        },
      ]);
    expect(outcome.view().lifetime.redeemed).toBe(150);
  });
});

describe('partner credits and debits', () => {
  it('credits a standard lot, and debits only within the balance', () => {
    given(signUp('2024-03-01'))
      .when(
        command('CreditPartnerPoints', '2024-03-05', {
          messageId: 'p1',
          partnerId: 'airline-x',
          points: 800,
        }),
      )
      .then([
        {
          type: 'PartnerPointsCredited',
          data: {
            points: 800,
            ruleId: 'partner_credit',
            lots: [{ kind: 'standard', points: 800 }],
          },
        },
      ]);
    given(signUp('2024-03-01'))
      .when(
        command('DebitPartnerPoints', '2024-03-05', {
          messageId: 'p2',
          partnerId: 'hotel-y',
          points: 51,
        }),
      )
      .thenThrows('insufficient_points');
    const outcome = given(signUp('2024-03-01'))
      .when(
        command('DebitPartnerPoints', '2024-03-05', {
          messageId: 'p2',
          partnerId: 'hotel-y',
          points: 50,
        }),
      )
      .then([{ type: 'PartnerPointsDebited', data: { points: -50, balanceAfter: 0 } }]);
    expect(outcome.view().lifetime).toMatchObject({ earned: 50, redeemed: 50 });
  });

  it('refuses members never enrolled and ignores a message id already applied', () => {
    given()
      .when(
        command('CreditPartnerPoints', '2024-03-05', {
          messageId: 'p1',
          partnerId: 'airline-x',
          points: 800,
        }),
      )
      .thenThrows('unknown_member');
    const credit = command('CreditPartnerPoints', '2024-03-05', {
      messageId: 'p1',
      partnerId: 'airline-x',
      points: 8,
    });
    given(signUp('2024-03-01'), credit).when(credit).then([]);
  });
});
