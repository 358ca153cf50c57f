// Where a phase's CPU went, by part of the platform: each service's process (its
// `process_cpu_seconds_total`, every thread: its relay, V8's collector), each service's
// PostgreSQL backends (by the `application_name` its connections set, `jifen <schema>` and
// `jifen <schema> relay`; read from /proc, so only for a database on this machine, Linux), and
// the whole machine (`os.cpus()`), whose remainder is the broker, the bench's own clients and
// PostgreSQL's background processes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Client } from 'pg';
import { serviceNames } from '@jifen/platform';
import { fmt, median } from './report';

/** CPU seconds of each part, and of the whole machine. */
export interface CpuShares {
  services: Record<string, number>;
  /** By service; empty when the backends cannot be read (another host, not Linux). */
  postgres: Record<string, number>;
  machine: number;
}

const clockTicks = 100; // USER_HZ: /proc/<pid>/stat counts in hundredths of a second

function backendSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

function machineSeconds(): number {
  return (
    os.cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0) /
    1000
  );
}

/**
 * Measures from `start()` to `stop()`. Backends come and go (pools close idle connections), so
 * they are looked up every half second: one that ended between two looks loses its last half
 * second, one that began counts from its start.
 */
export class CpuMeter {
  private readonly backends = new Map<number, { service: string; from: number; last: number }>();
  private services: Record<string, number> = {};
  private machine = 0;
  private looking?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly serviceSeconds: () => Promise<Record<string, number>>,
  ) {}

  async start(): Promise<void> {
    this.services = await this.serviceSeconds();
    this.machine = machineSeconds();
    if (!fs.existsSync('/proc/self/stat')) return;
    const db = new Client({ connectionString: this.databaseUrl });
    try {
      await db.connect();
    } catch {
      return;
    }
    await this.look(db, true);
    this.looking = (async () => {
      while (!this.stopped) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await this.look(db, false).catch(() => undefined);
      }
      await db.end().catch(() => undefined);
    })();
  }

  async stop(): Promise<CpuShares> {
    const machine = machineSeconds() - this.machine;
    const now = await this.serviceSeconds();
    this.stopped = true;
    await this.looking;
    const services = Object.fromEntries(
      Object.entries(now).map(([name, seconds]) => [name, seconds - (this.services[name] ?? 0)]),
    );
    const postgres: Record<string, number> = {};
    for (const { service, from, last } of this.backends.values()) {
      postgres[service] = (postgres[service] ?? 0) + last - from;
    }
    return { services, postgres, machine };
  }

  private async look(db: Client, first: boolean): Promise<void> {
    const { rows } = await db.query<{ pid: number; name: string }>(
      `SELECT pid, application_name AS name FROM pg_stat_activity
       WHERE application_name LIKE 'jifen %'`,
    );
    for (const { pid, name } of rows) {
      const seconds = backendSeconds(pid);
      if (seconds === undefined) continue;
      const known = this.backends.get(pid);
      if (known) known.last = seconds;
      // `jifen <schema>` or `jifen <schema> relay`: the schema may carry a prefix.
      else {
        const schema = name.split(' ')[1];
        const service = serviceNames.find((known) => schema.endsWith(known)) ?? schema;
        this.backends.set(pid, { service, from: first ? seconds : 0, last: seconds });
      }
    }
  }
}

/** The shares as µs of CPU an event. */
export function perEvent(shares: CpuShares, events: number): CpuShares {
  const us = (seconds: number) => (seconds / events) * 1e6;
  const each = (record: Record<string, number>) =>
    Object.fromEntries(Object.entries(record).map(([name, seconds]) => [name, us(seconds)]));
  return {
    services: each(shares.services),
    postgres: each(shares.postgres),
    machine: us(shares.machine),
  };
}

/** Each part's median over the runs. */
export function medianShares(runs: CpuShares[]): CpuShares {
  const each = (pick: (run: CpuShares) => Record<string, number>) =>
    Object.fromEntries(
      Object.keys(pick(runs[0])).map((name) => [name, median(runs.map((r) => pick(r)[name] ?? 0))]),
    );
  return {
    services: each((r) => r.services),
    postgres: each((r) => r.postgres),
    machine: median(runs.map((r) => r.machine)),
  };
}

/**
 * One line: each service with its backends' share beside it, the rest of the machine, and the
 * machine.
 */
export function describeShares(shares: CpuShares): string {
  const parts = Object.entries(shares.services).map(([service, value]) =>
    service in shares.postgres
      ? `${service} ${fmt(value)} (+${fmt(shares.postgres[service])} in PostgreSQL)`
      : `${service} ${fmt(value)}`,
  );
  const known =
    Object.values(shares.services).reduce((a, b) => a + b, 0) +
    Object.values(shares.postgres).reduce((a, b) => a + b, 0);
  return [
    ...parts,
    `the rest ${fmt(shares.machine - known)}`,
    `the machine ${fmt(shares.machine)}`,
  ].join(' · ');
}
