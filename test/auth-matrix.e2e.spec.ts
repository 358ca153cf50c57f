import { DynamicModule, INestApplication } from '@nestjs/common';
import {
  createServiceApp,
  ServiceConfig,
  serviceConfigFromEnv,
  ServiceName,
} from '@jifen/platform';
import {
  createTestContext,
  MatrixEndpoint,
  matrixKeys,
  mismatches,
  runAuthMatrix,
  servedRoutes,
  TestContext,
} from '@jifen/testing';
import { AccountsModule } from '../apps/accounts/src/accounts.module';
import { AnalyticsModule } from '../apps/analytics/src/analytics.module';
import { IngestionModule } from '../apps/ingestion/src/ingestion.module';
import { RedemptionModule } from '../apps/redemption/src/redemption.module';

// The authorization matrix of CONTRACT.md: every endpoint of every service × every caller.
// An issue that adds an endpoint adds its row here; a served route without a row fails the
// "covers every route" test, so no endpoint ships unguarded by accident.

const platform: MatrixEndpoint[] = [
  { method: 'GET', path: '/health', allowed: 'public' },
  { method: 'GET', path: '/metrics', allowed: 'public' },
  { method: 'GET', path: '/admin/config', allowed: ['admin'] },
];

const services: Record<
  ServiceName,
  { module: (config: ServiceConfig) => DynamicModule; endpoints: MatrixEndpoint[] }
> = {
  ingestion: {
    module: (c) => IngestionModule.forRoot(c),
    endpoints: [...platform, { method: 'GET', path: '/stats', allowed: ['admin', 'analyst'] }],
  },
  accounts: {
    module: (c) => AccountsModule.forRoot(c),
    endpoints: [
      ...platform,
      { method: 'GET', path: '/stats', allowed: ['admin', 'analyst'] },
      {
        method: 'GET',
        path: '/members/m-matrix',
        route: '/members/:memberId',
        allowed: ['member-app', 'admin'],
      },
      {
        method: 'GET',
        path: '/members/m-matrix/ledger',
        route: '/members/:memberId/ledger',
        allowed: ['member-app', 'admin'],
      },
      {
        method: 'POST',
        path: '/members/m-matrix/transfers',
        route: '/members/:memberId/transfers',
        allowed: ['member-app'],
        body: { transferId: 't-matrix', toMemberId: 'm-other', points: 1 },
      },
      {
        method: 'GET',
        path: '/members/m-matrix/transfers/t-matrix',
        route: '/members/:memberId/transfers/:transferId',
        allowed: ['member-app', 'admin'],
      },
      // No member is enrolled here, so a run commands nobody and answers at once.
      {
        method: 'POST',
        path: '/admin/jobs/expiry',
        allowed: ['admin'],
        body: { asOf: '2026-01-01T00:00:00Z' },
      },
      {
        method: 'POST',
        path: '/admin/jobs/tier-review',
        allowed: ['admin'],
        body: { asOf: '2026-01-01T00:00:00Z' },
      },
      { method: 'GET', path: '/rules', allowed: 'any' },
      // An empty body is refused (400) after the guard: nothing is published.
      { method: 'POST', path: '/admin/rules', allowed: ['admin'], body: {} },
    ],
  },
  redemption: {
    module: (c) => RedemptionModule.forRoot(c),
    endpoints: [
      ...platform,
      { method: 'GET', path: '/catalogue', allowed: 'any' },
      // An empty body is refused (400) after the guard: nothing is stored.
      { method: 'POST', path: '/admin/catalogue', allowed: ['admin'], body: {} },
      { method: 'POST', path: '/redemptions', allowed: ['member-app'], body: {} },
      {
        method: 'GET',
        path: '/redemptions/r-matrix',
        route: '/redemptions/:redemptionId',
        allowed: ['member-app', 'admin'],
      },
      {
        method: 'POST',
        path: '/redemptions/r-matrix/payment',
        route: '/redemptions/:redemptionId/payment',
        allowed: ['member-app'],
        body: {},
      },
      {
        method: 'GET',
        path: '/alliance/partners/airline-x/statements/2026-11-20',
        route: '/alliance/partners/:partnerId/statements/:date',
        allowed: ['admin', 'analyst'],
      },
      {
        method: 'POST',
        path: '/admin/alliance/partners/no-partner/statements/2026-11-20',
        route: '/admin/alliance/partners/:partnerId/statements/:date',
        allowed: ['admin'],
      },
    ],
  },
  analytics: {
    module: (c) => AnalyticsModule.forRoot(c),
    endpoints: [
      ...platform,
      { method: 'GET', path: '/analytics/summary', allowed: ['analyst', 'admin'] },
      { method: 'GET', path: '/analytics/daily', allowed: ['analyst', 'admin'] },
      { method: 'GET', path: '/analytics/liability/forecast', allowed: ['analyst', 'admin'] },
      { method: 'GET', path: '/analytics/redemptions/by-item', allowed: ['analyst', 'admin'] },
      { method: 'GET', path: '/analytics/tiers', allowed: ['analyst', 'admin'] },
      { method: 'GET', path: '/analytics/alerts', allowed: ['analyst', 'admin'] },
      { method: 'GET', path: '/analytics/lag', allowed: ['analyst', 'admin'] },
      { method: 'GET', path: '/analytics/roi', allowed: ['analyst', 'admin'] },
      { method: 'GET', path: '/analytics/segments', allowed: ['analyst', 'admin'] },
      // The dashboard page and its assets need no key; the page sends the analyst's key to
      // the /analytics calls above.
      { method: 'GET', path: '/dashboard', allowed: 'public' },
      { method: 'GET', path: '/dashboard/assets/dashboard.js', allowed: 'public' },
      { method: 'GET', path: '/dashboard/assets/dashboard.css', allowed: 'public' },
    ],
  },
};

describe('the authorization matrix', () => {
  let ctx: TestContext;
  const keys = matrixKeys();
  const apps = new Map<ServiceName, { app: INestApplication; url: string }>();

  beforeAll(async () => {
    ctx = await createTestContext();
    await Promise.all(
      (Object.keys(services) as ServiceName[]).map(async (service) => {
        const config = serviceConfigFromEnv(service, ctx.env({ JIFEN_API_KEYS: keys.env }));
        const app = await createServiceApp(services[service].module(config), config, {
          logger: ['error', 'warn'],
        });
        await app.listen(0, '127.0.0.1');
        apps.set(service, { app, url: await app.getUrl() });
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([...apps.values()].map(({ app }) => app.close()));
    await ctx?.dispose();
  });

  describe.each(Object.keys(services) as ServiceName[])('%s', (service) => {
    it('has a row for every route it serves', () => {
      const rows = new Set(
        services[service].endpoints.map((e) => `${e.method} ${e.route ?? e.path}`),
      );
      const served = servedRoutes(apps.get(service)!.app);
      // A route listed here needs a row in `services` above (its roles per the contract).
      const routesWithoutARow = served.filter((route) => !rows.has(route));
      expect(routesWithoutARow).toEqual([]);
      expect([...rows].filter((row) => !served.includes(row))).toEqual([]);
    });

    it('answers 401 without or with an unknown key, 403 for a wrong role, and lets allowed roles through', async () => {
      const { url } = apps.get(service)!;
      const cells = await runAuthMatrix(url, keys, services[service].endpoints);
      expect(mismatches(cells)).toEqual([]);
      // The table is not vacuous: protected endpoints did answer 401 and 403.
      expect(cells.some((cell) => cell.actual === 401)).toBe(true);
      expect(cells.some((cell) => cell.actual === 403)).toBe(true);
    });
  });
});
