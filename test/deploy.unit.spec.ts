import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigError, serviceConfigFromEnv } from '@jifen/platform';

// What can be checked here without Docker or a cluster: the compose file and the kustomize
// output, parsed and held against the contract (CONTRACT.md section 1).

const repo = path.resolve(__dirname, '..');
const services = { ingestion: 3000, accounts: 3001, redemption: 3002, analytics: 3003 };

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

describe('docker-compose.yml', () => {
  const compose = parse(fs.readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as { services: Record<string, Record<string, unknown>> };

  it('runs the official Apache Kafka image in KRaft mode and PostgreSQL, both with healthchecks', () => {
    const kafka = compose.services.kafka as { image: string; environment: Record<string, unknown> };
    expect(kafka.image).toMatch(/^apache\/kafka:/);
    expect(kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafka.environment.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(compose.services.kafka.healthcheck).toBeDefined();
    expect(compose.services.postgres.image).toMatch(/^postgres:/);
    expect(compose.services.postgres.healthcheck).toBeDefined();
  });

  it.each(Object.entries(services))(
    '%s: built from deploy/Dockerfile, waits for healthy dependencies, has the environment and a /health healthcheck',
    (name, port) => {
      const service = compose.services[name] as {
        build: { dockerfile: string };
        environment: Record<string, string>;
        depends_on: Record<string, { condition: string }>;
        healthcheck: { test: string[] };
        ports: string[];
      };
      expect(service.build.dockerfile).toBe('deploy/Dockerfile');
      expect(fs.existsSync(path.join(repo, service.build.dockerfile))).toBe(true);
      expect(service.depends_on).toEqual({
        kafka: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
      });
      expect(service.environment).toMatchObject({
        APP: name,
        KAFKA_BROKERS: 'kafka:9092',
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*@postgres:5432\/jifen$/),
        HOST: '0.0.0.0',
        // Required, never defaulted: there are no built-in keys.
        JIFEN_API_KEYS: expect.stringMatching(/^\$\{JIFEN_API_KEYS:\?/),
      });
      expect(service.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${port}/health`);
      expect(service.ports).toEqual([`127.0.0.1:${port}:${port}`]);
      // The image's entry point runs dist/apps/$APP/src/main.js, which the build produces.
      expect(fs.existsSync(path.join(repo, 'apps', name, 'src/main.ts'))).toBe(true);
    },
  );
});

describe('deploy/k8s (kustomize)', () => {
  const objects = renderKustomize();
  const find = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('has the ConfigMap and Secret every Deployment reads', () => {
    expect(find('ConfigMap', 'jifen-config')).toBeDefined();
    expect(find('Secret', 'jifen-secrets')).toBeDefined();
  });

  it("refuses to start with the Secret's placeholders, naming the variable", () => {
    const config = (
      find('ConfigMap', 'jifen-config') as unknown as { data: Record<string, string> }
    ).data;
    const secret = (
      find('Secret', 'jifen-secrets') as unknown as {
        stringData: Record<string, string>;
      }
    ).stringData;
    const start = (env: Record<string, string>) => () => serviceConfigFromEnv('accounts', env);
    expect(start({ ...config, ...secret })).toThrow(/^DATABASE_URL/);
    const withDatabase = { ...config, ...secret, DATABASE_URL: 'postgres://db:5432/jifen' };
    expect(start(withDatabase)).toThrow(ConfigError);
    expect(start(withDatabase)).toThrow(/^JIFEN_API_KEYS/);
  });

  it.each(Object.entries(services))(
    '%s: a Deployment with several replicas, probes on /health, config and secrets from the ConfigMap and Secret, and a Service',
    (name, port) => {
      const deployment = find('Deployment', name) as unknown as {
        spec: {
          replicas: number;
          template: {
            spec: {
              terminationGracePeriodSeconds: number;
              containers: Array<{
                image: string;
                env: Array<{ name: string; value: string }>;
                envFrom: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
                ports: Array<{ name: string; containerPort: number }>;
                readinessProbe: { httpGet: { path: string; port: string } };
                livenessProbe: { httpGet: { path: string; port: string } };
              }>;
            };
          };
        };
      };
      expect(deployment).toBeDefined();
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(25);
      const [container] = deployment.spec.template.spec.containers;
      expect(container.image).toMatch(/^jifen:\S+$/);
      expect(container.env).toEqual(
        expect.arrayContaining([
          { name: 'APP', value: name },
          { name: `${name.toUpperCase()}_PORT`, value: String(port) },
        ]),
      );
      expect(container.envFrom).toEqual([
        { configMapRef: { name: 'jifen-config' } },
        { secretRef: { name: 'jifen-secrets' } },
      ]);
      expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        expect(probe.httpGet).toEqual({ path: '/health', port: 'http' });
      }
      expect(find('Service', name)).toBeDefined();
    },
  );
});

/**
 * `kubectl kustomize` when kubectl is installed (it is on the CI machines); otherwise the
 * files named in kustomization.yaml, parsed as they are.
 */
function renderKustomize(): K8sObject[] {
  const dir = path.join(repo, 'deploy/k8s');
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const kustomization = parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
      images: Array<{ name: string; newTag: string }>;
    };
    const tags = new Map(kustomization.images.map((i) => [i.name, `${i.name}:${i.newTag}`]));
    text = kustomization.resources
      .map((file) => fs.readFileSync(path.join(dir, file), 'utf8'))
      .join('\n---\n')
      .replace(/image: (\S+)$/gm, (_line, image: string) => `image: ${tags.get(image) ?? image}`);
  }
  return parseAllDocuments(text)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}
