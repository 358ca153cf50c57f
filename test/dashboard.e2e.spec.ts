import { INestApplication } from '@nestjs/common';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { LedgerCommandMessage, RedemptionEvent, Topics } from '@jifen/contracts';
import { createServiceApp, serviceConfigFromEnv, ServiceName } from '@jifen/platform';
import {
  cloudEvent,
  createTestContext,
  eventually,
  matrixKeys,
  publishCloudEvents,
  randomMemberId,
  TestContext,
} from '@jifen/testing';
import { AccountsModule } from '../apps/accounts/src/accounts.module';
import { AnalyticsModule } from '../apps/analytics/src/analytics.module';
import { IngestionModule } from '../apps/ingestion/src/ingestion.module';

// The analytics dashboard in headless Chromium (Debian's package, driven by playwright-core; no
// browser download): a known stream through ingestion and accounts (a redemption as the
// redemption service's command, items as its confirmations), then the page opened with no key,
// a wrong key and a member-app key refused, the analyst key accepted, and every figure on the
// page compared with what the running analytics answers. Screenshot: test-artifacts/.

const chromiumPath = '/usr/bin/chromium';
const artifacts = join(__dirname, '..', 'test-artifacts');

// The page's globals, in the callbacks that run in the browser (the project has no DOM types).
declare const document: { querySelector(selector: string): Element | null };
declare const sessionStorage: { getItem(key: string): string | null };
interface Element {
  getAttribute(name: string): string | null;
}

/** Debian's chromium, installed as .ci/run does when missing (root with apt-get only). */
function findChromium(): string | null {
  if (existsSync(chromiumPath)) return null;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    spawnSync(
      'sh',
      [
        '-c',
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium',
      ],
      { stdio: 'ignore', timeout: 600_000 },
    );
    if (existsSync(chromiumPath)) return null;
  }
  return `${chromiumPath} is absent and could not be installed (apt-get install -y chromium needs root on Debian; .ci/run does it)`;
}

const missing = findChromium();
if (missing !== null) process.stderr.write(`dashboard e2e skipped: ${missing}\n`);
const describeWithChromium = missing === null ? describe : describe.skip;

const t0 = Date.parse('2025-03-04T02:00:00Z'); // 10:00 on 2025-03-04 in Asia/Shanghai
const at = (hours: number) => new Date(t0 + hours * 3_600_000).toISOString();

