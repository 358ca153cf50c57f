// `npm run demo [-- --members 20000 --seed 42 | --quick]`: against a running platform
// (`npm start`), publishes the retail-chain scenario of CONTRACT.md section 6 — a simulated
// year of sign-ups, purchases, refunds, engagement, redemptions and partner credits, with the
// expiry run and tier review at each month end — then prints the run's own monthly figures and
// the alerts. The same seed gives the same table, on a fresh platform or a used one: each run
// uses fresh member ids and sources and its own copies of the stocked catalogue items, and each
// month's steps wait for the last (the partner's credits for their acknowledgements).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Topics } from '@jifen/contracts';
import { localMonth } from '@jifen/ledger';
import {
  createKafka,
  groupId,
  KafkaSettings,
  kafkaSettingsFromEnv,
  topicName,
} from '@jifen/messaging';
import { sign } from '../apps/redemption/src/alliance/signature';
import { retailChainCatalogue } from '../apps/redemption/src/catalogue/retail-chain-catalogue';
import { Month, scenario } from './demo/scenario';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const repo = path.resolve(__dirname, '../..');
const host = process.env.HOST && process.env.HOST !== '0.0.0.0' ? process.env.HOST : '127.0.0.1';
const url = (service: string, fallback: number) =>
  `http://${host}:${process.env[`${service.toUpperCase()}_PORT`] ?? fallback}`;
const services = {
  ingestion: url('ingestion', 3000),
  accounts: url('accounts', 3001),
  redemption: url('redemption', 3002),
  analytics: url('analytics', 3003),
};
const timeZone = process.env.JIFEN_TIMEZONE ?? 'Asia/Shanghai';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function credentials(variable: string, file: string): Record<string, string> {
  const raw = process.env[variable];
  if (raw)
    return Object.fromEntries(
      raw.split(',').map((pair) => pair.trim().split(/:(.*)/s).slice(0, 2)),
    );
  const filePath = path.join(repo, '.jifen', file);
  if (!fs.existsSync(filePath))
    throw new Error(
      `${variable} is not set and ${filePath} does not exist: start the platform with npm start first`,
    );
  return JSON.parse(fs.readFileSync(filePath, 'utf8')) as Record<string, string>;
}

const keys = credentials('JIFEN_API_KEYS', 'api-keys.json');
const partnerSecrets = credentials('JIFEN_PARTNER_SECRETS', 'partner-secrets.json');

