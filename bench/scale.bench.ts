import 'reflect-metadata';
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { EventStore, poolOf, StreamAppend, withTransaction } from '@jifen/event-store';
import {
  balanceOf,
  commandTime,
  decide,
  DEFAULT_CONFIG,
  evolve,
  initialState,
  LedgerCommand,
  LedgerEvent,
  LedgerRefusal,
  MemberState,
  memberView,
} from '@jifen/ledger';
import { ensureDatabase, openServiceDataSource, quoteIdent } from '@jifen/platform';
import { accountsMigrations } from '../apps/accounts/src/accounts.module';
import {
  MemberSnapshotVersion,
  MemberStreams,
  memberStreamId,
} from '../apps/accounts/src/members/member-streams';
import { fmt, median, summary } from './report';

// The two "Scale" figures, each beside its same-run baseline, in a schema of their own.
//
// 1. The member view (GET /members/{id}: aggregateStream with the member snapshot version,
//    then memberView, with ?asOf= the stream's last instant; the default program where the
//    controller reads the published ones, a query whatever the stream) for one member of
//    1,000, 10,000 and 100,000 events; beside it, the same load folding every event (no
//    snapshot version). Events come from the ledger's decide/evolve, 2,000 a transaction;
//    after each transaction a snapshot is saved by the consumer's rule (100 events past the
//    last one), and the last ~90 events come in a transaction of their own, so the view folds
//    the snapshot plus about as many events as the consumer ever leaves after one (99).
//    The member: a daily check-in, ten shares a day (three rewarded), a purchase a week, the
//    whole balance redeemed every 30 days, and the daily expiry run and tier review. Not
//    purchases alone: MemberState keeps every order and every purchase's spend line (and, for
//    a member who keeps buying, every lot) for good, and evolve copies them on each event, so
//    a purchases-only member's state grows with its stream (1.5 MB at 10,000 events) and its
//    fold is quadratic (measured apart: 10,000 events took 17 s to decide and 7 s to fold;
//    100,000 would take about half an hour to decide). Such a member is measured too, at a
//    few thousand events, to show that snapshots bound the events folded, not the size of
//    the state they hold.
// 2. Accounts' resident memory once N distinct members have been touched: a child process
//    (its RSS, not the bench's) loads and remembers them in batches of 1,700 through
//    MemberStreams as the commands consumer does (cache, else snapshot + events), against
//    members that exist (a sign-up and a purchase each, decided by the ledger and written
//    1,000 streams to an appendMany). Beside it, the child's RSS right after boot. No Nest
//    application and no Kafka consumer: the consumer's cache is a MemberStreams of its
//    default capacity, and that is what is measured. Memory is read after a forced GC and
//    2 s idle (--expose-gc), with the peak RSS seen while touching.
//    Writing the members (4 events each) is most of the run: 1,000,000 took 149 s on this
//    2-core machine when idle (27,000 events/s; 11,000 to 15,000 when it was shared with
//    other work), touching them 112 s; the whole bench 5.5 minutes, --quick 45 s.
//
//   npm run bench                              # part of the whole bench
//   node dist/bench/scale.bench.js [--quick]   # alone, after `npm run build`
//   BENCH_SCALE_MEMBERS=300000 ...             # members touched (1,000,000; --quick: 100,000)

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = args.quick ?? false;
const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/jifen_bench';
const members = Number(process.env.BENCH_SCALE_MEMBERS ?? (quick ? 100_000 : 1_000_000));
const loads = 20;
/** A fold this slow is sampled at least 3 times, then until this many ms have gone by. */
const foldBudgetMs = quick ? 2_000 : 20_000;
/** As the commands consumer (commands.consumer.ts), which does not export it. */
const snapshotEvery = 100;
const eventsPerTransaction = 2_000;
const tailEvents = 90;
/** 1,000 rather than 5,000: the same rate for PostgreSQL, a fifth less CPU (GC) for Node. */
const streamsPerAppend = 1_000;
/** The accounts consumer's batch: about 1,700 members (append.ts). */
const touchBatch = 1_700;
const start = Date.parse('2026-01-05T01:00:00Z'); // 09:00 in the program's time zone
const DAY = 86_400_000;
const at = (day: number, minutes: number) => new Date(start + day * DAY + minutes * 60_000);

type Shape = (memberId: string, current: () => MemberState) => Generator<LedgerCommand>;

