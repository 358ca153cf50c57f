import * as fs from 'node:fs';
import { clusterFromEnv, kafka, removeCluster } from './cluster';

/** Stops the suite's broker and removes its PostgreSQL cluster and compiled services. */
export default async function globalTeardown(): Promise<void> {
  const failures: unknown[] = [];
  await kafka('stop').catch((error: unknown) => failures.push(error));
  if (process.env.JIFEN_FAULTS_PGDATA) {
    await removeCluster(clusterFromEnv()).catch((error: unknown) => failures.push(error));
  }
  if (process.env.JIFEN_FAULTS_DIST) {
    fs.rmSync(process.env.JIFEN_FAULTS_DIST, { recursive: true, force: true });
  }
  if (failures.length > 0) throw failures[0];
}
