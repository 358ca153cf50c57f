import {
  alertsOf,
  forecast,
  outstandingOf,
  quintileScores,
  ratio,
  rfmCounts,
  sedimentationOf,
} from './figures';
import { ApiError } from '@jifen/platform';
import { parsePeriod } from './period';

describe('analytics figures', () => {
  const totals = { issued: 10_000, reversed: 1_000, redeemed: 2_000, expired: 500 };

  it('outstanding, sedimentation and flow ratios; a ratio of nothing is null', () => {
    expect(outstandingOf(totals)).toBe(6_500);
    expect(sedimentationOf(totals)).toBe(6_500 / 9_000);
    expect(ratio(2_000, 10_000)).toBe(0.2);
    expect(ratio(5, 0)).toBeNull();
    expect(sedimentationOf({ issued: 0, reversed: 0, redeemed: 0, expired: 0 })).toBeNull();
  });

  it('forecasts outstanding × historical rate × days / 365, in whole points', () => {
    expect(forecast(totals, 365)).toEqual({
      days: 365,
      outstanding: 6_500,
      historicalRedemptionRate: 0.2,
      predictedRedemption: 1_300,
      predictedLiabilityMinor: 1_300,
    });
    expect(forecast(totals, 30).predictedRedemption).toBe(107); // 6,500 × 0.2 × 30/365 = 106.8
    expect(forecast({ ...totals, issued: 0, reversed: 0, redeemed: 0 }, 30)).toMatchObject({
      historicalRedemptionRate: 0,
      predictedRedemption: 0,
    });
  });

  it('fires each alert just past its threshold, not at it', () => {
    const day = (date: string, issued: number, redeemed: number, salesMinor: number) => ({
      date,
      issued,
      redeemed,
      reversed: 0,
      expired: 0,
      salesMinor,
    });
    const alerts = alertsOf(
      [
        day('2025-01-01', 50_000, 5_000, 10_000_000), // at both daily thresholds: nothing
        day('2025-01-02', 50_001, 5_000, 0), // issuance over, ratio 0.0999 under
        day('2025-01-03', 0, 10, 0), // no issuance: no flow ratio
        day('2025-02-01', 201, 100, 10_000), // February: 2.01% of sales
      ],
      { asOf: '2025-02-01', ratio: 0.5, outstanding: 1 },
    );
    expect(
      alerts.map((a) => [a.alert, 'date' in a ? a.date : 'month' in a ? a.month : a.asOf]),
    ).toEqual([
      ['daily_issuance', '2025-01-02'],
      ['daily_flow_ratio', '2025-01-02'],
      ['points_cost_share', '2025-02'],
    ]);
    expect(alertsOf([], { asOf: 'x', ratio: 0.51, outstanding: 1 })[0]).toMatchObject({
      alert: 'sedimentation',
      sedimentationRatio: 0.51,
    });
  });

  it('scores quintiles by rank, 5 the highest, ties on one score', () => {
    expect(quintileScores([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).toEqual([
      1, 1, 2, 2, 3, 3, 4, 4, 5, 5,
    ]);
    expect(quintileScores([5, 5, 5, 5, 5])).toEqual([1, 1, 1, 1, 1]);
    expect(quintileScores([1, 2, 2, 2, 3])).toEqual([1, 2, 2, 2, 5]);
    expect(quintileScores([])).toEqual([]);
  });

  it('counts members per RFM quintile and cell', () => {
    const members = [1, 2, 3, 4, 5].map((i) => ({
      memberId: `m${i}`,
      lastPurchaseAt: `2025-0${i}-01T00:00:00.000Z`,
      purchases: i,
      salesMinor: 1_000 * (6 - i),
    }));
    const counts = rfmCounts(members);
    expect(counts.members).toBe(5);
    expect(counts.recency).toEqual({ '1': 1, '2': 1, '3': 1, '4': 1, '5': 1 });
    // The most recent buyer bought most often and spent least.
    expect(counts.cells).toEqual({ '1-1-5': 1, '2-2-4': 1, '3-3-3': 1, '4-4-2': 1, '5-5-1': 1 });
  });

  it('takes periods as real dates in order', () => {
    expect(parsePeriod({ from: '2024-02-29', to: '2024-03-01' })).toEqual({
      from: '2024-02-29',
      to: '2024-03-01',
    });
    expect(parsePeriod({})).toEqual({ from: null, to: null });
    const refusal = (query: Record<string, string>) => {
      try {
        parsePeriod(query);
      } catch (error) {
        const { reason, detail } = error as ApiError;
        return { status: (error as ApiError).getStatus(), reason, detail };
      }
      return undefined;
    };
    expect(refusal({ from: '2025-02-29' })).toEqual({
      status: 400,
      reason: 'invalid',
      detail: 'from must be a date as YYYY-MM-DD, not "2025-02-29"',
    });
    expect(refusal({ to: '2025-3-1' })).toMatchObject({ reason: 'invalid' });
    expect(refusal({ from: '2025-03-02', to: '2025-03-01' })).toMatchObject({
      status: 400,
      reason: 'invalid_period',
    });
  });
});