/** An engaged member, day after day: lots are spent monthly, so only orders pile up (weekly). */
function* engaged(memberId: string, current: () => MemberState): Generator<LedgerCommand> {
  yield { type: 'SignUp', memberId, sourceEventId: 'bench/sign-up', time: at(0, 0).toISOString() };
  for (let day = 0; ; day++) {
    const time = (minutes: number) => at(day, minutes).toISOString();
    yield { type: 'CheckIn', memberId, sourceEventId: `bench/app/check-in-${day}`, time: time(10) };
    for (let s = 0; s < 10; s++) {
      const shareId = `share-${day}-${s}`;
      yield {
        type: 'RecordShare',
        memberId,
        sourceEventId: `bench/app/${shareId}`,
        time: time(60 + s * 37),
        shareId,
      };
    }
    if (day % 7 === 3) {
      const orderId = `order-${day}`;
      const amountMinor = 5_000 + ((day * 7_919) % 60_000);
      yield {
        type: 'RecordPurchase',
        memberId,
        sourceEventId: `bench/pos/${orderId}`,
        time: time(600),
        orderId,
        amountMinor,
      };
    }
    const balance = balanceOf(current());
    if (day % 30 === 29 && balance >= 100) {
      const redemptionId = `redemption-${day}`;
      yield {
        type: 'RedeemPoints',
        memberId,
        sourceEventId: `bench/redemption/${redemptionId}`,
        time: time(700),
        redemptionId,
        points: balance,
      };
    }
    const asOf = time(24 * 60 - 60);
    yield { type: 'RunExpiry', memberId, sourceEventId: `job/expiry/${asOf}`, asOf };
    yield { type: 'ReviewTier', memberId, sourceEventId: `job/tier-review/${asOf}`, asOf };
  }
}

/** A sign-up, then a purchase an hour: the state grows with every order. */
function* purchasesOnly(memberId: string): Generator<LedgerCommand> {
  yield { type: 'SignUp', memberId, sourceEventId: 'bench/sign-up', time: at(0, 0).toISOString() };
  for (let i = 0; ; i++) {
    const orderId = `order-${i}`;
    const amountMinor = 1_000 + ((i * 7_919) % 50_000);
    const time = at(0, 1 + i * 60).toISOString();
    yield {
      type: 'RecordPurchase',
      memberId,
      sourceEventId: `bench/pos/${orderId}`,
      time,
      orderId,
      amountMinor,
    };
  }
}

const shapes: Array<{ name: string; shape: Shape; sizes: number[] }> = [
  { name: 'engaged member', shape: engaged, sizes: [1_000, 10_000, 100_000] },
  { name: 'purchases only', shape: purchasesOnly, sizes: quick ? [1_000, 2_000] : [1_000, 5_000] },
];

interface ViewRow {
  name: string;
  events: number;
  folded: number;
  stateKiB: number;
  snapshot: number[];
  fold: number[];
}

interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

interface ChildReport {
  boot: Memory;
  after: Memory;
  peakRss: number;
  cached: number;
  capacity: number;
  ms: number;
}

/** What `npm run bench`'s platform report takes from this bench. */
export interface ScaleResult {
  at: string;
  members: number;
  viewEvents: number;
  viewMsSnapshot: number;
  viewMsFold: number;
  rssMiBBoot: number;
  rssMiBAfter: number;
  rssMiBPeak: number;
}

