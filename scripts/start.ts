// `npm start`: the whole platform in the foreground (CONTRACT.md section 1). Starts the local
// Kafka broker unless KAFKA_BROKERS is set, creates the database and the contract's topics,
// then runs the four services as child processes, restarting one that dies with backoff.
// Ctrl-C (SIGINT) or SIGTERM stops the services, then the broker if this script started it.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createKafka, ensureTopics, kafkaSettingsFromEnv } from '@jifen/messaging';
import { defaultDatabaseUrl, ensureDatabase, redact, ServiceName } from '@jifen/platform';

// Compiled to dist/scripts/start.js; the repository is two levels up.
const repo = path.resolve(__dirname, '../..');
const kafkaScript = path.join(repo, 'deploy/kafka-local/kafka-local.sh');
const services: ServiceName[] = ['ingestion', 'accounts', 'redemption', 'analytics'];
const maxBackoffMs = 30_000;

let stopping = false;
let startedLocalKafka = false;
const children = new Map<ServiceName, ChildProcess>();

function log(message: string): void {
  console.log(
    JSON.stringify({ time: new Date().toISOString(), level: 'info', logger: 'start', message }),
  );
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  if (!process.env.KAFKA_BROKERS) {
    const alreadyUp = runKafkaScript('status', true);
    if (!alreadyUp) runKafkaScript('start');
    startedLocalKafka = !alreadyUp;
  }
  const databaseUrl = process.env.DATABASE_URL ?? defaultDatabaseUrl;
  await ensureDatabase(databaseUrl);
  log(`database ${redact(databaseUrl)} ready`);

  const settings = kafkaSettingsFromEnv('jifen-start');
  const admin = createKafka(settings).admin();
  await admin.connect();
  const created = await ensureTopics(admin, settings);
  await admin.disconnect();
  log(created.length ? `created topics: ${created.join(', ')}` : 'topics already exist');

  for (const service of services) supervise(service, 0);
}

function runKafkaScript(command: 'start' | 'stop' | 'status', quiet = false): boolean {
  try {
    execFileSync('bash', [kafkaScript, command], { stdio: quiet ? 'ignore' : 'inherit' });
    return true;
  } catch {
    if (quiet) return false;
    throw new Error(`kafka-local.sh ${command} failed`);
  }
}

function supervise(service: ServiceName, restarts: number): void {
  const main = path.join(repo, 'dist/apps', service, 'src/main.js');
  const child = spawn(process.execPath, ['--enable-source-maps', main], {
    stdio: 'inherit',
    env: process.env,
  });
  children.set(service, child);
  const startedAt = Date.now();
  child.on('exit', (code, signal) => {
    children.delete(service);
    if (stopping) return;
    // A service that ran for a minute earns a fresh backoff.
    const attempt = Date.now() - startedAt > 60_000 ? 0 : restarts + 1;
    const delay = Math.min(maxBackoffMs, 500 * 2 ** attempt);
    log(`${service} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    setTimeout(() => !stopping && supervise(service, attempt), delay);
  });
}

async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping services`);
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  if (startedLocalKafka) runKafkaScript('stop');
  log('stopped');
  process.exit(exitCode);
}

main().catch((error: unknown) => {
  console.error(`start failed: ${(error as Error).message}`);
  void shutdown('error', 1);
});
