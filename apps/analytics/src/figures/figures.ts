/**
 * The pure calculations behind the analytics answers: ratios, the liability forecast, the
 * alerts of CONTRACT.md section 4 and RFM quintiles. Points are worth 1 fen each.
 */

/** `a / b`, or null when `b` is 0 (a ratio of nothing is not a number an analyst can use). */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

export interface FlowTotals {
  issued: number;
  reversed: number;
  redeemed: number;
  expired: number;
}

export const outstandingOf = (t: FlowTotals): number =>
  t.issued - t.reversed - t.redeemed - t.expired;

/** Outstanding as a share of every point ever issued net of reversals. */
export const sedimentationOf = (allTime: FlowTotals): number | null =>
  ratio(outstandingOf(allTime), allTime.issued - allTime.reversed);

export interface Forecast {
  days: number;
  outstanding: number;
  historicalRedemptionRate: number;
  predictedRedemption: number;
  predictedLiabilityMinor: number;
}

/**
 * Outstanding × (all redeemed / all issued) × days / 365, rounded to whole points; its value
 * at 1 fen per point is the liability expected to fall due within `days`.
 */
export function forecast(allTime: FlowTotals, days: number): Forecast {
  const outstanding = outstandingOf(allTime);
  const rate = ratio(allTime.redeemed, allTime.issued) ?? 0;
  // `|| 0`: no redemption history gives 0, not -0.
  const predictedRedemption = Math.round((outstanding * rate * days) / 365) || 0;
  return {
    days,
    outstanding,
    historicalRedemptionRate: rate,
    predictedRedemption,
    predictedLiabilityMinor: predictedRedemption,
  };
}

export interface Thresholds {
  dailyIssuance: number;
  dailyFlowRatio: number;
  sedimentationRatio: number;
  pointsCostShareOfSales: number;
}

/** CONTRACT.md section 4, analytics alerts (defaults). */
export const defaultThresholds: Thresholds = {
  dailyIssuance: 50_000,
  dailyFlowRatio: 0.1,
  sedimentationRatio: 0.5,
  pointsCostShareOfSales: 0.02,
};

export interface DayFlows extends FlowTotals {
  date: string;
  salesMinor: number;
}

export type Alert =
  | { alert: 'daily_issuance'; date: string; issued: number; threshold: number }
  | {
      alert: 'daily_flow_ratio';
      date: string;
      flowRatio: number;
      issued: number;
      redeemed: number;
      threshold: number;
    }
  | {
      alert: 'sedimentation';
      asOf: string;
      sedimentationRatio: number;
      outstanding: number;
      threshold: number;
    }
  | {
      alert: 'points_cost_share';
      month: string;
      pointsCostShareOfSales: number;
      issued: number;
      salesMinor: number;
      threshold: number;
    };

/**
 * The alerts that fire over the given days (ascending): issuance above and flow ratio below
 * their thresholds per day (a day without issuance has no flow ratio), the points cost share
 * per calendar month with sales, and sedimentation as of the last day.
 */
export function alertsOf(
  days: DayFlows[],
  sedimentation: { asOf: string; ratio: number | null; outstanding: number },
  t: Thresholds = defaultThresholds,
): Alert[] {
  const alerts: Alert[] = [];
  for (const d of days) {
    if (d.issued > t.dailyIssuance) {
      alerts.push({
        alert: 'daily_issuance',
        date: d.date,
        issued: d.issued,
        threshold: t.dailyIssuance,
      });
    }
    const flowRatio = ratio(d.redeemed, d.issued);
    if (flowRatio !== null && flowRatio < t.dailyFlowRatio) {
      alerts.push({
        alert: 'daily_flow_ratio',
        date: d.date,
        flowRatio,
        issued: d.issued,
        redeemed: d.redeemed,
        threshold: t.dailyFlowRatio,
      });
    }
  }
  if (sedimentation.ratio !== null && sedimentation.ratio > t.sedimentationRatio) {
    alerts.push({
      alert: 'sedimentation',
      asOf: sedimentation.asOf,
      sedimentationRatio: sedimentation.ratio,
      outstanding: sedimentation.outstanding,
      threshold: t.sedimentationRatio,
    });
  }
  const months = new Map<string, { issued: number; salesMinor: number }>();
  for (const d of days) {
    const month = d.date.slice(0, 7);
    const m = months.get(month) ?? { issued: 0, salesMinor: 0 };
    m.issued += d.issued;
    m.salesMinor += d.salesMinor;
    months.set(month, m);
  }
  for (const [month, m] of months) {
    const share = ratio(m.issued, m.salesMinor);
    if (share !== null && share > t.pointsCostShareOfSales) {
      alerts.push({
        alert: 'points_cost_share',
        month,
        pointsCostShareOfSales: share,
        issued: m.issued,
        salesMinor: m.salesMinor,
        threshold: t.pointsCostShareOfSales,
      });
    }
  }
  return alerts;
}

export interface PurchaseHistory {
  memberId: string;
  lastPurchaseAt: string;
  purchases: number;
  salesMinor: number;
}

export type QuintileCounts = Record<'1' | '2' | '3' | '4' | '5', number>;

export interface RfmCounts {
  members: number;
  recency: QuintileCounts;
  frequency: QuintileCounts;
  monetary: QuintileCounts;
  /** "R-F-M" → members, e.g. "5-5-5" for the best. */
  cells: Record<string, number>;
}

/**
 * Quintile scores 1–5 by rank, 5 the best: the most recent purchase, the most purchases, the
 * most spent. Equal values share the score of the first of them in rank order, so ties never
 * split across quintiles.
 */
export function quintileScores(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const scores = new Array<number>(values.length);
  let firstRank = 0;
  for (let rank = 0; rank < order.length; rank++) {
    if (rank > 0 && order[rank][0] !== order[rank - 1][0]) firstRank = rank;
    scores[order[rank][1]] = Math.floor((firstRank * 5) / order.length) + 1;
  }
  return scores;
}

export function rfmCounts(members: PurchaseHistory[]): RfmCounts {
  const r = quintileScores(members.map((m) => Date.parse(m.lastPurchaseAt)));
  const f = quintileScores(members.map((m) => m.purchases));
  const mo = quintileScores(members.map((m) => m.salesMinor));
  const empty = (): QuintileCounts => ({ '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 });
  const counts: RfmCounts = {
    members: members.length,
    recency: empty(),
    frequency: empty(),
    monetary: empty(),
    cells: {},
  };
  members.forEach((_, i) => {
    counts.recency[String(r[i]) as keyof QuintileCounts]++;
    counts.frequency[String(f[i]) as keyof QuintileCounts]++;
    counts.monetary[String(mo[i]) as keyof QuintileCounts]++;
    const cell = `${r[i]}-${f[i]}-${mo[i]}`;
    counts.cells[cell] = (counts.cells[cell] ?? 0) + 1;
  });
  return counts;
}