async function main(): Promise<void> {
  const began = performance.now();
  const schema = `bench_${randomBytes(4).toString('hex')}_accounts`;
  await ensureDatabase(databaseUrl);
  const dataSource = await openServiceDataSource({
    url: databaseUrl,
    schema,
    migrations: accountsMigrations,
    poolSize: 4,
  });
  const pool = poolOf(dataSource);
  const store = new EventStore({ schema });
  try {
    const rows: ViewRow[] = [];
    for (const { name, shape, sizes } of shapes) {
      for (const size of sizes) rows.push(await measureView(pool, store, name, shape, size));
    }
    print(`\nmember view of one member (ms over ${loads} loads; a slow fold over fewer)`);
    print(
      `${'member'.padEnd(16)} ${'events'.padStart(8)} ${'state KiB'.padStart(10)} ${'folded'.padStart(7)}  ${'snapshot med/min/max'.padStart(22)}  ${'every event med/min/max'.padStart(26)}`,
    );
    for (const row of rows) {
      print(
        `${row.name.padEnd(16)} ${fmt(row.events).padStart(8)} ${fmt(row.stateKiB).padStart(10)} ${fmt(row.folded).padStart(7)}  ${spread(row.snapshot).padStart(22)}  ${spread(row.fold).padStart(26)}  (${row.fold.length} folds)`,
      );
    }

    const started = performance.now();
    const written = await writeMembers(pool, store, members);
    const writeSeconds = (performance.now() - started) / 1000;
    print(
      `\n${fmt(members)} members, ${fmt(written)} events written in ${writeSeconds.toFixed(1)} s (${fmt(written / writeSeconds)} events/s)`,
    );
    const child = await touchInChild(schema, members);
    print(
      `\naccounts' MemberStreams in a child process: ${fmt(members)} distinct members touched in batches of ${fmt(touchBatch)} in ${(child.ms / 1000).toFixed(1)} s; ${fmt(child.cached)} cached (capacity ${fmt(child.capacity)})`,
    );
    print(
      `${'MiB'.padEnd(44)} ${'RSS'.padStart(6)} ${'heap used'.padStart(10)} ${'heap total'.padStart(11)}`,
    );
    for (const [what, memory] of [
      ['right after boot (baseline), GC + 2 s idle', child.boot],
      [`after ${fmt(members)} members, GC + 2 s idle`, child.after],
    ] as const) {
      print(
        `${what.padEnd(44)} ${mib(memory.rss).padStart(6)} ${mib(memory.heapUsed).padStart(10)} ${mib(memory.heapTotal).padStart(11)}`,
      );
    }
    print(`${'peak while touching'.padEnd(44)} ${mib(child.peakRss).padStart(6)}`);
    print(`\nscale bench: ${((performance.now() - began) / 1000).toFixed(0)} s`);

    const biggest = rows.find((row) => row.name === shapes[0].name && row.events >= 100_000);
    // For the platform bench's report (run after this one by `npm run bench`).
    const result: ScaleResult = {
      at: new Date().toISOString(),
      members,
      viewEvents: biggest?.events ?? 0,
      viewMsSnapshot: median(biggest?.snapshot ?? []),
      viewMsFold: median(biggest?.fold ?? []),
      rssMiBBoot: Number(mib(child.boot.rss)),
      rssMiBAfter: Number(mib(child.after.rss)),
      rssMiBPeak: Number(mib(child.peakRss)),
    };
    writeFileSync(path.join(__dirname, 'scale.json'), JSON.stringify(result));
    print(
      `scale: view_ms_100k_snapshot=${median(biggest?.snapshot ?? []).toFixed(2)} view_ms_100k_fold=${median(biggest?.fold ?? []).toFixed(2)} rss_mib_after=${mib(child.after.rss)} members=${members}`,
    );
  } finally {
    await dataSource.destroy();
    const db = new Pool({ connectionString: databaseUrl, max: 1 });
    await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await db.end();
  }
}

/** Writes one member's stream of `size` events (give or take a command's), then times views. */
async function measureView(
  pool: Pool,
  store: EventStore,
  name: string,
  shape: Shape,
  size: number,
): Promise<ViewRow> {
  const memberId = `bench-${name.replace(/ /g, '-')}-${size}`;
  const streamId = memberStreamId(memberId);
  let state = initialState();
  const commands = shape(memberId, () => state);
  let version = 0;
  let snapshotAt = 0;
  let asOf = '';
  const began = performance.now();
  const decideUntil = (limit: number): LedgerEvent[] => {
    const events: LedgerEvent[] = [];
    while (events.length < eventsPerTransaction && version + events.length < limit) {
      const command = commands.next().value as LedgerCommand;
      let decided: LedgerEvent[];
      try {
        decided = decide(command, state, DEFAULT_CONFIG);
      } catch (error) {
        if (error instanceof LedgerRefusal) continue;
        throw error;
      }
      state = decided.reduce(evolve, state);
      events.push(...decided);
      asOf = commandTime(command);
    }
    return events;
  };
  for (const limit of [size - tailEvents, size]) {
    for (let events = decideUntil(limit); events.length > 0; events = decideUntil(limit)) {
      await withTransaction(pool, async (db) => {
        await store.append(db, streamId, version, events);
        version += events.length;
        if (version - snapshotAt >= snapshotEvery) {
          const snapshot = {
            streamId,
            streamPosition: version,
            schemaVersion: MemberSnapshotVersion,
            state,
          };
          await store.saveSnapshot(db, snapshot);
          snapshotAt = version;
        }
      });
    }
  }

  const writeSeconds = (performance.now() - began) / 1000;
  const view = async (snapshotSchemaVersion: number | undefined): Promise<number> => {
    const loadStarted = performance.now();
    const loaded = await store.aggregateStream<MemberState, LedgerEvent>(pool, streamId, {
      initialState,
      evolve,
      snapshotSchemaVersion,
    });
    if (!memberView(loaded.state, asOf, DEFAULT_CONFIG) || loaded.version !== version) {
      throw new Error(`the view of ${memberId} is not the stream written`);
    }
    return performance.now() - loadStarted;
  };
  const sample = async (snapshotSchemaVersion: number | undefined, budgetMs: number) => {
    await view(snapshotSchemaVersion); // warm-up
    const ms: number[] = [];
    const sampling = performance.now();
    while (ms.length < loads && (ms.length < 3 || performance.now() - sampling < budgetMs)) {
      ms.push(await view(snapshotSchemaVersion));
    }
    return ms;
  };
  const row: ViewRow = {
    name,
    events: version,
    folded: version - snapshotAt,
    stateKiB: Buffer.byteLength(JSON.stringify(state)) / 1024,
    snapshot: await sample(MemberSnapshotVersion, Infinity),
    fold: await sample(undefined, foldBudgetMs),
  };
  print(
    `${name}, ${fmt(version)} events: view ${median(row.snapshot).toFixed(2)} ms with the snapshot, ${median(row.fold).toFixed(2)} ms folding every event (written in ${writeSeconds.toFixed(1)} s, timed in ${((performance.now() - began) / 1000 - writeSeconds).toFixed(1)} s)`,
  );
  return row;
}