describeWithChromium('the analytics dashboard in headless Chromium', () => {
  let ctx: TestContext;
  let browser: Browser;
  const apps: INestApplication[] = [];
  const urls: Partial<Record<ServiceName, string>> = {};
  const keys = matrixKeys();
  const [A, B, D, E] = ['a', 'b', 'd', 'e'].map((p) => randomMemberId(p));

  const call = async (service: ServiceName, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${urls[service]}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${service === 'analytics' ? keys.analyst : keys.admin}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // Answers are JSON read field by field in the assertions below.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: (await response.json()) as any };
  };
  const analytics = async (path: string) => {
    const { status, body } = await call('analytics', 'GET', path);
    expect(status).toBe(200);
    return body;
  };
  const balanceOf = async (id: string) =>
    (await call('accounts', 'GET', `/members/${id}`)).body.balance as number;
  const settled = (expected: Record<string, number>) =>
    eventually(async () => {
      for (const [id, balance] of Object.entries(expected))
        expect(await balanceOf(id)).toBe(balance);
    });
  const purchase = (memberId: string, orderId: string, amountMinor: number, hours: number) =>
    cloudEvent(
      'purchase.completed',
      { memberId, orderId, amountMinor, currency: 'CNY' },
      { time: at(hours) },
    );
  const signUp = (memberId: string, hours: number) =>
    cloudEvent('member.signed_up', { memberId }, { time: at(hours) });

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    const launching = chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    ctx = await createTestContext();
    for (const service of ['ingestion', 'accounts', 'analytics'] as const) {
      const config = serviceConfigFromEnv(
        service,
        ctx.env({ JIFEN_API_KEYS: keys.env, JIFEN_JOBS_SCHEDULE: 'off' }),
      );
      const root =
        service === 'ingestion'
          ? IngestionModule.forRoot(config)
          : service === 'accounts'
            ? AccountsModule.forRoot(config)
            : AnalyticsModule.forRoot(config);
      const app = await createServiceApp(root, config, { logger: ['error'] });
      await app.listen(0, '127.0.0.1');
      apps.push(app);
      urls[service] = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    }
    browser = await launching;
  });

  afterAll(async () => {
    await browser?.close();
    for (const app of apps.reverse()) await app.close();
    await ctx?.dispose();
  });

  it('serves the page without a key, under a policy that allows only its own scripts', async () => {
    const response = await fetch(`${urls.analytics}/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await response.text();
    // Every script is a file from this origin: no inline script, no other host.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc="\/dashboard\/assets\/)/);
    expect(html).not.toMatch(/\bon[a-z]+="|style="|https?:\/\//);
    const script = await fetch(`${urls.analytics}/dashboard/assets/dashboard.js`);
    expect([script.status, script.headers.get('content-type')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
    // The API behind it still wants the analyst's key.
    expect((await fetch(`${urls.analytics}/analytics/summary`)).status).toBe(401);
  });

  it('asks for the key, keeps it for the session and shows the running figures', async () => {
    // Day 1, 2025-03-04: A and D sign up (50 each), A buys 1,000 CNY, B 2,500 CNY (silver).
    // Day 2: A redeems 200 (the redemption service's command). Day 3: E buys 60,000 CNY
    // (diamond; issuance above 50,000 in a day). 2025-04-05: D's sign-up points expire.
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), [
      signUp(A, 0),
      purchase(A, 'a-1', 100_000, 1),
      purchase(B, 'b-1', 250_000, 2),
      signUp(D, 3),
      purchase(E, 'e-1', 6_000_000, 48),
    ]);
    await settled({ [A]: 1_050, [B]: 2_500, [D]: 50, [E]: 60_000 });
    const redeem: LedgerCommandMessage = {
      kind: 'ledger',
      commandId: `redeem-${A}`,
      memberId: A,
      command: {
        type: 'RedeemPoints',
        memberId: A,
        sourceEventId: `redemption-${A}`,
        time: at(24),
        redemptionId: `r-${A}`,
        points: 200,
      },
    };
    await ctx.producer.send({
      topic: ctx.topic(Topics.commands),
      messages: [{ key: A, value: JSON.stringify(redeem) }],
    });
    await settled({ [A]: 850 });
    const expiry = await call('accounts', 'POST', '/admin/jobs/expiry', {
      asOf: '2025-04-05T00:00:00Z',
    });
    expect(expiry.status).toBeLessThan(300);
    await settled({ [D]: 0 });
    const confirmed = (redemptionId: string, itemId: string, points: number): RedemptionEvent => ({
      eventId: `redemption/${redemptionId}/redemption.confirmed`,
      type: 'redemption.confirmed',
      memberId: A,
      occurredAt: at(24),
      data: {
        redemptionId,
        mode: 'points',
        itemId,
        category: itemId === 'mug' ? 'home' : 'food',
        orderId: null,
        points,
        cashMinor: 0,
        unitCostMinor: 1_500,
        quantity: 1,
      },
    });
    const items = [
      confirmed('r-1', 'tea', 150),
      confirmed('r-2', 'mug', 25),
      confirmed('r-3', 'mug', 25),
    ];
    await ctx.producer.send({
      topic: ctx.topic(Topics.redemptionEvents),
      messages: items.map((e) => ({ key: e.memberId, value: JSON.stringify(e) })),
    });
    await eventually(async () => expect((await analytics('/analytics/lag')).events).toBe(0), {
      timeoutMs: 30_000,
    });
    await eventually(async () =>
      expect((await analytics('/analytics/redemptions/by-item')).items).toHaveLength(2),
    );

    // What the running analytics answers; the page's default period is every day with flows.
    const daily = (await analytics('/analytics/daily')).rows as Array<Record<string, number>>;
    const from = '2025-03-04';
    const to = '2025-04-05';
    expect(daily.map((row) => row.date)).toEqual([from, '2025-03-05', '2025-03-06', to]);
    const period = `from=${from}&to=${to}`;
    const summary = await analytics(`/analytics/summary?${period}`);
    const alerts = (await analytics(`/analytics/alerts?${period}`)).alerts;
    const tiers = await analytics('/analytics/tiers');
    const byItem = (await analytics('/analytics/redemptions/by-item')).items;
    // By hand: issued 50 + 1,000 + 2,500 + 50 + 60,000; redeemed 200; D's 50 expired.
    expect(summary).toMatchObject({ issued: 63_600, redeemed: 200, expired: 50, reversed: 0 });
    expect(summary.outstanding).toBe(1_050 - 200 + 2_500 + 60_000);

    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    const foreign: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${urls.analytics}/`) && !url.startsWith('data:')) foreign.push(url);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && !isRefusal(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${urls.analytics}/dashboard`);
    await page.waitForSelector('#key', { state: 'visible' });
    expect(await page.isVisible('#board')).toBe(false);

    // Refused keys: unknown, then a role that may not read analytics. Neither is kept. The key
    // checks answer late, so the first refusal cannot be read as the second key's answer.
    const slowCheck = '**/analytics/lag';
    await page.route(slowCheck, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await route.continue();
    });
    await signIn(page, 'not-a-key');
    await expect(loginError(page)).resolves.toMatch(/does not know this key/);
    await signIn(page, keys['member-app']);
    await expect(loginError(page)).resolves.toMatch(/analysts and admins only/);
    expect(await storedKey(page)).toBeNull();
    await page.unroute(slowCheck);

    await signIn(page, keys.analyst);
    await ready(page, problems);
    expect(await storedKey(page)).toBe(keys.analyst);
    expect([await page.inputValue('#from'), await page.inputValue('#to')]).toEqual([from, to]);

    // The figures, as the API gave them.
    const figure = (id: string) => page.getAttribute(`#${id}`, 'data-value');
    expect(await page.textContent('#kpi-issued')).toBe('63,600');
    for (const [id, field] of [
      ['kpi-issued', 'issued'],
      ['kpi-redeemed', 'redeemed'],
      ['kpi-expired', 'expired'],
      ['kpi-reversed', 'reversed'],
      ['kpi-outstanding', 'outstanding'],
      ['kpi-sedimentation', 'sedimentationRatio'],
      ['kpi-liability', 'liabilityMinor'],
      ['kpi-cost-share', 'pointsCostShareOfSales'],
    ]) {
      expect([id, await figure(id)]).toEqual([id, String(summary[field])]);
    }
    expect(await page.textContent('#kpi-liability')).toBe('¥633.50');

    // Daily bars: one per non-zero flow of every day, with the day's value.
    const bars = await page.$$eval('#chart-daily rect.bar', (rects) =>
      rects.map((r) => [
        r.getAttribute('data-date'),
        r.getAttribute('data-series'),
        r.getAttribute('data-value'),
      ]),
    );
    const expectedBars = daily.flatMap((row) =>
      (['issued', 'redeemed', 'expired'] as const)
        .filter((series) => row[series] !== 0)
        .map((series) => [row.date, series, String(row[series])]),
    );
    expect(bars).toEqual(expectedBars);

    // Sedimentation and liability end where the summary does; one point per day.
    const line = (chart: string) =>
      page.$$eval(`#${chart} circle.dot`, (dots) =>
        dots.map((d) => [d.getAttribute('data-date'), Number(d.getAttribute('data-value'))]),
      );
    const sedimentation = await line('chart-sedimentation');
    const liability = await line('chart-liability');
    expect(sedimentation).toHaveLength(33);
    expect(liability).toHaveLength(33);
    expect(sedimentation[32]).toEqual([to, summary.sedimentationRatio]);
    expect(liability[32]).toEqual([to, summary.liabilityMinor]);
    expect(liability[0]).toEqual([from, 3_600]);
    expect(await page.textContent('#as-of')).toMatch(/agrees with \/analytics\/summary/);

    // Tiers, items and alerts.
    const tierBars = await page.$$eval('#chart-tiers rect.bar', (rects) =>
      Object.fromEntries(
        rects.map((r) => [r.getAttribute('data-tier'), Number(r.getAttribute('data-value'))]),
      ),
    );
    expect(tierBars).toEqual(tiers);
    expect(tiers).toEqual({ member: 2, silver: 1, gold: 0, diamond: 1 });
    const itemRows = await page.$$eval('#items tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(itemRows).toEqual(
      byItem.map((item: Record<string, number | string | null>) => [
        item.itemId,
        item.category,
        String(item.count),
        String(item.points),
        `¥${((item.costMinor as number) / 100).toFixed(2)}`,
        (item.costPerPointMinor as number).toFixed(2),
      ]),
    );
    expect(itemRows.map((row) => row[0])).toEqual(['tea', 'mug']);
    const alertKinds = await page.$$eval('#alerts li', (lis) => lis.map((li) => li.dataset.alert));
    expect(alertKinds).toEqual(alerts.map((a: { alert: string }) => a.alert));
    expect(alertKinds).toEqual(
      expect.arrayContaining(['daily_issuance', 'daily_flow_ratio', 'sedimentation']),
    );
    expect(await page.textContent('#lag')).toMatch(/Caught up/);

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });

    // Another period: the figures follow it.
    await page.fill('#from', from);
    await page.fill('#to', '2025-03-05');
    await page.click('#period button[type="submit"]');
    await page.waitForFunction(
      () => document.querySelector('#kpi-issued')?.getAttribute('data-value') === '3600',
    );
    expect(await figure('kpi-redeemed')).toBe('200');

    // The key lasts for the session: a reload needs none, a new session asks again.
    await page.reload();
    await ready(page, problems);
    const other = await context.browser()!.newContext();
    const fresh = await other.newPage();
    await fresh.goto(`${urls.analytics}/dashboard`);
    await fresh.waitForSelector('#key', { state: 'visible' });
    await other.close();
    await page.click('#forget');
    await page.waitForSelector('#key', { state: 'visible' });
    expect(await storedKey(page)).toBeNull();

    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});

async function signIn(page: Page, key: string): Promise<void> {
  await page.fill('#key', key);
  await page.click('#key-form button[type="submit"]');
}

/** Waits for the board to finish loading; a failure names what the page reported. */
async function ready(page: Page, problems: string[]): Promise<void> {
  try {
    await page.waitForSelector('#board[data-state="ready"], #board[data-state="error"]', {
      timeout: 10_000,
    });
    if ((await page.getAttribute('#board', 'data-state')) !== 'ready') throw new Error('error');
  } catch (error) {
    const state = await page.getAttribute('#board', 'data-state');
    const shown = await page.textContent('#board-error');
    throw new Error(
      `the board is not ready (state ${state}, error ${JSON.stringify(shown)}, page problems ${JSON.stringify(problems)}): ${String(error)}`,
    );
  }
}

async function loginError(page: Page): Promise<string> {
  await page.waitForSelector('#login-error', { state: 'visible' });
  return (await page.textContent('#login-error')) ?? '';
}

const storedKey = (page: Page) =>
  page.evaluate(() => sessionStorage.getItem('jifen.analytics.key'));

/** Chromium logs a failed fetch (the refused keys' 401 and 403) as a console error. */
const isRefusal = (text: string) => /status of 40[13]/.test(text);
