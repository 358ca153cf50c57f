import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ensureDatabase } from '../../libs/platform/src/database';
import { createCluster, faultsKafkaPort, kafka, kafkaAnswers, repoRoot } from './cluster';

const run = promisify(execFile);

/**
 * Once per `npm run test:faults`: compile the services once (into a directory of this run
 * under dist/, so that a concurrent `npm run build` cannot change them under the tests), start
 * the suite's own PostgreSQL cluster (a temp dir, a free port from 15433, fsync on) and its
 * own broker (KAFKA_LOCAL_PORT=19092). Nothing shared is touched: the faults stop these.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  if (await kafkaAnswers()) {
    throw new Error(
      `a broker already answers on 127.0.0.1:${faultsKafkaPort}: the faults suite stops its broker, ` +
        'so it needs one of its own (set FAULTS_KAFKA_PORT to a free port)',
    );
  }
  const outDir = path.join(repoRoot, 'dist', `.faults-${randomBytes(4).toString('hex')}`);
  process.env.JIFEN_FAULTS_DIST = outDir;
  const build = run(
    path.join(repoRoot, 'node_modules/.bin/swc'),
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
    { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 },
  );
  const cluster = createCluster();
  const broker = kafka('start');
  const [, pg] = await Promise.all([build, cluster, broker]);
  process.env.JIFEN_FAULTS_PGDATA = pg.dataDir;
  process.env.JIFEN_FAULTS_PGPORT = String(pg.port);
  process.env.TEST_DATABASE_URL = `postgres://postgres@127.0.0.1:${pg.port}/jifen_faults_test`;
  process.env.KAFKA_BROKERS = `127.0.0.1:${faultsKafkaPort}`;
  await ensureDatabase(process.env.TEST_DATABASE_URL);
  process.stdout.write(
    `\nfaults: services in ${path.relative(repoRoot, outDir)}, PostgreSQL on 127.0.0.1:${pg.port} ` +
      `(${pg.dataDir}), broker on ${process.env.KAFKA_BROKERS}; ready in ${Date.now() - started} ms\n`,
  );
}
