import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { localBrokerScript } from './local-broker';

const repo = path.resolve(__dirname, '../../..');
const script = path.join(repo, 'deploy/kafka-local/kafka-local.sh');

describe('the local broker script', () => {
  it('is found from the sources and from the build, which sit at different depths', () => {
    expect(existsSync(script)).toBe(true);
    expect(localBrokerScript()).toBe(script);
    expect(localBrokerScript(path.join(repo, 'dist/libs/messaging/src'))).toBe(script);
  });

  it('is named when it cannot be found, instead of running a script that is not there', () => {
    expect(() => localBrokerScript('/')).toThrow(/kafka-local\.sh was not found above \//);
  });
});
