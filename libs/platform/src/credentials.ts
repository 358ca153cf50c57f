import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './config-error';

export const roles = ['admin', 'analyst', 'member-app'] as const;
export type Role = (typeof roles)[number];

export interface ApiKey {
  role: Role;
  key: string;
}

/** Short keys can be guessed; generated ones are 43 characters. */
const minimumKeyLength = 16;
const partnerIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Parses `JIFEN_API_KEYS`: `role:key` pairs, comma-separated. A role may have several keys. */
export function parseApiKeys(value: string | undefined): ApiKey[] {
  if (value === undefined || value.trim() === '') return [];
  const keys = pairs(value, 'JIFEN_API_KEYS', 'role:key').map(([role, key]) => {
    if (!(roles as readonly string[]).includes(role)) {
      throw new ConfigError(
        `JIFEN_API_KEYS: unknown role "${role}" (roles are ${roles.join(', ')})`,
      );
    }
    if (key.length < minimumKeyLength) {
      throw new ConfigError(
        `JIFEN_API_KEYS: the key of role "${role}" is shorter than ${minimumKeyLength} characters`,
      );
    }
    return { role: role as Role, key };
  });
  if (new Set(keys.map((k) => k.key)).size !== keys.length) {
    throw new ConfigError('JIFEN_API_KEYS: the same key is listed twice');
  }
  return keys;
}

/** Parses `JIFEN_PARTNER_SECRETS`: `partnerId:secret` pairs, comma-separated. */
export function parsePartnerSecrets(value: string | undefined): Record<string, string> {
  if (value === undefined || value.trim() === '') return {};
  const secrets: Record<string, string> = {};
  for (const [partnerId, secret] of pairs(value, 'JIFEN_PARTNER_SECRETS', 'partnerId:secret')) {
    if (!partnerIdPattern.test(partnerId)) {
      throw new ConfigError(
        `JIFEN_PARTNER_SECRETS: partner id "${partnerId}" must be lower-case letters, digits and dashes`,
      );
    }
    if (partnerId in secrets) {
      throw new ConfigError(`JIFEN_PARTNER_SECRETS: partner "${partnerId}" is listed twice`);
    }
    if (secret.length < minimumKeyLength) {
      throw new ConfigError(
        `JIFEN_PARTNER_SECRETS: the secret of "${partnerId}" is shorter than ${minimumKeyLength} characters`,
      );
    }
    secrets[partnerId] = secret;
  }
  return secrets;
}

function pairs(value: string, variable: string, shape: string): Array<[string, string]> {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(':');
      // Never echo the entry: it holds a secret.
      if (colon <= 0 || colon === entry.length - 1) {
        throw new ConfigError(`${variable}: every entry must look like ${shape}`);
      }
      return [entry.slice(0, colon).trim(), entry.slice(colon + 1).trim()];
    });
}

/** The partners of the retail-chain program (CONTRACT.md section 5). */
export const defaultPartners = ['airline-x', 'hotel-y'];

export interface GeneratedCredentials {
  /** `JIFEN_API_KEYS` / `JIFEN_PARTNER_SECRETS` values for the services' environment. */
  env: Record<string, string>;
  /** Files read or written, for the announcement; the secrets themselves are never printed. */
  files: Array<{ variable: string; path: string; created: boolean }>;
}

/**
 * For `npm start`: each of JIFEN_API_KEYS and JIFEN_PARTNER_SECRETS that is unset comes from
 * a file in `dir` (`api-keys.json`, `partner-secrets.json`), generated with random values the
 * first time (directory 0700, files 0600) and reused afterwards, so keys survive restarts.
 */
export function loadOrCreateCredentials(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): GeneratedCredentials {
  const result: GeneratedCredentials = { env: {}, files: [] };
  const wanted = [
    { variable: 'JIFEN_API_KEYS', file: 'api-keys.json', names: [...roles] },
    { variable: 'JIFEN_PARTNER_SECRETS', file: 'partner-secrets.json', names: defaultPartners },
  ];
  for (const { variable, file, names } of wanted) {
    if (env[variable]) continue;
    const filePath = path.join(dir, file);
    let created = false;
    let values: Record<string, string>;
    if (fs.existsSync(filePath)) {
      values = JSON.parse(fs.readFileSync(filePath, 'utf8')) as Record<string, string>;
    } else {
      values = Object.fromEntries(
        names.map((name) => [name, randomBytes(32).toString('base64url')]),
      );
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      // `wx`: two starts racing never overwrite each other's keys.
      fs.writeFileSync(filePath, `${JSON.stringify(values, null, 2)}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
      created = true;
    }
    fs.chmodSync(filePath, 0o600);
    result.env[variable] = Object.entries(values)
      .map(([name, secret]) => `${name}:${secret}`)
      .join(',');
    result.files.push({ variable, path: filePath, created });
  }
  return result;
}
