import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Topics } from '@jifen/contracts';
import {
  cloudEvent,
  createTestContext,
  eventually,
  matrixKeys,
  publishCloudEvents,
  randomMemberId,
  repoRoot,
  TestContext,
  TopicReader,
} from '@jifen/testing';
import { retailChainCatalogue } from '../apps/redemption/src/catalogue/retail-chain-catalogue';

const run = promisify(execFile);
const services = ['ingestion', 'accounts', 'redemption', 'analytics'] as const;

// `npm start`'s supervisor, compiled and run as a real process against the test broker and
// database (KAFKA_BROKERS is set, so it starts no broker of its own), with free ports.
describe('npm start (the supervisor)', () => {
  let ctx: TestContext;
  const outDir = path.join(repoRoot, 'dist', `.e2e-${randomBytes(4).toString('hex')}`);
  const startScript = path.join(outDir, 'scripts/start.js');
  const keys = matrixKeys();
  let ports: Record<(typeof services)[number], number>;
  let supervisor: ChildProcess;
  let output = '';
  const pids = new Set<number>();

  // One secret for the platform and the demo that signs partner messages for it.
  const partnerSecrets = `airline-x:${randomBytes(24).toString('hex')}`;
  const env = (extra: Record<string, string> = {}) =>
    ctx.env({
      JIFEN_API_KEYS: keys.env,
      JIFEN_PARTNER_SECRETS: partnerSecrets,
      ...Object.fromEntries(services.map((s) => [`${s.toUpperCase()}_PORT`, String(ports[s])])),
      ...extra,
    });
  const health = async (service: (typeof services)[number]) =>
    (await fetch(`http://127.0.0.1:${ports[service]}/health`).catch(() => undefined))?.status;
  const startedPid = (service: string, after = 0): number | undefined => {
    const found = [
      ...output
        .slice(after)
        .matchAll(new RegExp(`\\[start\\] ${service} started \\(pid (\\d+)\\)`, 'g')),
    ];
    return found.length ? Number(found[found.length - 1][1]) : undefined;
  };

  /** The nice value of each thread of the service's current process. */
  const nices = (service: string): number[] => {
    const pid = startedPid(service)!;
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .map((tid) => niceOf(`/proc/${pid}/task/${tid}/stat`));
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    const swc = path.join(repoRoot, 'node_modules/.bin/swc');
    await run(
      swc,
      [
        'apps',
        'libs',
        'scripts',
        '-d',
        outDir,
        '--ignore',
        '**/*.spec.ts',
        '--ignore',
        'libs/testing/**',
      ],
      {
        cwd: repoRoot,
      },
    );
    ports = Object.fromEntries(
      await Promise.all(services.map(async (s) => [s, await freePort()] as const)),
    ) as typeof ports;
  });

  afterAll(async () => {
    if (supervisor?.exitCode === null) supervisor.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(outDir, { recursive: true, force: true });
    await ctx?.dispose();
  });

  it('stops at once with one line naming KAFKA_BROKERS or DATABASE_URL when it is unreachable', async () => {
    const badBroker = await runToExit(startScript, env({ KAFKA_BROKERS: '127.0.0.1:1' }));
    expect(badBroker.code).toBe(78);
    expect(badBroker.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^start: KAFKA_BROKERS="127\.0\.0\.1:1": no broker answered/),
    ]);
    const badDatabase = await runToExit(
      startScript,
      env({ DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/jifen_test' }),
    );
    expect(badDatabase.code).toBe(78);
    expect(badDatabase.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^start: DATABASE_URL="postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/jifen_test"/,
      ),
    ]);
    const service = await runToExit(
      path.join(outDir, 'apps/accounts/src/main.js'),
      env({ KAFKA_BROKERS: 'kafka-without-port' }),
    );
    expect(service.code).toBe(78);
    expect(service.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^accounts: KAFKA_BROKERS="kafka-without-port" must be/),
    ]);
  });

  it('brings all four services to a healthy /health, their logs prefixed by name', async () => {
    supervisor = spawn(process.execPath, [startScript], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    supervisor.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    supervisor.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(
      async () => {
        for (const service of services) expect(await health(service)).toBe(200);
      },
      { timeoutMs: 50_000, intervalMs: 200 },
    );
    for (const service of services) {
      pids.add(startedPid(service)!);
      expect(output).toMatch(new RegExp(`^\\[${service}\\] \\{"time":`, 'm'));
    }
    expect(output).not.toContain(keys.admin);
  });

  it("publishes accounts' events from the relay's own thread, at a lower CPU priority", async () => {
    const memberId = randomMemberId('supervised');
    const reader = await TopicReader.start(ctx.kafka, ctx.topic(Topics.accountsEvents));
    try {
      await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), [
        cloudEvent('purchase.completed', {
          memberId,
          orderId: `${memberId}-o1`,
          amountMinor: 10_000,
          currency: 'CNY',
        }),
      ]);
      await eventually(
        () => {
          const published = reader.messages.filter((m) => m.key === memberId);
          expect(published.map((m) => m.headers['event-type'])).toContain('points.earned');
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    } finally {
      await reader.stop();
    }
    // Of the accounts process's threads, one runs at a raised nice value: the relay's.
    expect(nices('accounts').filter((nice) => nice > 0)).toHaveLength(1);
  });

  it('runs analytics, every thread of it, at a lower CPU priority than the path to a balance', () => {
    const own = os.getPriority();
    const analytics = nices('analytics');
    expect(analytics.length).toBeGreaterThan(1);
    expect(analytics.every((nice) => nice === 19)).toBe(true);
    expect(nices('ingestion').every((nice) => nice === own)).toBe(true);
  });

  it('runs the demo twice on one platform with the same figures, which add up', async () => {
    // `npm run demo` at a small size: fresh member ids each run, the run's own figures.
    const demo = async () => {
      const { stdout } = await run(
        process.execPath,
        [path.join(outDir, 'scripts/demo.js'), '--members', '150', '--seed', '7'],
        { env: env(), maxBuffer: 16 * 1024 * 1024 },
      );
      const lines = stdout.split('\n');
      const from = lines.findIndex((line) => line.startsWith('month '));
      const to = lines.findIndex((line) => line.startsWith('outstanding '));
      expect([from, to]).not.toContain(-1);
      return lines.slice(from, to + 1);
    };
    // Nearly bare shelves: the scenario at this size redeems four movie tickets and three bags
    // of rice. Each run must still find the stock it started with the first time.
    for (const itemId of ['movie-ticket', 'rice-5kg']) {
      const shipped = retailChainCatalogue.find((item) => item.itemId === itemId)!;
      const response = await fetch(`http://127.0.0.1:${ports.redemption}/admin/catalogue`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...shipped, stock: 1 }),
      });
      expect(response.status).toBeLessThan(300);
    }
    const first = await demo();
    const second = await demo();
    expect(second).toEqual(first);
    // A header, twelve months, a blank line, the tier mix and the check against the balances.
    expect(first).toHaveLength(16);
    expect(first[1]).toMatch(/^2025-01 /);
    expect(first[12]).toMatch(/^2025-12 /);
    expect(first[15]).toMatch(
      /^outstanding [\d,]+ points = the members' balance \+ reserved in accounts: yes$/,
    );
    const issued = first
      .slice(1, 13)
      .map((line) => Number(line.trim().split(/\s+/)[2].replace(/,/g, '')));
    expect(issued.every((points) => points > 0)).toBe(true);
  });

  it('restarts a SIGKILLed service, healthy again within 15 seconds, and logs the restart', async () => {
    const victim = startedPid('accounts')!;
    const mark = output.length;
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    await eventually(
      async () => {
        const replacement = startedPid('accounts', mark);
        expect(replacement).toBeDefined();
        expect(await health('accounts')).toBe(200);
        pids.add(replacement!);
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(output.slice(mark)).toMatch(
      /\[start\] accounts exited \(SIGKILL\); restarting in \d+ ms/,
    );
  });

  it('stops every process it started on SIGINT', async () => {
    const exited = new Promise<number | null>((resolve) => supervisor.once('exit', resolve));
    supervisor.kill('SIGINT');
    expect(await exited).toBe(0);
    expect([...pids].filter(alive)).toEqual([]);
    for (const service of services) expect(await health(service)).toBeUndefined();
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function runToExit(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

/** A thread's nice value, from its /proc stat line (the 19th field). */
function niceOf(statFile: string): number {
  const stat = fs.readFileSync(statFile, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
