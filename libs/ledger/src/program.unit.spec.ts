import { given } from './testing/given';
import { purchase, signUp } from './testing/builders';
import { programAt, RETAIL_CHAIN, RETAIL_CHAIN_V1, type LedgerConfig } from './program';
import { toLedgerEntry } from './ledger-entry';

describe('the program as a versioned document', () => {
  const v2 = {
    ...RETAIL_CHAIN_V1,
    version: 2,
    effectiveFrom: '2025-01-01T00:00:00+08:00',
    signUp: { points: 80, lot: 'promotional' as const },
  };
  const config: LedgerConfig = {
    timeZone: 'Asia/Shanghai',
    program: { versions: [RETAIL_CHAIN_V1, v2] },
  };

  it('has version 1 in force from 2000-01-01', () => {
    expect(programAt(RETAIL_CHAIN, '2000-01-01T00:00:00.000Z').version).toBe(1);
    expect(() => programAt(RETAIL_CHAIN, '1999-12-31T23:59:59.999Z')).toThrow(RangeError);
  });

  it('judges a command by the version in force at its time', () => {
    given()
      .withConfig(config)
      .when(signUp('2024-12-31 23:59'))
      .thenIncludes([{ type: 'PointsEarned', data: { points: 50, ruleVersion: 1 } }]);
    given()
      .withConfig(config)
      .when(signUp('2025-01-01 00:00'))
      .thenIncludes([{ type: 'PointsEarned', data: { points: 80, ruleVersion: 2 } }]);
  });

  it('maps entry events to the contract ledger entry, and facts to none', () => {
    const { events } = given().when(purchase('o1', 129_900, '2024-03-01 10:00'));
    expect(events.map(toLedgerEntry)).toEqual([
      null,
      null,
      {
        entryId: 'm-1:1',
        kind: 'earn',
        points: 1_299,
        balanceAfter: 1_299,
        occurredAt: '2024-03-01T02:00:00.000Z',
        ruleId: 'purchase',
        ruleVersion: 1,
        sourceEventId: expect.any(String),
        explanation: '1,299 CNY × 1.0 member = 1,299 points',
        lots: [{ lotId: 'm-1:lot:1', points: 1_299, expiresAt: '2026-03-01T02:00:00.000Z' }],
      },
    ]);
  });

  it('refuses a time that is not an instant', () => {
    given()
      .when(purchase('o1', 100, 'yesterday'))
      .thenThrows('invalid');
  });
});
