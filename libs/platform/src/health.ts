import {
  BeforeApplicationShutdown,
  Controller,
  Get,
  HttpStatus,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Res,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { DataSource } from 'typeorm';
import { KafkaHealthCheck } from '@jifen/messaging';
import { Public } from './auth';
import { SERVICE_CONFIG, ServiceConfig } from './config';

export type HealthCheck = () => Promise<void>;

export interface HealthReport {
  status: 'ok' | 'unavailable';
  service: string;
  checks: Record<string, { status: 'up' | 'down'; detail?: string }>;
}

const checkTimeoutMs = 2000;

/**
 * What `/health` reports: Kafka and the database answer, and the service has finished
 * starting (every consumer started in its bootstrap hook, the HTTP server listening) and is
 * not shutting down. Features add their own checks with `register`.
 */
@Injectable()
export class HealthService
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private started = false;
  private stopping = false;
  private readonly kafka: KafkaHealthCheck;
  private readonly checks = new Map<string, HealthCheck>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly dataSource: DataSource,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.kafka = new KafkaHealthCheck(config.kafka, checkTimeoutMs);
    this.register('kafka', () => this.kafka.check());
    this.register('database', async () => {
      await this.dataSource.query('SELECT 1');
    });
  }

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  onApplicationBootstrap(): void {
    // Nest runs every bootstrap hook (consumers joining their groups) before it listens, so
    // "listening" means the service consumes and serves.
    const server = this.adapterHost.httpAdapter.getHttpServer() as {
      listening?: boolean;
      once(event: 'listening', listener: () => void): void;
    };
    if (server.listening) this.started = true;
    else server.once('listening', () => (this.started = true));
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.kafka.close();
  }

  async report(): Promise<HealthReport> {
    const checks: HealthReport['checks'] = {
      started: this.stopping
        ? { status: 'down', detail: 'shutting down' }
        : this.started
          ? { status: 'up' }
          : { status: 'down', detail: 'starting' },
    };
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), checkTimeoutMs);
          checks[name] = { status: 'up' };
        } catch (error) {
          checks[name] = { status: 'down', detail: (error as Error).message.split('\n')[0] };
        }
      }),
    );
    const ok = Object.values(checks).every((check) => check.status === 'up');
    return { status: ok ? 'ok' : 'unavailable', service: this.config.service, checks };
  }
}

@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Public()
  @Get('health')
  async check(@Res({ passthrough: true }) response: ServerResponse): Promise<HealthReport> {
    const report = await this.health.report();
    response.statusCode = report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE;
    response.setHeader('Cache-Control', 'no-store');
    return report;
  }
}

async function withTimeout(work: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
