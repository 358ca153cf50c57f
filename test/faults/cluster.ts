import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { localBrokerScript } from '../../libs/messaging/src/local-broker';
import { brokerAnswers, repoRoot } from '../../libs/testing/src/environment';

// The faults suite's own PostgreSQL cluster and Kafka broker. Relative imports only: jest loads
// the global setup without the moduleNameMapper.

const run = promisify(execFile);
const pgBin = '/usr/lib/postgresql/15/bin';
export { repoRoot };

/**
 * The broker port of the suite: never the shared 9092, and not 19092 either, where a broker
 * this suite did not start was found running (stopping it would be someone else's outage).
 * The controller listens on the port + 1.
 */
export const faultsKafkaPort = Number(process.env.FAULTS_KAFKA_PORT ?? 19592);

/** True when a broker already answers on the suite's port: the suite must own its broker. */
export function kafkaAnswers(): Promise<boolean> {
  return brokerAnswers(`127.0.0.1:${faultsKafkaPort}`);
}

export interface PrivateCluster {
  dataDir: string;
  port: number;
}

/** Runs a PostgreSQL binary as the `postgres` OS user (the data directory is theirs). */
async function asPostgres(binary: string, args: string[]): Promise<string> {
  const { stdout } = await run(
    'runuser',
    ['-u', 'postgres', '--', path.join(pgBin, binary), ...args],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return stdout;
}

export async function freePort(from: number): Promise<number> {
  for (let port = from; port < from + 200; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port from ${from}`);
}

/** initdb in a temp dir (trust on 127.0.0.1, fsync on), then start it on a free port. */
export async function createCluster(): Promise<PrivateCluster> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jifen-faults-pg-'));
  fs.chmodSync(dataDir, 0o700);
  await run('chown', ['postgres:postgres', dataDir]);
  await asPostgres('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await freePort(15433);
  fs.appendFileSync(
    path.join(dataDir, 'postgresql.conf'),
    [
      '',
      '# jifen faults suite',
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dataDir}'`,
      'fsync = on',
      'synchronous_commit = on',
      'full_page_writes = on',
      'max_connections = 300',
      'shared_buffers = 128MB',
      '',
    ].join('\n'),
  );
  const cluster = { dataDir, port };
  await startCluster(cluster);
  return cluster;
}

export async function startCluster(cluster: PrivateCluster): Promise<void> {
  await asPostgres('pg_ctl', [
    'start',
    '-D',
    cluster.dataDir,
    '-w',
    '-t',
    '60',
    '-l',
    path.join(cluster.dataDir, 'server.log'),
  ]);
}

export async function stopCluster(
  cluster: PrivateCluster,
  mode: 'fast' | 'immediate' = 'fast',
): Promise<void> {
  await asPostgres('pg_ctl', ['stop', '-D', cluster.dataDir, '-m', mode, '-w', '-t', '60']);
}

export async function clusterRunning(cluster: PrivateCluster): Promise<boolean> {
  try {
    await asPostgres('pg_ctl', ['status', '-D', cluster.dataDir]);
    return true;
  } catch {
    return false;
  }
}

export async function removeCluster(cluster: PrivateCluster): Promise<void> {
  if (await clusterRunning(cluster)) await stopCluster(cluster, 'fast');
  fs.rmSync(cluster.dataDir, { recursive: true, force: true });
}

/** Async, unlike runLocalBroker: the broker is stopped and started while the suite's clients run. */
export async function kafka(command: 'start' | 'stop'): Promise<void> {
  await run('bash', [localBrokerScript(), command], {
    env: { ...process.env, KAFKA_LOCAL_PORT: String(faultsKafkaPort) },
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** What the global setup hands to the tests through process.env. */
export function clusterFromEnv(): PrivateCluster {
  const dataDir = process.env.JIFEN_FAULTS_PGDATA;
  const port = Number(process.env.JIFEN_FAULTS_PGPORT);
  if (!dataDir || !port) throw new Error('the faults global setup did not run');
  return { dataDir, port };
}