async function call(
  base: string,
  method: string,
  route: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Json };
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(
  items: T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Seconds from `from` to `to` (now), one decimal. */
const seconds = (from: number, to = Date.now()) => ((to - from) / 1000).toFixed(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string' },
      seed: { type: 'string', default: '42' },
      quick: { type: 'boolean', default: false },
    },
  });
  const members = Number(values.members ?? (values.quick ? 2_000 : 20_000));
  const seed = Number(values.seed);
  const runId = `demo-${randomBytes(3).toString('hex')}`;

  // The scenario first: building it holds the event loop for seconds, longer than the
  // services keep an idle connection open, and a request sent on a connection the service
  // closed meanwhile fails ("fetch failed", seen once on a used platform).
  const months = scenario({ seed, members, year: 2025, runId });
  for (const [name, base] of Object.entries(services)) {
    const health = await fetch(`${base}/health`).catch(() => undefined);
    if (health?.status !== 200)
      throw new Error(
        `${name} is not healthy at ${base}/health: start the platform with npm start first`,
      );
  }
  const total = months.reduce((n, m) => n + m.events.length, 0);
  progress(
    `demo ${runId}: ${members.toLocaleString('en')} members, ${total.toLocaleString('en')} events over 12 simulated months of 2025 (seed ${seed})`,
  );

  const items = await stockedCopies(months, runId);
  const settings = kafkaSettingsFromEnv('jifen-demo');
  const producer = createKafka(settings).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const acks = await followAcks(settings, runId);
  const ingestionStats = async () =>
    (await call(services.ingestion, 'GET', '/stats', keys.admin)).body;
  const accountsStats = async () =>
    (await call(services.accounts, 'GET', '/stats', keys.admin)).body;
  const startedIngestion = (await ingestionStats()).received as number;
  const startedAccounts = await accountsStats();
  const redemptionMonth = new Map<string, number>();
  let published = 0;

  try {
    for (const month of months) {
      const started = Date.now();
      for (let i = 0; i < month.events.length; i += 1_000) {
        await producer.send({
          topic: topicName(settings, Topics.inbound),
          messages: month.events
            .slice(i, i + 1_000)
            .map((e) => ({ key: e.subject, value: JSON.stringify(e) })),
        });
      }
      published += month.events.length;
      await caughtUp(startedIngestion + published, startedAccounts, ingestionStats, accountsStats);
      // The partner's credits once the month's sign-ups are applied, and answered before the
      // month's redemptions, whose balances they add to: the same order on every run.
      await producer.send({
        topic: topicName(settings, Topics.allianceInbound),
        messages: month.partnerCredits.map((c) => {
          const message = {
            messageId: c.messageId,
            partnerId: 'airline-x',
            type: 'credit',
            memberId: c.memberId,
            partnerMemberRef: `AX-${c.memberId}`,
            points: c.points,
            partnerUnits: Math.floor((c.points * 8) / 100),
            rate: 8,
            occurredAt: c.occurredAt,
          };
          return {
            key: 'airline-x',
            value: JSON.stringify({
              ...message,
              signature: sign(message, partnerSecrets['airline-x']),
            }),
          };
        }),
      });
      const credited = await acks.answered(month.partnerCredits.map((c) => c.messageId));
      const applied = Date.now();

      await inParallel(month.redemptions, 24, async (r) => {
        redemptionMonth.set(r.redemptionId, month.month);
        const body =
          r.kind === 'cash_offset'
            ? {
                redemptionId: r.redemptionId,
                memberId: r.memberId,
                cashOffset: { orderId: r.orderId, points: r.points },
              }
            : r.kind === 'points'
              ? {
                  redemptionId: r.redemptionId,
                  memberId: r.memberId,
                  itemId: items.get(r.itemId) ?? r.itemId,
                  mode: 'points',
                }
              : {
                  redemptionId: r.redemptionId,
                  memberId: r.memberId,
                  itemId: items.get(r.itemId) ?? r.itemId,
                  mode: 'points_plus_cash',
                  points: r.points,
                };
        let answer = await call(
          services.redemption,
          'POST',
          '/redemptions',
          keys['member-app'],
          body,
        );
        // Not settled within the request's time: ask again until it is, so every run pays the same.
        while (answer.body.status === 'pending') {
          await sleep(200);
          answer = await call(
            services.redemption,
            'GET',
            `/redemptions/${encodeURIComponent(r.redemptionId)}`,
            keys['member-app'],
          );
        }
        if (r.kind === 'points_plus_cash' && answer.body.status === 'awaiting_payment') {
          await call(
            services.redemption,
            'POST',
            `/redemptions/${encodeURIComponent(r.redemptionId)}/payment`,
            keys['member-app'],
            { paid: r.paid },
          );
        }
      });
      const redeemed = Date.now();
      for (const job of ['expiry', 'tier-review']) {
        for (;;) {
          const { body } = await call(services.accounts, 'POST', `/admin/jobs/${job}`, keys.admin, {
            asOf: month.endsAt,
          });
          if (body.status === 'completed') break;
          await sleep(500);
        }
      }
      progress(
        `  ${month.label}: ${month.events.length.toLocaleString('en')} events, ${month.redemptions.length} redemptions, ` +
          `${month.partnerCredits.length} partner credits (${credited} accepted), month-end jobs done (${seconds(started)} s: ` +
          `applied ${seconds(started, applied)}, redeemed ${seconds(applied, redeemed)}, month end ${seconds(redeemed)})`,
      );
    }
  } finally {
    await producer.disconnect();
    await acks.stop();
  }

  for (;;) {
    const { body } = await call(services.analytics, 'GET', '/analytics/lag', keys.analyst);
    if (body.events === 0) break;
    await sleep(500);
  }
  await report(months, redemptionMonth);
}

