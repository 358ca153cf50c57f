import { DynamicModule, INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  createServiceApp,
  ServiceConfig,
  serviceConfigFromEnv,
  ServiceName,
} from '@jifen/platform';
import {
  createTestContext,
  MatrixRole,
  matrixKeys,
  matrixRoles,
  servedRoutes,
  TestContext,
} from '@jifen/testing';
import { AccountsModule } from '../apps/accounts/src/accounts.module';
import { AnalyticsModule } from '../apps/analytics/src/analytics.module';
import { IngestionModule } from '../apps/ingestion/src/ingestion.module';
import { RedemptionModule } from '../apps/redemption/src/redemption.module';

// docs/openapi.yaml against the code: every route each service serves is documented under
// that service's tag and every documented operation is served; `x-roles` is what the guard
// enforces; every request body and 2xx answer has an example, and every example fits its
// schema. A route added, removed or re-guarded without the document fails here.

type Json = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  op: Json;
}

const modules: Record<ServiceName, (config: ServiceConfig) => DynamicModule> = {
  ingestion: (c) => IngestionModule.forRoot(c),
  accounts: (c) => AccountsModule.forRoot(c),
  redemption: (c) => RedemptionModule.forRoot(c),
  analytics: (c) => AnalyticsModule.forRoot(c),
};
const serviceNames = Object.keys(modules) as ServiceName[];
const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const doc = parse(readFileSync(join(__dirname, '..', 'docs', 'openapi.yaml'), 'utf8')) as Json;
const paths = doc.paths as Record<string, Json>;
const operations: Operation[] = Object.entries(paths).flatMap(([path, item]) =>
  methods
    .filter((method) => item[method] !== undefined)
    .map((method) => ({ method: method.toUpperCase(), path, op: item[method] as Json })),
);
const name = (o: Operation) => `${o.method} ${o.path}`;

