import { Controller, Get, Query } from '@nestjs/common';
import { Roles } from '@jifen/platform';
import {
  alertsOf,
  forecast,
  outstandingOf,
  ratio,
  rfmCounts,
  sedimentationOf,
} from '../figures/figures';
import { parseInstant, parseInteger, parsePeriod } from '../figures/period';
import { ReadModels } from '../figures/read-models';
import { ProjectionsConsumer } from '../projection/projections.consumer';

type Q = Record<string, unknown>;

/** Points are valued at 1 fen each (CONTRACT.md section 4: 100 points = 1 CNY). */
const FEN_PER_POINT = 1;

/** CONTRACT.md section 7, analytics: every call for analysts and admins. */
@Controller('analytics')
@Roles('analyst', 'admin')
export class AnalyticsController {
  constructor(
    private readonly models: ReadModels,
    private readonly projections: ProjectionsConsumer,
  ) {}

  @Get('summary')
  async summary(@Query() query: Q) {
    const period = parsePeriod(query);
    const { period: p, upToEnd } = await this.models.totals(period);
    const outstanding = outstandingOf(upToEnd);
    return {
      from: period.from,
      to: period.to,
      issued: p.issued,
      reversed: p.reversed,
      redeemed: p.redeemed,
      expired: p.expired,
      outstanding,
      sedimentationRatio: sedimentationOf(upToEnd),
      flowRatio: ratio(p.redeemed, p.issued),
      liabilityMinor: outstanding * FEN_PER_POINT,
      salesMinor: p.salesMinor,
      pointsCostShareOfSales: ratio(p.issued * FEN_PER_POINT, p.salesMinor),
    };
  }

  @Get('daily')
  async daily(@Query() query: Q) {
    const days = await this.models.days(parsePeriod(query));
    return {
      rows: days.map((d) => ({
        date: d.date,
        issued: d.issued,
        reversed: d.reversed,
        redeemed: d.redeemed,
        expired: d.expired,
        salesMinor: d.salesMinor,
        flowRatio: ratio(d.redeemed, d.issued),
      })),
    };
  }

  @Get('liability/forecast')
  async forecast(@Query() query: Q) {
    const days = parseInteger('days', query.days, { min: 1, max: 3650, fallback: 30 });
    const { upToEnd } = await this.models.totals({ from: null, to: null });
    return forecast(upToEnd, days);
  }

  @Get('redemptions/by-item')
  async byItem() {
    return { items: await this.models.byItem() };
  }

  @Get('tiers')
  tiers() {
    return this.models.tiers();
  }

  @Get('alerts')
  async alerts(@Query() query: Q) {
    const period = parsePeriod(query);
    const [days, { upToEnd }, lastDay] = await Promise.all([
      this.models.days(period),
      this.models.totals(period),
      this.models.lastDay(),
    ]);
    const asOf = period.to ?? lastDay ?? '';
    return {
      alerts: alertsOf(days, {
        asOf,
        ratio: sedimentationOf(upToEnd),
        outstanding: outstandingOf(upToEnd),
      }),
    };
  }

  @Get('lag')
  lag() {
    return this.projections.lag();
  }

  @Get('roi')
  async roi(@Query() query: Q) {
    const period = parsePeriod(query);
    const [rules, control] = await Promise.all([
      this.models.issuanceByRule(period),
      this.models.controlGroup(period),
    ]);
    const perMember = (revenue: number, members: number) => ratio(revenue, members);
    const controlAverage = perMember(control.revenueMinor, control.members);
    return {
      from: period.from,
      to: period.to,
      controlGroup: {
        members: control.members,
        revenueMinor: control.revenueMinor,
        note:
          control.members === 0
            ? 'The control group is empty (the program holds out no members, share 0): incremental revenue cannot be measured and is null.'
            : null,
      },
      rules: rules.map((rule) => {
        const average = perMember(rule.revenueMinor, rule.members);
        return {
          ruleId: rule.ruleId,
          pointsIssued: rule.points,
          costMinor: rule.points * FEN_PER_POINT,
          earners: { members: rule.members, revenueMinor: rule.revenueMinor },
          control: { members: control.members, revenueMinor: control.revenueMinor },
          // (earners' revenue per member − the control group's) × earners.
          incrementalRevenueMinor:
            average === null || controlAverage === null
              ? null
              : Math.round((average - controlAverage) * rule.members),
        };
      }),
    };
  }

  @Get('segments')
  async segments(@Query() query: Q) {
    const asOf = parseInstant('asOf', query.asOf, new Date());
    const limit = parseInteger('limit', query.limit, { min: 1, max: 500, fallback: 50 });
    const cursor = typeof query.cursor === 'string' && query.cursor !== '' ? query.cursor : null;
    const [histories, withoutPurchase, dormant] = await Promise.all([
      this.models.purchaseHistories(),
      this.models.membersWithoutPurchase(),
      this.models.dormant(asOf, 500, limit, cursor),
    ]);
    return {
      asOf: asOf.toISOString(),
      rfm: { ...rfmCounts(histories), withoutPurchase },
      dormantWithPoints: dormant,
    };
  }
}
