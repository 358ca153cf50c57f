import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { findRepoRoot, localBrokerScript } from './local-broker';

const repo = path.resolve(__dirname, '../../..');
const script = path.join(repo, 'deploy/kafka-local/kafka-local.sh');

describe('the local broker script', () => {
  it('is found from the sources and from the build, which sit at different depths', () => {
    expect(existsSync(script)).toBe(true);
    expect(localBrokerScript()).toBe(script);
    expect(findRepoRoot(path.join(repo, 'dist/libs/messaging/src'))).toBe(repo);
    expect(findRepoRoot(path.join(repo, 'dist/scripts'))).toBe(repo);
  });

  it('is named when it cannot be found, instead of running a script that is not there', () => {
    expect(() => findRepoRoot('/')).toThrow(/kafka-local\.sh was not found above \//);
  });
});
