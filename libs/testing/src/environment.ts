import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { findRepoRoot } from '../../messaging/src/local-broker';

const run = promisify(execFile);

/** The repository root, wherever the harness is loaded from. */
export const repoRoot = findRepoRoot(__dirname);

/** Tests use their own database, never the one `npm start` runs on. */
export const defaultTestDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/jifen_test';

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL ?? defaultTestDatabaseUrl;
  const name = new URL(url).pathname.replace(/^\//, '');
  if (!/test/i.test(name)) {
    throw new Error(
      `TEST_DATABASE_URL names database "${name}"; tests drop schemas, so they only run ` +
        'against a database whose name contains "test".',
    );
  }
  return url;
}

export async function brokerAnswers(broker: string, seconds = 0): Promise<boolean> {
  try {
    await run('node', [
      path.join(repoRoot, 'deploy/kafka-local/ready.js'),
      broker,
      String(seconds),
    ]);
    return true;
  } catch {
    return false;
  }
}