/**
 * The run's own copies of the stocked catalogue items its redemptions ask for, each with the
 * shipped stock (`<runId>-<itemId>`), by shipped item id. A stocked item's stock is shared by
 * every run on a platform: a second run found the kettles sold out and printed other figures.
 */
async function stockedCopies(months: Month[], runId: string): Promise<Map<string, string>> {
  const asked = new Set(
    months.flatMap((m) => m.redemptions.flatMap((r) => ('itemId' in r ? [r.itemId] : []))),
  );
  const copies = new Map<string, string>();
  for (const item of retailChainCatalogue) {
    if (item.stock === null || !asked.has(item.itemId)) continue;
    const itemId = `${runId}-${item.itemId}`;
    const { status, body } = await call(
      services.redemption,
      'POST',
      '/admin/catalogue',
      keys.admin,
      {
        ...item,
        itemId,
        name: `${item.name} (${runId})`,
      },
    );
    if (status >= 300)
      throw new Error(
        `could not add the catalogue item ${itemId}: ${status} ${JSON.stringify(body)}`,
      );
    copies.set(item.itemId, itemId);
  }
  return copies;
}

/**
 * The partner's side of the alliance: each message gets a signed acknowledgement on the
 * outbound topic once accounts applied or refused it (CONTRACT.md section 5). `answered`
 * waits for the acks of the given messages and says how many were accepted.
 */