const memberIdOf = (i: number) => `bench-m-${i}`;

/**
 * `count` members, each a sign-up and a purchase an hour later, decided by the ledger and
 * appended `streamsPerAppend` streams a statement, two statements in flight (the next batch is
 * decided while PostgreSQL writes). Returns the number of events written.
 */
async function writeMembers(pool: Pool, store: EventStore, count: number): Promise<number> {
  let written = 0;
  const inFlight: Promise<unknown>[] = [];
  for (let from = 0; from < count; from += streamsPerAppend) {
    const appends: StreamAppend<LedgerEvent>[] = [];
    for (let i = from; i < Math.min(count, from + streamsPerAppend); i++) {
      const memberId = memberIdOf(i);
      const signedUp = new Date(start + i * 30_000);
      const commands: LedgerCommand[] = [
        {
          type: 'SignUp',
          memberId,
          sourceEventId: `bench/app/sign-up-${i}`,
          time: signedUp.toISOString(),
        },
        {
          type: 'RecordPurchase',
          memberId,
          sourceEventId: `bench/pos/order-${i}`,
          time: new Date(signedUp.getTime() + 3_600_000).toISOString(),
          orderId: `order-${i}`,
          amountMinor: 1_000 + ((i * 7_919) % 50_000),
        },
      ];
      let state = initialState();
      const events: LedgerEvent[] = [];
      for (const command of commands) {
        const decided = decide(command, state, DEFAULT_CONFIG);
        state = decided.reduce(evolve, state);
        events.push(...decided);
      }
      appends.push({ streamId: memberStreamId(memberId), expectedVersion: 0, events });
      written += events.length;
    }
    if (inFlight.length >= 2) await inFlight.shift();
    const append = store.appendMany(pool, appends);
    append.catch(() => undefined); // awaited below; a failure must not crash the bench first
    inFlight.push(append);
  }
  await Promise.all(inFlight);
  return written;
}

/** Runs this file again as a child process that touches `count` members; its report. */
function touchInChild(schema: string, count: number): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    let report: ChildReport | undefined;
    const child = fork(__filename, [], {
      execArgv: ['--expose-gc', '--enable-source-maps'],
      env: { ...process.env, BENCH_SCALE_CHILD: JSON.stringify({ schema, count }) },
    });
    child.on('message', (message) => (report = message as ChildReport));
    child.on('error', reject);
    child.on('exit', (code) =>
      report && code === 0 ? resolve(report) : reject(new Error(`the child exited with ${code}`)),
    );
  });
}

/** The child: a MemberStreams as the commands consumer makes it, and N members through it. */
async function child({ schema, count }: { schema: string; count: number }): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  // V8 gives freed pages back a little after a collection, not at once.
  const settled = async (): Promise<Memory> => {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    gc?.();
    const { rss, heapUsed, heapTotal } = process.memoryUsage();
    return { rss, heapUsed, heapTotal };
  };
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const streams = new MemberStreams(new EventStore({ schema }));
  await pool.query('SELECT 1');
  const boot = await settled();
  let peakRss = boot.rss;
  const touching = performance.now();
  for (let from = 0; from < count; from += touchBatch) {
    const ids = Array.from({ length: Math.min(touchBatch, count - from) }, (_, i) =>
      memberIdOf(from + i),
    );
    // Loaded in the batch's transaction, remembered after its commit, as the consumer does.
    streams.remember(await withTransaction(pool, (db) => streams.load(db, ids)));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const ms = performance.now() - touching;
  const after = await settled();
  await pool.end();
  // MemberStreams does not say its bound: the bench reads its field.
  const { capacity } = streams as unknown as { capacity: number };
  const report: ChildReport = {
    boot,
    after,
    peakRss,
    cached: streams.held.members,
    capacity,
    ms,
  };
  await new Promise<void>((resolve, reject) =>
    process.send!(report, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

const print = (line: string) => process.stdout.write(`${line}\n`);
const mib = (bytes: number) => String(Math.round(bytes / 2 ** 20));
/** Median / min / max to two places. */
const spread = (xs: number[]) => {
  const { median, min, max } = summary(xs);
  return [median, min, max].map((x) => x.toFixed(2)).join(' / ');
};

const childSpec = process.env.BENCH_SCALE_CHILD;
(childSpec ? child(JSON.parse(childSpec)) : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
