import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { Client } from 'pg';
import { CloudEvent, parseInbound, Topics } from '@jifen/contracts';
import {
  decide,
  DEFAULT_CONFIG,
  evolve,
  initialState,
  LedgerEvent,
  LedgerRefusal,
  MemberState,
  memberView,
} from '@jifen/ledger';
import { quoteIdent } from '@jifen/platform';
import { createTestContext, eventually, matrixKeys, TestContext } from '@jifen/testing';
import { integrationOutboxEntry } from '../../apps/accounts/src/integration/integration-events';
import { toLedgerCommand } from '../../apps/accounts/src/intake/to-ledger-command';
import { seededRandom } from '../../libs/ledger/src/testing/random';
import { AuditReport, runAudit } from '../../scripts/audit/run-audit';
import { freePort } from './cluster';

export type ServiceName = 'ingestion' | 'accounts' | 'redemption' | 'analytics';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Answer = Record<string, any>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A size the suite is run at: FAULT_EVENTS raises it (members stay one per ten events). */
export const streamSize = () => {
  const events = Number(process.env.FAULT_EVENTS ?? 5_000);
  return { events, members: Math.max(10, Math.round(events / 10)) };
};

const connectionNoise = /Connection error: connect ECONNREFUSED|Failed to connect to seed broker/;

/** One service process, compiled once by the global setup, as `npm start` runs it. */
export class ServiceProcess {
  child?: ChildProcess;
  private lines: string[] = [];
  /** kafkajs's connection errors, counted rather than kept (see `log`). */
  private connectionErrors = 0;
  exits: Array<{ code: number | null; signal: NodeJS.Signals | null }> = [];

  constructor(
    readonly service: ServiceName,
    readonly name: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const main = path.join(process.env.JIFEN_FAULTS_DIST!, `apps/${this.service}/src/main.js`);
    const child = spawn(process.execPath, ['--enable-source-maps', main], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        if (connectionNoise.test(line)) this.connectionErrors++;
        else this.lines.push(line);
      }
      if (this.lines.length > 400) this.lines.splice(0, this.lines.length - 300);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, signal) => this.exits.push({ code, signal }));
    this.child = child;
  }

  async healthy(timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        if (this.child?.exitCode !== null || this.child?.signalCode !== null) {
          throw new Error(`${this.name} exited:\n${this.log(30)}`);
        }
        const response = await fetch(`${this.url}/health`);
        expect(response.status).toBe(200);
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL, or another signal, and wait for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** As the supervisor does after a crash: start again after 0.5 s, then wait for /health. */
  async restart(): Promise<void> {
    await sleep(500);
    this.start();
    await this.healthy();
  }

  /**
   * The last lines of the log, long ones cut, without kafkajs's connection errors: a line each
   * per client and retry while the broker is away, they crowded out what says why a service
   * is stuck. How many there were is said instead.
   */
  log(last = 50): string {
    return [
      ...(this.connectionErrors > 0
        ? [`(${this.connectionErrors} kafkajs connection-error lines left out)`]
        : []),
      ...this.lines
        .slice(-last)
        .map((line) => (line.length > 600 ? `${line.slice(0, 600)}…` : line)),
    ].join('\n');
  }
}

export interface PlatformOptions {
  services: ServiceName[];
  partitions?: number;
  extraEnv?: Record<string, string>;
}

/** The four services (or some), as real processes on the suite's broker and cluster. */
export class Platform {
  readonly keys = matrixKeys();
  readonly processes = new Map<string, ServiceProcess>();
  private constructor(readonly ctx: TestContext) {}

  static async start(options: PlatformOptions): Promise<Platform> {
    const ctx = await createTestContext({ partitions: options.partitions ?? 3 });
    const platform = new Platform(ctx);
    platform.extraEnv = options.extraEnv ?? {};
    for (const service of options.services) await platform.add(service, service);
    await Promise.all([...platform.processes.values()].map((p) => p.healthy()));
    return platform;
  }

  private extraEnv: Record<string, string> = {};