async function followAcks(settings: KafkaSettings, runId: string) {
  const group = groupId(settings, `jifen-demo-${runId}`);
  const kafka = createKafka(settings);
  const consumer = kafka.consumer({ groupId: group });
  const statuses = new Map<string, string>();
  await consumer.connect();
  await consumer.subscribe({
    topic: topicName(settings, Topics.allianceOutbound),
    fromBeginning: true,
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const ack = JSON.parse(message.value?.toString('utf8') ?? '{}') as Json;
      if (ack.type === 'ack') statuses.set(ack.inReplyTo as string, ack.status as string);
    },
  });
  return {
    async answered(messageIds: string[]): Promise<number> {
      while (!messageIds.every((id) => statuses.has(id))) await sleep(100);
      return messageIds.filter((id) => statuses.get(id) === 'accepted').length;
    },
    async stop(): Promise<void> {
      await consumer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([group]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

async function caughtUp(
  ingestionTarget: number,
  accountsBefore: Json,
  ingestionStats: () => Promise<Json>,
  accountsStats: () => Promise<Json>,
): Promise<void> {
  for (;;) {
    const ingestion = await ingestionStats();
    const accounts = await accountsStats();
    const decided = (s: Json) =>
      (s.applied as number) +
      (s.duplicates as number) +
      Object.values(s.deadLettered as Record<string, number>).reduce((a, b) => a + b, 0);
    const forwardedSince = (ingestion.forwarded as number) - (accountsBefore.received as number);
    if (
      ingestion.received >= ingestionTarget &&
      decided(accounts) - decided(accountsBefore) >= forwardedSince
    )
      return;
    await sleep(250);
  }
}

interface Row {
  active: number;
  issued: number;
  reversed: number;
  redeemed: number;
  expired: number;
  salesMinor: number;
}

async function report(months: Month[], redemptionMonth: Map<string, number>): Promise<void> {
  const rows: Row[] = months.map((m) => {
    const buyers = new Set(
      m.events.filter((e) => e.type === 'purchase.completed').map((e) => e.subject),
    );
    const salesMinor = m.events
      .filter((e) => e.type === 'purchase.completed')
      .reduce((a, e) => a + (e.data as Json).amountMinor, 0);
    return { active: buyers.size, issued: 0, reversed: 0, redeemed: 0, expired: 0, salesMinor };
  });
  const memberIds = [...new Set(months.flatMap((m) => m.events.map((e) => e.subject)))];
  const tiers: Record<string, number> = { member: 0, silver: 0, gold: 0, diamond: 0 };
  let served = 0;
  const monthIndex = (occurredAt: string) =>
    Number(localMonth(occurredAt, timeZone).slice(5, 7)) - 1;

  await inParallel(memberIds, 16, async (memberId) => {
    const view = await call(
      services.accounts,
      'GET',
      `/members/${encodeURIComponent(memberId)}`,
      keys.admin,
    );
    if (view.status !== 200) return;
    tiers[view.body.tier] += 1;
    served += view.body.balance + view.body.reserved;
    let cursor: string | null = null;
    do {
      const page: { body: Json } = await call(
        services.accounts,
        'GET',
        `/members/${encodeURIComponent(memberId)}/ledger?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        keys.admin,
      );
      for (const entry of page.body.entries as Json[]) {
        // Redemptions run in real time; they count in the simulated month that asked for them.
        const redemption = /^redemption\/(.+)$/.exec(entry.sourceEventId as string);
        const m = redemption
          ? (redemptionMonth.get(redemption[1]) ?? 12) - 1
          : monthIndex(entry.occurredAt);
        const row = rows[m];
        switch (entry.kind) {
          case 'earn':
          case 'partner_credit':
            row.issued += entry.points;
            break;
          case 'reverse':
          case 'debt_payoff':
            row.reversed -= entry.points;
            break;
          case 'redeem':
          case 'reserve':
          case 'release':
          case 'partner_debit':
            row.redeemed -= entry.points;
            break;
          case 'expire':
            row.expired -= entry.points;
            break;
        }
      }
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
  });

  const fmt = (n: number) => n.toLocaleString('en');
  const ratio = (a: number, b: number) => (b === 0 ? '–' : (a / b).toFixed(3));
  const header = [
    'month',
    'active',
    'issued',
    'redeemed',
    'expired',
    'reversed',
    'flow',
    'sediment.',
    'liability CNY',
    'cost/sales',
  ];
  const lines: string[][] = [header];
  let issued = 0;
  let reversed = 0;
  let outstanding = 0;
  months.forEach((m, i) => {
    const r = rows[i];
    issued += r.issued;
    reversed += r.reversed;
    outstanding += r.issued - r.reversed - r.redeemed - r.expired;
    lines.push([
      m.label,
      fmt(r.active),
      fmt(r.issued),
      fmt(r.redeemed),
      fmt(r.expired),
      fmt(r.reversed),
      ratio(r.redeemed, r.issued),
      ratio(outstanding, issued - reversed),
      (outstanding / 100).toLocaleString('en', { minimumFractionDigits: 2 }),
      r.salesMinor === 0 ? '–' : `${((r.issued / r.salesMinor) * 100).toFixed(2)}%`,
    ]);
  });
  const widths = header.map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  progress('');
  for (const line of lines)
    progress(
      line
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  '),
    );
  progress('');
  progress(
    `tier mix at the end: ${Object.entries(tiers)
      .map(([t, n]) => `${t} ${fmt(n)}`)
      .join(', ')}`,
  );
  progress(
    `outstanding ${fmt(outstanding)} points = the members' balance + reserved in accounts: ${served === outstanding ? 'yes' : `NO (${fmt(served)})`}`,
  );
  const alerts = await call(services.analytics, 'GET', '/analytics/alerts', keys.analyst);
  const fired = (alerts.body.alerts ?? alerts.body) as Json[];
  const byKind = new Map<string, Json[]>();
  for (const alert of Array.isArray(fired) ? fired : []) {
    byKind.set(alert.alert, [...(byKind.get(alert.alert) ?? []), alert]);
  }
  progress(`alerts that fired (analytics, whole platform): ${byKind.size === 0 ? 'none' : ''}`);
  for (const [kind, list] of byKind) {
    const { alert: _kind, ...latest } = list[list.length - 1];
    progress(`  ${kind}: ${list.length} time(s); latest ${JSON.stringify(latest)}`);
  }
  progress(
    '  (redemptions run in real time, so simulated days show none: a daily flow ratio of 0)',
  );
  progress(`dashboard: ${services.analytics}/dashboard (analyst key in .jifen/api-keys.json)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`demo failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
