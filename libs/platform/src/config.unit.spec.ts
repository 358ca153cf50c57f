import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, serviceConfigFromEnv } from './config';
import { loadOrCreateCredentials, parseApiKeys, parsePartnerSecrets } from './credentials';
import { withCorrelationId } from './correlation';
import { JsonLogger } from './logger';

const key = 'k'.repeat(20);

function configError(env: NodeJS.ProcessEnv): string {
  try {
    serviceConfigFromEnv('accounts', env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('service configuration', () => {
  it('has the contract defaults', () => {
    const config = serviceConfigFromEnv('redemption', {});
    expect(config).toMatchObject({
      port: 3002,
      host: '127.0.0.1',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/jifen',
      schema: 'redemption',
      kafka: { brokers: ['127.0.0.1:9092'], topicPrefix: '' },
      apiKeys: [],
      timezone: 'Asia/Shanghai',
      jobsSchedule: '30 0 * * *',
      niceness: 0,
    });
  });

  it.each([
    [{ KAFKA_BROKERS: 'kafka' }, /^KAFKA_BROKERS="kafka" must be comma-separated host:port/],
    [{ KAFKA_BROKERS: ' , ' }, /^KAFKA_BROKERS/],
    [{ DATABASE_URL: 'mysql://db/jifen' }, /^DATABASE_URL must be a postgres/],
    [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL is not a URL/],
    [{ DATABASE_URL: 'postgres://127.0.0.1:5432' }, /^DATABASE_URL names no database/],
    [{ ACCOUNTS_PORT: 'http' }, /^ACCOUNTS_PORT="http" is not a TCP port/],
    [{ JIFEN_TIMEZONE: 'Mars/Base' }, /^JIFEN_TIMEZONE="Mars\/Base"/],
    [{ JIFEN_JOBS_SCHEDULE: 'daily' }, /^JIFEN_JOBS_SCHEDULE="daily"/],
    [{ KAFKA_TOPIC_PREFIX: 'a b' }, /^KAFKA_TOPIC_PREFIX/],
    [{ JIFEN_NICENESS: '20' }, /^JIFEN_NICENESS="20" is not a whole number from 0 to 19/],
    [{ JIFEN_NICENESS: 'low' }, /^JIFEN_NICENESS="low"/],
    [{ JIFEN_API_KEYS: `root:${key}` }, /^JIFEN_API_KEYS: unknown role "root"/],
    [{ JIFEN_API_KEYS: 'admin:short' }, /^JIFEN_API_KEYS: the key of role "admin" is shorter/],
    [{ JIFEN_PARTNER_SECRETS: 'airline-x' }, /^JIFEN_PARTNER_SECRETS: every entry/],
  ])('refuses %p with one line naming the variable', (env, message) => {
    const text = configError(env);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('never puts a secret into an error message', () => {
    expect(configError({ JIFEN_API_KEYS: 'admin:tiny-secret' })).not.toContain('tiny-secret');
    expect(configError({ JIFEN_PARTNER_SECRETS: 'hotel-y:tiny' })).not.toContain('tiny');
  });

  it('parses role:key and partnerId:secret pairs; keys and secrets may contain colons', () => {
    expect(parseApiKeys(`admin:${key}, member-app:${key}:2 ,analyst:${key}3`)).toEqual([
      { role: 'admin', key },
      { role: 'member-app', key: `${key}:2` },
      { role: 'analyst', key: `${key}3` },
    ]);
    expect(parsePartnerSecrets(`airline-x:${key},hotel-y:${key}:y`)).toEqual({
      'airline-x': key,
      'hotel-y': `${key}:y`,
    });
  });
});

describe('credentials for npm start', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jifen-keys-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('generates keys once into 0600 files and reuses them on the next start', () => {
    const first = loadOrCreateCredentials(path.join(dir, '.jifen'), {});
    expect(first.files.map((f) => [f.variable, path.basename(f.path), f.created])).toEqual([
      ['JIFEN_API_KEYS', 'api-keys.json', true],
      ['JIFEN_PARTNER_SECRETS', 'partner-secrets.json', true],
    ]);
    for (const file of first.files) expect(fs.statSync(file.path).mode & 0o777).toBe(0o600);
    expect(parseApiKeys(first.env.JIFEN_API_KEYS).map((k) => k.role)).toEqual([
      'admin',
      'analyst',
      'member-app',
    ]);
    expect(Object.keys(parsePartnerSecrets(first.env.JIFEN_PARTNER_SECRETS))).toEqual([
      'airline-x',
      'hotel-y',
    ]);

    const second = loadOrCreateCredentials(path.join(dir, '.jifen'), {});
    expect(second.env).toEqual(first.env);
    expect(second.files.every((f) => !f.created)).toBe(true);
  });

  it('leaves variables that are set alone and writes no file for them', () => {
    const result = loadOrCreateCredentials(path.join(dir, '.jifen'), {
      JIFEN_API_KEYS: `admin:${key}`,
    });
    expect(result.env.JIFEN_API_KEYS).toBeUndefined();
    expect(fs.existsSync(path.join(dir, '.jifen/api-keys.json'))).toBe(false);
  });
});

describe('JSON logs', () => {
  it('writes one JSON line per entry with the correlation id in hand', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('accounts', 'info', (line) => lines.push(line));
    withCorrelationId('c-1', () => logger.log('applied', 'Ledger'));
    logger.debug('hidden below info');
    logger.error('failed', 'Error: failed\n    at x', 'Outbox');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'accounts',
        context: 'Ledger',
        message: 'applied',
        correlationId: 'c-1',
      }),
      expect.objectContaining({
        level: 'error',
        context: 'Outbox',
        stack: expect.stringContaining('at x'),
      }),
    ]);
  });
});