  /** Starts a service process (a second instance under another name, same group). */
  async add(service: ServiceName, name: string): Promise<ServiceProcess> {
    // Below Linux's ephemeral range (32768 up): a port found free there could be taken by an
    // outgoing connection before the service listens on it (EADDRINUSE seen at 34304 in CI).
    const port = await freePort(20_000 + Math.floor(Math.random() * 12_000));
    const env = this.ctx.env({
      JIFEN_API_KEYS: this.keys.env,
      JIFEN_PARTNER_SECRETS: `airline-x:${randomBytes(24).toString('hex')}`,
      JIFEN_JOBS_SCHEDULE: 'off',
      LOG_LEVEL: 'warn',
      [`${service.toUpperCase()}_PORT`]: String(port),
      ...this.extraEnv,
    });
    const process_ = new ServiceProcess(service, name, port, env);
    process_.start();
    this.processes.set(name, process_);
    return process_;
  }

  get(name: string): ServiceProcess {
    const found = this.processes.get(name);
    if (!found) throw new Error(`no process ${name}`);
    return found;
  }

  async call(
    name: string,
    method: string,
    urlPath: string,
    body?: unknown,
    key: string = this.keys.admin,
  ): Promise<{ status: number; body: Answer }> {
    const response = await fetch(`${this.get(name).url}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Answer) : {} };
  }

  schema(service: ServiceName): string {
    return quoteIdent(`${this.ctx.schemaPrefix}${service}`);
  }

  async query<T extends Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    const db = new Client({ connectionString: this.ctx.databaseUrl });
    await db.connect();
    try {
      return (await db.query<T>(sql, params)).rows;
    } finally {
      await db.end();
    }
  }

  /** Events stored in accounts so far (0 before its schema exists). */
  async storedEvents(): Promise<number> {
    const rows = await this.query<{ n: string | null }>(
      `SELECT CASE WHEN to_regclass($1) IS NULL THEN 0 END AS n`,
      [`${this.ctx.schemaPrefix}accounts.messages`],
    );
    if (rows[0].n === '0') return 0;
    const [{ n }] = await this.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${this.schema('accounts')}.messages`,
    );
    return Number(n);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.kill('SIGKILL')));
    await this.ctx.dispose();
  }

  logs(): string {
    return [...this.processes.values()]
      .map((p) => `--- ${p.name} (exits ${JSON.stringify(p.exits)})\n${p.log(40)}`)
      .join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// The known stream.

export interface KnownStream {
  memberIds: string[];
  events: CloudEvent[];
}

/**
 * `events` inbound events over `members` members: each member's sign-up first, then
 * purchases, partial refunds of earlier orders, check-ins and shares in a seeded random order,
 * an hour apart in event time over the last weeks (so check-ins fall on different days and
 * tiers move). `extra` members' events are appended by the caller.
 */
export function knownStream(options: {
  events?: number;
  members?: number;
  seed?: number;
  prefix?: string;
}): KnownStream {
  const size = streamSize();
  const total = options.events ?? size.events;
  const memberCount = options.members ?? size.members;
  const next = seededRandom(options.seed ?? 11);
  const prefix = options.prefix ?? `f${randomBytes(3).toString('hex')}`;
  const memberIds = Array.from({ length: memberCount }, (_, i) => `${prefix}-m${i}`);
  const start = Date.now() - total * 3_600_000 * 0.2 - 86_400_000;
  const time = (i: number) => new Date(start + i * 720_000).toISOString();
  const orders = new Map<string, Array<{ orderId: string; left: number }>>();
  const events: CloudEvent[] = [];
  const ce = (type: string, data: { memberId: string } & Record<string, unknown>): CloudEvent => ({
    specversion: '1.0',
    id: randomUUID(),
    source: 'faults/known-stream',
    type,
    time: time(events.length),
    subject: data.memberId,
    datacontenttype: 'application/json',
    data,
  });
  for (const memberId of memberIds) events.push(ce('member.signed_up', { memberId }));
  while (events.length < total) {
    const memberId = memberIds[Math.floor(next() * memberIds.length)];
    const roll = next();
    const mine = orders.get(memberId) ?? [];
    if (roll < 0.45) {
      const orderId = `o${events.length}`;
      const amountMinor = 1_000 + Math.floor(next() * 80_000);
      mine.push({ orderId, left: amountMinor });
      orders.set(memberId, mine);
      events.push(ce('purchase.completed', { memberId, orderId, amountMinor, currency: 'CNY' }));
    } else if (roll < 0.6 && mine.some((o) => o.left > 0)) {
      const order = mine.find((o) => o.left > 0)!;
      const amountMinor = Math.max(1, Math.floor(order.left * (0.2 + next() * 0.8)));
      order.left -= amountMinor;
      events.push(
        ce('purchase.refunded', {
          memberId,
          orderId: order.orderId,
          refundId: `r${events.length}`,
          amountMinor,
        }),
      );
    } else if (roll < 0.8) {
      events.push(ce('member.checked_in', { memberId }));
    } else {
      events.push(ce('content.shared', { memberId, shareId: `s${events.length}` }));
    }
  }
  return { memberIds, events };
}

/** What the stream makes of each member with no fault: accounts' decision, replayed in-process. */
export interface Expected {
  states: Map<string, MemberState>;
  events: Map<string, LedgerEvent[]>;
}

/**
 * Folds libs/ledger's decide/evolve over the inbound events in topic order per member, as the
 * accounts consumer does: each event parsed as ingestion parses it, made a command as accounts
 * makes it, a duplicate (same source and id) applied once, a refusal (dead letter) changing
 * nothing.
 */
export function expectedOf(events: CloudEvent[]): Expected {
  const states = new Map<string, MemberState>();
  const stored = new Map<string, LedgerEvent[]>();
  const processed = new Set<string>();
  for (const raw of events) {
    const parsed = parseInbound(Buffer.from(JSON.stringify(raw)));
    if (!parsed.ok)
      throw new Error(`the known stream holds an invalid event: ${parsed.rejection.detail}`);
    const event = parsed.event;
    const key = `${event.source}\u0000${event.id}`;
    if (processed.has(key)) continue;
    const memberId = event.subject;
    const state = states.get(memberId) ?? initialState();
    let decided: LedgerEvent[];
    try {
      decided = decide(
        toLedgerCommand(event, () => false),
        state,
        DEFAULT_CONFIG,
      );
    } catch (error) {
      if (error instanceof LedgerRefusal) continue;
      throw error;
    }
    processed.add(key);
    states.set(memberId, decided.reduce(evolve, state));
    stored.set(memberId, [...(stored.get(memberId) ?? []), ...decided]);
  }
  return { states, events: stored };
}

/**
 * Publishes as upstream systems do (key = member id), in chunks, with an idempotent producer
 * (so retries neither duplicate nor reorder), retrying a chunk until the broker takes it (the
 * broker may be down).
 */
export class Publisher {
  published = 0;
  private producer: Producer;
  readonly done: Promise<void>;

  constructor(
    brokers: string[],
    private readonly topic: string,
    private readonly events: CloudEvent[],
    private readonly options: { chunk?: number; pauseMs?: number } = {},
  ) {
    const kafka = new Kafka({
      clientId: `faults-publisher-${randomBytes(3).toString('hex')}`,
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 200, retries: 5 },
    });
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const chunk = this.options.chunk ?? 100;
    for (;;) {
      try {
        await this.producer.connect();
        break;
      } catch {
        await sleep(500);
      }
    }
    try {
      while (this.published < this.events.length) {
        const slice = this.events.slice(this.published, this.published + chunk);
        try {
          await this.producer.send({
            topic: this.topic,
            acks: -1,
            messages: slice.map((e) => ({ key: e.subject, value: JSON.stringify(e) })),
          });
          this.published += slice.length;
          if (this.options.pauseMs) await sleep(this.options.pauseMs);
        } catch {
          await sleep(500);
        }
      }
    } finally {
      await this.producer.disconnect().catch(() => undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The checks.

export interface VerifyOptions {
  /** Members whose state depends on more than the inbound stream (checked by the test). */
  exclude?: Set<string>;
  timeoutMs?: number;
  /** Analytics runs: the audit's analytics figure must have caught up too. */
  analytics?: boolean;
}

/** Waits until accounts holds as many events per member stream as the fold says. */
export async function converged(
  p: Platform,
  expected: Expected,
  timeoutMs = 120_000,
): Promise<void> {
  const accounts = p.schema('accounts');
  await eventually(
    async () => {
      const rows = await p.query<{ stream_id: string; v: number }>(
        `SELECT stream_id, max(stream_position)::int AS v FROM ${accounts}.messages
         WHERE stream_id LIKE 'member-%' GROUP BY stream_id`,
      );
      const versions = new Map(rows.map((r) => [r.stream_id, r.v]));
      let behind = 0;
      for (const [memberId, events] of expected.events) {
        if ((versions.get(`member-${memberId}`) ?? 0) < events.length) behind++;
      }
      expect(behind).toBe(0);
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/**
 * Every member, exactly: the events stored in its stream are the fold's (type and data, in
 * order: none lost, none twice), the state they fold to is the fold's (lots included), and
 * `GET /members/{id}?asOf=` answers the view of that state (balance, reserved, debt, tier,
 * qualifying spend, expiring lots, lifetime). Then the audit, which must find nothing.
 */
export async function verify(
  p: Platform,
  expected: Expected,
  options: VerifyOptions = {},
): Promise<AuditReport> {
  await converged(p, expected, options.timeoutMs).catch(() => undefined);
  const exclude = options.exclude ?? new Set<string>();
  const accounts = p.schema('accounts');
  const rows = await p.query<{ stream_id: string; type: string; data: unknown }>(
    `SELECT stream_id, type, data FROM ${accounts}.messages
     WHERE stream_id LIKE 'member-%' ORDER BY stream_id, stream_position`,
  );
  const stored = new Map<string, Array<{ type: string; data: unknown }>>();
  for (const row of rows) {
    const list = stored.get(row.stream_id) ?? [];
    list.push({ type: row.type, data: row.data });
    stored.set(row.stream_id, list);
  }
  const problems: string[] = [];
  for (const [memberId, events] of expected.events) {
    if (exclude.has(memberId)) continue;
    const want = JSON.parse(JSON.stringify(events.map((e) => ({ type: e.type, data: e.data }))));
    const got = stored.get(`member-${memberId}`) ?? [];
    if (!isDeepStrictEqual(got, want)) {
      problems.push(
        `${memberId}: stored ${got.length} events [${got.map((e) => e.type).join(',')}], expected ${want.length} [${want.map((e: { type: string }) => e.type).join(',')}]`,
      );
      continue;
    }
    const folded = got.reduce<MemberState>(
      (s, e) => evolve(s, e as unknown as LedgerEvent),
      initialState(),
    );
    if (
      !isDeepStrictEqual(
        JSON.parse(JSON.stringify(folded)),
        JSON.parse(JSON.stringify(expected.states.get(memberId))),
      )
    ) {
      problems.push(`${memberId}: the stored events fold to another state (lots)`);
    }
  }
  expect(problems.slice(0, 10)).toEqual([]);

  const asOf = new Date().toISOString();
  const members = [...expected.states.keys()].filter((m) => !exclude.has(m));
  const viewProblems: string[] = [];
  for (let i = 0; i < members.length; i += 25) {
    await Promise.all(
      members.slice(i, i + 25).map(async (memberId) => {
        const { status, body } = await p.call(
          'accounts',
          'GET',
          `/members/${memberId}?asOf=${encodeURIComponent(asOf)}`,
        );
        const want = JSON.parse(JSON.stringify(memberView(expected.states.get(memberId)!, asOf)));
        if (status !== 200 || !isDeepStrictEqual(body, want)) {
          viewProblems.push(
            `${memberId}: ${status} ${JSON.stringify(body)} ≠ ${JSON.stringify(want)}`,
          );
        }
      }),
    );
  }
  expect(viewProblems.slice(0, 5)).toEqual([]);
  return audit(p, options.analytics);
}

/** `npm run audit` on this platform's schemas, until the relays (and analytics) caught up. */
export async function audit(p: Platform, analytics = false): Promise<AuditReport> {
  return eventually(
    async () => {
      const report = await runAudit({
        databaseUrl: p.ctx.databaseUrl,
        schemaPrefix: p.ctx.schemaPrefix,
      });
      expect(report.failures).toEqual([]);
      if (analytics) expect(report.analyticsOutstanding).toBe(report.outstanding);
      return report;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

/** Waits until accounts has stored `fraction` of the events the stream makes. */
export async function progress(p: Platform, expected: Expected, fraction: number): Promise<void> {
  let total = 0;
  for (const events of expected.events.values()) total += events.length;
  await eventually(
    async () => expect(await p.storedEvents()).toBeGreaterThanOrEqual(total * fraction),
    {
      timeoutMs: 120_000,
      intervalMs: 100,
    },
  );
}

/** Runs a fault; on failure the services' last log lines are added to the error. */
export async function withLogs<T>(p: Platform, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Error) error.message += `\n\nservice logs:\n${p.logs()}`;
    throw error;
  }
}

export const inboundTopic = (p: Platform) => p.ctx.topic(Topics.inbound);

export interface FaultOptions {
  seed: number;
  /** Fraction of the stream's events stored by accounts when the fault is injected. */
  at?: number;
  inject(p: Platform, expected: Expected): Promise<void>;
  verify?: VerifyOptions;
  /** Chunk pause of the publisher [20 ms]: longer keeps the stream coming during the fault. */
  pauseMs?: number;
}

/**
 * The shape of most faults: publish the known stream (in chunks, while the services work),
 * inject the fault once accounts has stored `at` of it, let the publisher finish, then check
 * every member against the fold and run the audit.
 */
export async function streamWithFault(
  p: Platform,
  options: FaultOptions,
): Promise<{ stream: KnownStream; expected: Expected; report: AuditReport }> {
  const stream = knownStream({ seed: options.seed });
  const expected = expectedOf(stream.events);
  return withLogs(p, async () => {
    const publisher = new Publisher(p.ctx.brokers, inboundTopic(p), stream.events, {
      chunk: 100,
      pauseMs: options.pauseMs ?? 20,
    });
    await progress(p, expected, options.at ?? 0.3);
    await options.inject(p, expected);
    await publisher.done;
    const report = await verify(p, expected, options.verify);
    expect(report.streams).toBe(expected.states.size);
    return { stream, expected, report };
  });
}

/** The catalogue item the redemption faults redeem: `fault-hundred`, 100 points. */
export async function addHundredPointItem(p: Platform): Promise<void> {
  const item = await p.call('redemption', 'POST', '/admin/catalogue', {
    itemId: 'fault-hundred',
    name: 'fault-hundred',
    category: 'test',
    pointsPrice: 100,
    unitCostMinor: 50,
  });
  expect(item.status).toBeLessThan(300);
}

/**
 * What accounts' relay publishes on its events topic: every stored event that maps to an
 * integration event (its stream and position, in the relay's order) and the outbox rows for
 * the topic (command outcomes).
 */
export async function accountsEventsPublished(
  p: Platform,
): Promise<{ events: Array<{ streamId: string; streamPosition: number }>; outboxRows: number }> {
  const rows = await p.query<{
    stream_id: string;
    stream_position: number;
    type: string;
    data: unknown;
  }>(
    `SELECT stream_id, stream_position::int, type, data FROM ${p.schema('accounts')}.messages
     ORDER BY transaction_id, global_position`,
  );
  const events = rows
    .filter(
      (row) =>
        integrationOutboxEntry({
          id: '',
          streamId: row.stream_id,
          streamPosition: row.stream_position,
          type: row.type as LedgerEvent['type'],
          data: row.data as LedgerEvent['data'],
          metadata: {},
        }) !== undefined,
    )
    .map((row) => ({ streamId: row.stream_id, streamPosition: row.stream_position }));
  const [{ n }] = await p.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${p.schema('accounts')}.outbox WHERE topic = $1`,
    [Topics.accountsEvents],
  );
  return { events, outboxRows: n };
}
