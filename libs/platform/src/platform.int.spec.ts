import { Body, Controller, INestApplication, Module, Post } from '@nestjs/common';
import { ConfigResourceTypes } from 'kafkajs';
import { Topics } from '@jifen/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, Min, ValidateNested } from 'class-validator';
import { createTestContext, eventually, matrixKeys, TcpProxy, TestContext } from '@jifen/testing';
import { Roles } from './auth';
import { createServiceApp, ensureServiceTopics } from './bootstrap';
import { serviceConfigFromEnv } from './config';
import { JsonLogger } from './logger';
import { HealthService } from './health';
import { PlatformModule } from './platform.module';

class Recipient {
  @IsString() memberId!: string;
}

class Transfer {
  @IsInt() @Min(1) @Max(10_000) points!: number;
  @ValidateNested() @Type(() => Recipient) to!: Recipient;
}

@Controller('probe')
class ProbeController {
  @Roles('member-app')
  @Post()
  accept(@Body() body: Transfer): { points: number } {
    return { points: body.points };
  }
}

// The platform's HTTP edge on a real application: PostgreSQL (through a proxy that the test
// can cut), the real broker, real HTTP.
describe('the platform shell over HTTP', () => {
  let ctx: TestContext;
  let app: INestApplication;
  let proxy: TcpProxy;
  let baseUrl: string;
  const keys = matrixKeys();
  const lines: string[] = [];

  beforeAll(async () => {
    ctx = await createTestContext({ topics: [Topics.inbound] });
    const database = new URL(ctx.databaseUrl);
    proxy = await TcpProxy.start(database.hostname, Number(database.port || 5432));
    database.host = `127.0.0.1:${proxy.port}`;
    const config = serviceConfigFromEnv(
      'analytics',
      ctx.env({ DATABASE_URL: database.toString(), JIFEN_API_KEYS: keys.env }),
    );
    @Module({
      imports: [PlatformModule.forService(config, { migrations: [] })],
      controllers: [ProbeController],
    })
    class ProbeModule {}
    const logger = new JsonLogger('analytics', 'info', (line) => lines.push(line));
    app = await createServiceApp({ module: ProbeModule }, config, { logger });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    baseUrl = baseUrl.replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await proxy?.stop();
    await ctx?.dispose();
  });

  const post = (body: unknown, key: string | undefined = keys['member-app'], raw?: string) =>
    fetch(`${baseUrl}/probe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key && { authorization: `Bearer ${key}` }),
      },
      body: raw ?? JSON.stringify(body),
    });

  it('answers /health 200 with Kafka and the database up, 503 naming the database when it is cut', async () => {
    const healthy = await fetch(`${baseUrl}/health`);
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toMatchObject({
      status: 'ok',
      service: 'analytics',
      checks: { kafka: { status: 'up' }, database: { status: 'up' }, started: { status: 'up' } },
    });

    proxy.cut();
    try {
      const down = await eventually(async () => {
        const response = await fetch(`${baseUrl}/health`);
        expect(response.status).toBe(503);
        return response.json();
      });
      expect(down).toMatchObject({
        status: 'unavailable',
        checks: { database: { status: 'down' } },
      });
    } finally {
      proxy.restore();
    }
    await eventually(async () => expect((await fetch(`${baseUrl}/health`)).status).toBe(200));
  });

  it('serves Prometheus text on /metrics without a key, counting requests by route', async () => {
    const response = await fetch(`${baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('process_cpu_user_seconds_total{service="analytics"}');
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/health",status="200",service="analytics"\} \d+/,
    );
  });

  it('answers 401 without or with an unknown key, 403 for a wrong role, in the error shape', async () => {
    const missing = await post({ points: 5, to: { memberId: 'm' } }, '');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect(await missing.json()).toEqual({
      reason: 'unauthenticated',
      detail: expect.any(String),
      correlationId: missing.headers.get('x-correlation-id'),
    });
    expect((await post({}, `${keys.admin}x`)).status).toBe(401);
    const wrongRole = await post({ points: 5, to: { memberId: 'm' } }, keys.analyst);
    expect(wrongRole.status).toBe(403);
    expect(await wrongRole.json()).toMatchObject({ reason: 'forbidden' });
    expect((await post({ points: 5, to: { memberId: 'm' } })).status).toBe(201);
  });

  it('refuses invalid, unknown and nested-invalid fields with reason "invalid" and a detail naming them', async () => {
    const invalid = await post({ points: 0, to: { memberId: 7 }, extra: true });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { reason: string; detail: string };
    expect(body.reason).toBe('invalid');
    expect(body.detail).toContain('points must not be less than 1');
    expect(body.detail).toContain('to.memberId must be a string');
    expect(body.detail).toContain('property extra should not exist');
  });

  it('answers a body that is not JSON with 400 malformed and one over 64 KiB with 413', async () => {
    const malformed = await post(undefined, keys['member-app'], '{"points":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ reason: 'malformed' });
    const large = await post({ points: 5, to: { memberId: 'x'.repeat(70 * 1024) } });
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ reason: 'payload_too_large' });
  });

  it('takes the correlation id from x-correlation-id, echoes it, and writes it into the JSON log line', async () => {
    const response = await fetch(`${baseUrl}/admin/config`, {
      headers: { 'x-correlation-id': 'order-1234', authorization: `Bearer ${keys.admin}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-correlation-id')).toBe('order-1234');
    const config = (await response.json()) as Record<string, unknown>;
    expect(config).toMatchObject({ service: 'analytics', apiKeys: { admin: 1, analyst: 1 } });
    expect(JSON.stringify(config)).not.toContain(keys.admin);

    const generated = await fetch(`${baseUrl}/health`, {
      headers: { 'x-correlation-id': 'bad id!' },
    });
    expect(generated.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);

    const entry = await eventually(() => {
      const found = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((record) => record.correlationId === 'order-1234');
      expect(found).toBeDefined();
      return found;
    });
    expect(entry).toMatchObject({
      level: 'info',
      service: 'analytics',
      method: 'GET',
      path: '/admin/config',
      status: 200,
    });
  });

  it('reports unavailable until the application listens', async () => {
    const config = serviceConfigFromEnv('redemption', ctx.env({ JIFEN_API_KEYS: keys.env }));
    const early = await createServiceApp(
      PlatformModule.forService(config, { migrations: [] }),
      config,
      { logger: false },
    );
    try {
      await early.init();
      const report = await early.get(HealthService).report();
      expect(report).toMatchObject({
        status: 'unavailable',
        checks: { started: { status: 'down', detail: 'starting' }, kafka: { status: 'up' } },
      });
    } finally {
      await early.close();
    }
  });

  it("creates the contract's topics under KAFKA_TOPIC_PREFIX at start, idempotently when services race", async () => {
    const prefix = `${ctx.topicPrefix}start.`;
    const config = serviceConfigFromEnv('ingestion', ctx.env({ KAFKA_TOPIC_PREFIX: prefix }));
    const admin = ctx.kafka.admin();
    await admin.connect();
    try {
      const created = await Promise.all([ensureServiceTopics(config), ensureServiceTopics(config)]);
      expect(new Set(created.flat()).size).toBe(Object.values(Topics).length);
      expect(await ensureServiceTopics(config)).toEqual([]);

      const metadata = await admin.fetchTopicMetadata({ topics: [`${prefix}${Topics.inbound}`] });
      expect(metadata.topics[0].partitions).toHaveLength(12);
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [Topics.accountsEvents, Topics.inboundDlq].map((topic) => ({
          type: ConfigResourceTypes.TOPIC,
          name: `${prefix}${topic}`,
          configNames: ['retention.ms', 'max.message.bytes'],
        })),
      });
      const value = (topic: string, name: string) =>
        described.resources
          .find((r) => r.resourceName === `${prefix}${topic}`)!
          .configEntries.find((e) => e.configName === name)!.configValue;
      expect(value(Topics.accountsEvents, 'retention.ms')).toBe('-1');
      expect(value(Topics.inboundDlq, 'max.message.bytes')).toBe(String(2 * 1024 * 1024));
    } finally {
      const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (ours.length > 0) await admin.deleteTopics({ topics: ours });
      await admin.disconnect();
    }
  });
});
