import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

// Node built-ins only: jest's global setup loads this by relative path, without the @jifen/*
// module mapping.

const script = 'deploy/kafka-local/kafka-local.sh';

/**
 * The local single-node broker (deploy/kafka-local/kafka-local.sh) that `npm start`, `npm test`
 * and `npm run bench` use when KAFKA_BROKERS is not set: runs `start` or `stop` and throws when
 * the script fails. A quiet run prints nothing; otherwise the script's output is shown.
 */
export function runLocalBroker(command: 'start' | 'stop', quiet = false): void {
  if (!runScript(command, quiet)) throw new Error(`kafka-local.sh ${command} failed`);
}

/** Whether the local broker is running (the script's `status`). */
export function localBrokerRunning(): boolean {
  return runScript('status', true);
}

function runScript(command: 'start' | 'stop' | 'status', quiet: boolean): boolean {
  const result = spawnSync('bash', [localBrokerScript(), command], {
    stdio: quiet ? 'ignore' : 'inherit',
  });
  return result.status === 0;
}

/** The script's path, from the sources and from dist/ alike. */
export function localBrokerScript(): string {
  return path.join(findRepoRoot(), script);
}

/**
 * The checkout's root: the nearest directory above `from` that holds the local broker's script.
 * The sources and dist/ sit at different depths below it, so it is looked for rather than
 * counted.
 */
export function findRepoRoot(from = __dirname): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, script))) return dir;
  }
  throw new Error(`${script} was not found above ${from}`);
}
