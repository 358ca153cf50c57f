// `npm start`: the whole platform in the foreground (CONTRACT.md section 1). Checks the
// configuration, starts the local Kafka broker unless KAFKA_BROKERS is set, creates the
// database and the contract's topics, then runs the four services as child processes with
// their output prefixed by the service's name, restarting one that dies with backoff.
// Ctrl-C (SIGINT) or SIGTERM stops the services, then the broker if this script started it.
import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import {
  createKafka,
  ensureTopics,
  findRepoRoot,
  kafkaSettingsFromEnv,
  localBrokerRunning,
  runLocalBroker,
} from '@jifen/messaging';
import {
  ConfigError,
  configErrorExitCode,
  ensureDatabase,
  loadOrCreateCredentials,
  probeDatabase,
  probeDependencies,
  redact,
  ServiceConfig,
  serviceConfigFromEnv,
  ServiceName,
  serviceNames,
} from '@jifen/platform';

const repo = findRepoRoot();
const maxBackoffMs = 30_000;
const stopDeadlineMs = 20_000;
/**
 * Analytics' read models may trail the ledger; the path from an event to a readable balance may
 * not. On one machine analytics runs at nice 19 (the lowest priority) so that under load it
 * gives way to the others (docs/architecture.md); a JIFEN_NICENESS set by the caller applies to
 * every service instead.
 */
const defaultNiceness: Partial<Record<ServiceName, string>> = { analytics: '19' };

let stopping = false;
let startedLocalKafka = false;
const children = new Map<ServiceName, ChildProcess>();

function log(message: string): void {
  process.stdout.write(`[start] ${message}\n`);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  // Keys first: the services' configuration is checked with the values they will get.
  const credentials = loadOrCreateCredentials(path.join(repo, '.jifen'));
  for (const file of credentials.files) {
    log(
      `${file.variable} ${file.created ? 'generated into' : 'read from'} ${file.path} (mode 0600)`,
    );
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ...credentials.env };
  // Without KAFKA_BROKERS the services use the local broker, on KAFKA_LOCAL_PORT if given.
  const onLocalBroker = !process.env.KAFKA_BROKERS;
  if (onLocalBroker) env.KAFKA_BROKERS = `127.0.0.1:${process.env.KAFKA_LOCAL_PORT ?? 9092}`;
  const configs = serviceNames.map((service) => serviceConfigFromEnv(service, env));
  await assertPortsFree(configs);

  const databaseUrl = configs[0].databaseUrl;
  if (!onLocalBroker) {
    await probeDependencies({ brokers: configs[0].kafka.brokers, databaseUrl });
  } else {
    await probeDatabase(databaseUrl);
    const alreadyUp = localBrokerRunning();
    if (!alreadyUp) runLocalBroker('start');
    startedLocalKafka = !alreadyUp;
  }
  if (stopping) return;

  await ensureDatabase(databaseUrl);
  log(`database ${redact(databaseUrl)} ready`);

  const settings = kafkaSettingsFromEnv('jifen-start', env);
  const admin = createKafka(settings).admin();
  await admin.connect();
  const created = await ensureTopics(admin, settings);
  await admin.disconnect();
  log(created.length ? `created topics: ${created.join(', ')}` : 'topics already exist');

  for (const service of serviceNames) if (!stopping) supervise(service, env, 0);
  log(
    `services: ${configs.map((c) => `${c.service} http://${c.host}:${c.port}`).join(', ')}; Ctrl-C stops everything`,
  );
}

function supervise(service: ServiceName, env: NodeJS.ProcessEnv, restarts: number): void {
  const main = path.resolve(__dirname, '../apps', service, 'src/main.js');
  // Node flags given to this script go to the services too (`node --cpu-prof ... start.js`).
  const flags = [...new Set(['--enable-source-maps', ...process.execArgv])];
  const niceness = env.JIFEN_NICENESS ?? defaultNiceness[service];
  const child = spawn(process.execPath, [...flags, main], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: niceness === undefined ? env : { ...env, JIFEN_NICENESS: niceness },
  });
  children.set(service, child);
  prefixLines(service, child.stdout!, process.stdout);
  prefixLines(service, child.stderr!, process.stderr);
  log(`${service} started (pid ${child.pid})`);
  const startedAt = Date.now();
  child.on('exit', (code, signal) => {
    children.delete(service);
    if (stopping) return;
    // A service that ran for a minute earns a fresh backoff.
    const attempt = Date.now() - startedAt > 60_000 ? 0 : restarts + 1;
    const delay = Math.min(maxBackoffMs, 250 * 2 ** attempt);
    const how = signal ?? `code ${code}${code === configErrorExitCode ? ', configuration' : ''}`;
    log(`${service} exited (${how}); restarting in ${delay} ms (restart ${attempt})`);
    setTimeout(() => !stopping && supervise(service, env, attempt), delay);
  });
}

function prefixLines(
  service: ServiceName,
  from: NodeJS.ReadableStream,
  to: NodeJS.WritableStream,
): void {
  readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
    to.write(`[${service}] ${line}\n`);
  });
}

async function assertPortsFree(configs: ServiceConfig[]): Promise<void> {
  for (const config of configs) {
    if (config.port === 0) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(config.port, config.host, () => server.close(() => resolve(true)));
    });
    if (!free) {
      throw new ConfigError(
        `${config.service.toUpperCase()}_PORT=${config.port} is already in use on ${config.host} (is the platform already running?)`,
      );
    }
  }
}

async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping services`);
  await Promise.all(
    [...children.entries()].map(
      ([service, child]) =>
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => {
            log(`${service} did not stop within ${stopDeadlineMs} ms; killing it`);
            child.kill('SIGKILL');
          }, stopDeadlineMs);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  if (startedLocalKafka) {
    log('stopping the local Kafka broker this run started');
    try {
      runLocalBroker('stop', true);
    } catch (error) {
      log(`${(error as Error).message}: stop it with npm run kafka:stop`);
    }
  }
  log('stopped');
  process.exit(exitCode);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    // One line naming the variable; nothing else to stop when nothing was started yet.
    process.stderr.write(`start: ${error.message}\n`);
    if (children.size === 0 && !startedLocalKafka) process.exit(configErrorExitCode);
    void shutdown('configuration error', configErrorExitCode);
    return;
  }
  process.stderr.write(`start failed: ${(error as Error).message}\n`);
  void shutdown('error', 1);
});
