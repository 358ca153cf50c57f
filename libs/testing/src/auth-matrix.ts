import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

export type MatrixRole = 'admin' | 'analyst' | 'member-app';
export const matrixRoles: MatrixRole[] = ['admin', 'analyst', 'member-app'];

/**
 * One endpoint of the authorization matrix. `allowed`: the roles that may call it (`'any'`:
 * every role, `'public'`: no key needed). A caller that is allowed gets past the guard: any
 * status but 401 and 403 (a 400 or 404 from a dummy body or id is fine).
 */
export interface MatrixEndpoint {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A concrete path, e.g. `/members/m-1`; `route` is the pattern it exercises. */
  path: string;
  route?: string;
  allowed: MatrixRole[] | 'any' | 'public';
  body?: unknown;
}

export interface MatrixCell {
  endpoint: string;
  caller: 'no key' | 'unknown key' | MatrixRole;
  expected: '401' | '403' | 'not 401/403';
  actual: number;
}

/** One valid key per role, for `JIFEN_API_KEYS` and for the callers of the matrix. */
export function matrixKeys(): Record<MatrixRole, string> & { env: string } {
  const keys = {
    admin: `admin-${randomKey()}`,
    analyst: `analyst-${randomKey()}`,
    'member-app': `member-app-${randomKey()}`,
  };
  return {
    ...keys,
    env: matrixRoles.map((role) => `${role}:${keys[role]}`).join(','),
  };
}

/**
 * Calls every endpoint as nobody, with an unknown key and as each role, and returns every
 * cell: `expect(cells.filter((c) => !c.ok))` style checks read best with `mismatches()`.
 */
export async function runAuthMatrix(
  baseUrl: string,
  keys: Record<MatrixRole, string>,
  endpoints: MatrixEndpoint[],
): Promise<Array<MatrixCell & { ok: boolean }>> {
  const cells: Array<MatrixCell & { ok: boolean }> = [];
  for (const endpoint of endpoints) {
    const name = `${endpoint.method} ${endpoint.path}`;
    const callers: Array<[MatrixCell['caller'], string | undefined]> = [
      ['no key', undefined],
      ['unknown key', `unknown-${randomKey()}`],
      ...matrixRoles.map((role): [MatrixRole, string] => [role, keys[role]]),
    ];
    for (const [caller, key] of callers) {
      const expected = expectation(endpoint.allowed, caller);
      const actual = await call(baseUrl, endpoint, key);
      const ok =
        expected === 'not 401/403' ? actual !== 401 && actual !== 403 : String(actual) === expected;
      cells.push({ endpoint: name, caller, expected, actual, ok });
    }
  }
  return cells;
}

/** The cells that did not answer as the table says; `[]` when the matrix holds. */
export function mismatches(cells: Array<MatrixCell & { ok: boolean }>): MatrixCell[] {
  return cells.filter((cell) => !cell.ok).map(({ ok: _ok, ...cell }) => cell);
}

/**
 * Every route the application serves, as `METHOD /pattern`, so a test can insist that the
 * matrix covers each one: an endpoint added without its row fails the matrix test.
 */
export function servedRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as {
    router?: { stack: RouteLayer[] };
    _router?: { stack: RouteLayer[] };
  };
  const stack = (express.router ?? express._router)?.stack ?? [];
  return stack
    .filter((layer) => layer.route)
    .flatMap((layer) =>
      Object.keys(layer.route!.methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method.toUpperCase()} ${layer.route!.path}`),
    )
    .sort();
}

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

function expectation(
  allowed: MatrixEndpoint['allowed'],
  caller: MatrixCell['caller'],
): MatrixCell['expected'] {
  if (allowed === 'public') return 'not 401/403';
  if (caller === 'no key' || caller === 'unknown key') return '401';
  return allowed === 'any' || allowed.includes(caller) ? 'not 401/403' : '403';
}

async function call(
  baseUrl: string,
  endpoint: MatrixEndpoint,
  key: string | undefined,
): Promise<number> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (endpoint.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${endpoint.path}`, {
    method: endpoint.method,
    headers,
    body: endpoint.body === undefined ? undefined : JSON.stringify(endpoint.body),
  });
  await response.arrayBuffer();
  return response.status;
}

function randomKey(): string {
  return randomBytes(18).toString('base64url');
}