/** Follows a local `$ref` (`#/components/...`) to what it names. */
function deref<T = Json>(node: unknown): T {
  let current = node as Json;
  while (current && typeof current.$ref === 'string') {
    current = (current.$ref as string)
      .replace(/^#\//, '')
      .split('/')
      .reduce<Json>((at, key) => at?.[key] as Json, doc);
  }
  return current as T;
}

/** Every example of a media type: `example`, or each of `examples` (Example Objects). */
function examplesOf(media: Json): Array<[string, unknown]> {
  const found: Array<[string, unknown]> = [];
  if ('example' in media) found.push(['example', media.example]);
  for (const [key, example] of Object.entries((media.examples ?? {}) as Json)) {
    found.push([key, deref(example).value]);
  }
  return found;
}

/** Request bodies and answers with their status, each media type once. */
function mediaOf(o: Operation): Array<{ where: string; status?: string; media: Json }> {
  const found: Array<{ where: string; status?: string; media: Json }> = [];
  const body = o.op.requestBody === undefined ? undefined : deref(o.op.requestBody);
  for (const [type, media] of Object.entries((body?.content ?? {}) as Json)) {
    found.push({ where: `${name(o)} request ${type}`, media: media as Json });
  }
  for (const [status, response] of Object.entries((o.op.responses ?? {}) as Json)) {
    for (const [type, media] of Object.entries((deref(response).content ?? {}) as Json)) {
      found.push({ where: `${name(o)} ${status} ${type}`, status, media: media as Json });
    }
  }
  return found;
}

/** `x-roles` as the guard should see it: 'public', or the roles allowed. */
function rolesOf(o: Operation): 'public' | MatrixRole[] {
  const roles = o.op['x-roles'];
  if (roles === 'public') return 'public';
  return Array.isArray(roles) ? (roles as MatrixRole[]) : [];
}

/** `/members/{memberId}` → a path to call: parameters filled with a value no row has. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'openapi-probe');

/**
 * A JSON Schema validator, when one is installed: ajv is no dependency of this project (no
 * new dependency for this test), but a tool's ajv usually is in node_modules. ajv 6 knows
 * draft-07, so the document's schemas keep to what draft-07 and 2020-12 share; ajv 8 is used
 * in its 2020-12 mode. Without either, example validation is skipped (and says so).
 */
type Validate = (schema: unknown, value: unknown) => string | null;
function loadValidator(): { version: string; validate: Validate } | undefined {
  const load = createRequire(__filename);
  let version: string;
  try {
    version = (load('ajv/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
  const major = Number(version.split('.')[0]);
  if (major !== 6 && major !== 8) return undefined;
  const exported = load(major === 8 ? 'ajv/dist/2020' : 'ajv') as Json & { default?: unknown };
  const Ajv = (exported.default ?? exported) as new (options: Json) => {
    addSchema(schema: unknown, key: string): void;
    compile(schema: unknown): ((value: unknown) => boolean) & { errors?: unknown };
  };
  const ajv = new Ajv(
    major === 8
      ? { allErrors: true, strict: false, validateFormats: false }
      : { allErrors: true, unknownFormats: 'ignore' },
  );
  // Component schemas under one id, their refs pointing there.
  const rebase = (node: unknown): unknown =>
    JSON.parse(
      JSON.stringify(node).replace(/"#\/components\/schemas\//g, '"openapi#/definitions/'),
    );
  ajv.addSchema(
    { $id: 'openapi', definitions: rebase((doc.components as Json).schemas) },
    'openapi',
  );
  return {
    version,
    validate: (schema, value) => {
      const check = ajv.compile(rebase(schema));
      return check(value) ? null : JSON.stringify(check.errors);
    },
  };
}

describe('docs/openapi.yaml', () => {
  it('is one OpenAPI 3.1 document with the four services as servers and tags, and bearer auth', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const servers = (doc.servers as Json[]).map((s) => s.url);
    expect(servers).toEqual([3000, 3001, 3002, 3003].map((port) => `http://127.0.0.1:${port}`));
    expect((doc.tags as Json[]).map((t) => t.name)).toEqual(serviceNames);
    const schemes = (doc.components as Json).securitySchemes as Json;
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
  });

  it('gives every operation a summary, service tags, x-roles and the answers of its guard', () => {
    const problems: string[] = [];
    for (const o of operations) {
      const tags = (o.op.tags ?? []) as string[];
      if (!o.op.summary) problems.push(`${name(o)}: no summary`);
      if (tags.length === 0 || tags.some((t) => !serviceNames.includes(t as ServiceName))) {
        problems.push(`${name(o)}: tags ${JSON.stringify(tags)}`);
      }
      const roles = rolesOf(o);
      const responses = Object.keys((o.op.responses ?? {}) as Json);
      if (roles === 'public') {
        if (!Array.isArray(o.op.security) || (o.op.security as unknown[]).length > 0) {
          problems.push(`${name(o)}: public but not "security: []"`);
        }
      } else {
        if (roles.length === 0) problems.push(`${name(o)}: no x-roles`);
        if (!responses.includes('401')) problems.push(`${name(o)}: no 401`);
        // 403 only when some role is refused.
        if (roles.length < matrixRoles.length && !responses.includes('403')) {
          problems.push(`${name(o)}: no 403`);
        }
        const description = String(o.op.description ?? '');
        if (!roles.every((role) => description.includes(role))) {
          problems.push(`${name(o)}: description does not name its roles`);
        }
      }
      if (!responses.some((status) => status.startsWith('2'))) problems.push(`${name(o)}: no 2xx`);
      // Every 4xx is the platform's error body (GET /health's 503 is its report).
      for (const status of responses.filter((s) => /^[45]/.test(s))) {
        if (name(o) === 'GET /health' && status === '503') continue;
        const media = (deref((o.op.responses as Json)[status]).content ?? {}) as Json;
        const schema = (media['application/json'] as Json | undefined)?.schema as Json | undefined;
        const error = (schema?.allOf as Json[] | undefined)?.[0] ?? schema;
        if (error?.$ref !== '#/components/schemas/Error') {
          problems.push(`${name(o)} ${status}: not the Error body`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has an example for every request body and every 2xx answer', () => {
    const missing = operations
      .flatMap(mediaOf)
      .filter(({ status }) => status === undefined || status.startsWith('2'))
      .filter(({ media }) => examplesOf(media).length === 0)
      .map(({ where }) => where);
    expect(missing).toEqual([]);
  });

  const validator = loadValidator();
  (validator ? it : it.skip)(
    `has examples that fit their schemas (ajv ${validator?.version ?? 'not installed: skipped'})`,
    () => {
      const problems: string[] = [];
      let checked = 0;
      for (const { where, media } of operations.flatMap(mediaOf)) {
        if (!media.schema) continue;
        for (const [key, value] of examplesOf(media)) {
          checked++;
          const error = validator!.validate(media.schema, value);
          if (error) problems.push(`${where} example ${key}: ${error}`);
        }
      }
      expect(problems).toEqual([]);
      expect(checked).toBeGreaterThan(50);
    },
  );

  describe('against the services', () => {
    let ctx: TestContext;
    const keys = matrixKeys();
    const apps = new Map<ServiceName, { app: INestApplication; url: string }>();

    beforeAll(async () => {
      ctx = await createTestContext();
      await Promise.all(
        serviceNames.map(async (service) => {
          const config = serviceConfigFromEnv(service, ctx.env({ JIFEN_API_KEYS: keys.env }));
          const app = await createServiceApp(modules[service](config), config, {
            logger: ['error', 'warn'],
          });
          await app.listen(0, '127.0.0.1');
          apps.set(service, { app, url: await app.getUrl() });
        }),
      );
    });

    afterAll(async () => {
      await Promise.all([...apps.values()].map(({ app }) => app.close()));
      await ctx?.dispose();
    });

    describe.each(serviceNames)('%s', (service) => {
      const documented = operations.filter((o) => (o.op.tags as string[]).includes(service));

      it('serves exactly the operations documented under its tag', () => {
        const served = servedRoutes(apps.get(service)!.app).map((route) =>
          route.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
        );
        const names = documented.map(name);
        expect(served.filter((route) => !names.includes(route))).toEqual([]);
        expect(names.filter((route) => !served.includes(route))).toEqual([]);
      });

      it('guards each operation as its x-roles say, and answers as documented', async () => {
        const { url } = apps.get(service)!;
        const mismatches: string[] = [];
        /** Calls the operation; its status must be documented, a JSON body must fit. */
        const call = async (o: Operation, caller: MatrixRole | 'no key') => {
          const headers: Record<string, string> = {};
          if (caller !== 'no key') headers.authorization = `Bearer ${keys[caller]}`;
          // An empty body: refused (400) after the guard, so nothing is done.
          const body = o.method === 'GET' ? undefined : '{}';
          if (body) headers['content-type'] = 'application/json';
          const response = await fetch(`${url}${concrete(o.path)}`, {
            method: o.method,
            headers,
            body,
          });
          const text = await response.text();
          const answer = (o.op.responses as Json)[String(response.status)];
          if (answer === undefined) {
            mismatches.push(`${name(o)} (${caller}): ${response.status} is not documented`);
          } else if (validator && response.headers.get('content-type')?.includes('json')) {
            const media = (deref(answer).content as Json)?.['application/json'] as Json;
            const error = media && validator.validate(media.schema, JSON.parse(text));
            if (error) mismatches.push(`${name(o)} (${caller}) ${response.status}: ${error}`);
          }
          return response.status;
        };
        for (const o of documented) {
          const roles = rolesOf(o);
          const anonymous = await call(o, 'no key');
          if (roles === 'public') {
            if (anonymous === 401 || anonymous === 403) {
              mismatches.push(`${name(o)}: public, but ${anonymous} without a key`);
            }
            continue;
          }
          if (anonymous !== 401) mismatches.push(`${name(o)}: ${anonymous} without a key`);
          for (const role of matrixRoles) {
            const status = await call(o, role);
            const allowed = roles.includes(role);
            if (allowed ? status === 401 || status === 403 : status !== 403) {
              mismatches.push(`${name(o)}: ${role} got ${status}, x-roles ${roles.join(', ')}`);
            }
          }
        }
        expect(mismatches).toEqual([]);
      });
    });
  });
});
