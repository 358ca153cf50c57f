import {
  DynamicModule,
  INestApplication,
  LoggerService,
  LogLevel as NestLogLevel,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createKafka, ensureTopics } from '@jifen/messaging';
import { ConfigError, ServiceConfig, serviceConfigFromEnv, ServiceName } from './config';
import { correlationMiddleware, currentCorrelationId } from './correlation';
import { bodyParserErrorMiddleware, hostileInputMiddleware } from './errors';
import { JsonLogger } from './logger';
import { httpMetricsMiddleware, METRICS_REGISTRY } from './metrics';
import { lowerProcessPriority } from './priority';
import { probeDependencies } from './probe';

/** The contract's limit for request bodies (and for inbound messages). */
export const bodyLimitBytes = 64 * 1024;

/** Exit code for a configuration error (sysexits EX_CONFIG). */
export const configErrorExitCode = 78;

const shutdownDeadlineMs = 25_000;

/**
 * Creates a service's Nest application with the platform's HTTP edge: correlation ids, the
 * 64 KiB JSON limit, request metrics and logs. Not listening yet; tests call this directly.
 */
export async function createServiceApp(
  rootModule: DynamicModule,
  config: ServiceConfig,
  options: { logger?: LoggerService | NestLogLevel[] | false } = {},
): Promise<INestApplication> {
  const logger = options.logger ?? new JsonLogger(config.service, config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    logger,
    bodyParser: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.use(correlationMiddleware);
  app.use(httpMetricsMiddleware(app.get(METRICS_REGISTRY)));
  if (logger instanceof JsonLogger) app.use(requestLogMiddleware(logger));
  app.useBodyParser('json', { limit: bodyLimitBytes });
  app.use(bodyParserErrorMiddleware);
  app.use(hostileInputMiddleware);
  return app;
}

/**
 * A service's `main`: validates the configuration, probes Kafka and the database, creates the
 * contract's topics, starts the application and stops it gracefully on SIGTERM/SIGINT. A
 * configuration problem ends the process with one line naming the variable.
 */
export async function bootstrapService(
  service: ServiceName,
  rootModule: (config: ServiceConfig) => DynamicModule,
  env: NodeJS.ProcessEnv = process.env,
): Promise<INestApplication | undefined> {
  // kafkajs' one-time notice about its v2 partitioner says nothing an operator can act on.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const bootLogger = new JsonLogger(service, env.LOG_LEVEL === 'debug' ? 'debug' : 'info');
  try {
    const config = serviceConfigFromEnv(service, env);
    // First, so that every thread the service starts later inherits it.
    lowerProcessPriority(config.niceness);
    await probeDependencies({ brokers: config.kafka.brokers, databaseUrl: config.databaseUrl });
    await ensureServiceTopics(config);
    const logger = new JsonLogger(service, config.logLevel);
    if (config.apiKeys.length === 0) {
      logger.warn('JIFEN_API_KEYS is not set: every endpoint but /health and /metrics answers 401');
    }
    const app = await createServiceApp(rootModule(config), config, { logger });
    app.enableShutdownHooks();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        logger.log(`${signal}: stopping (finishing the batch in hand, then closing)`, 'shutdown');
        // A stuck consumer or connection must not keep the process from exiting.
        setTimeout(() => process.exit(1), shutdownDeadlineMs).unref();
      });
    }
    await app.listen(config.port, config.host);
    logger.log(`listening on http://${config.host}:${config.port}`, 'bootstrap');
    return app;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(configErrorExitCode);
    }
    bootLogger.error(error instanceof Error ? error : String(error), 'bootstrap');
    process.exit(1);
  }
}

/** Creates the contract's topics that are missing (idempotent; several services may race). */
export async function ensureServiceTopics(config: ServiceConfig): Promise<string[]> {
  const admin = createKafka(config.kafka).admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, config.kafka);
  } finally {
    await admin.disconnect();
  }
}

function requestLogMiddleware(logger: JsonLogger) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    const correlationId = currentCorrelationId();
    res.once('finish', () => {
      const path = (req.url ?? '').split('?')[0];
      const polled = path === '/health' || path === '/metrics';
      logger.entry(polled && res.statusCode < 400 ? 'debug' : 'info', {
        message: 'request',
        context: 'http',
        correlationId,
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      });
    });
    next();
  };
}
