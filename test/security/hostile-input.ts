import { INestApplication } from '@nestjs/common';
import { createServiceApp, JsonLogger, serviceConfigFromEnv, ServiceName } from '@jifen/platform';
import { TestContext } from '@jifen/testing';
import { AccountsModule } from '../../apps/accounts/src/accounts.module';
import { AnalyticsModule } from '../../apps/analytics/src/analytics.module';
import { IngestionModule } from '../../apps/ingestion/src/ingestion.module';
import { RedemptionModule } from '../../apps/redemption/src/redemption.module';

// The services run in-process for the security specs, and raw HTTP calls to them.

export interface RunningService {
  app: INestApplication;
  url: string;
}

/**
 * Starts one service in this process on a free port. `logLines`, when given, receives every
 * JSON log line the service writes (at debug level), for the secrets test.
 */
export async function startService(
  ctx: TestContext,
  service: ServiceName,
  extraEnv: Record<string, string>,
  logLines?: string[],
): Promise<RunningService> {
  const config = serviceConfigFromEnv(
    service,
    ctx.env({ JIFEN_JOBS_SCHEDULE: 'off', ...extraEnv, ...(logLines && { LOG_LEVEL: 'debug' }) }),
  );
  const root =
    service === 'ingestion'
      ? IngestionModule.forRoot(config)
      : service === 'accounts'
        ? AccountsModule.forRoot(config)
        : service === 'redemption'
          ? RedemptionModule.forRoot(config)
          : AnalyticsModule.forRoot(config);
  const logger = logLines
    ? new JsonLogger(service, 'debug', (line) => logLines.push(line))
    : (['error'] as const);
  const app = await createServiceApp(root, config, { logger: logger as never });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/** A raw HTTP call; the body is sent as given when it is a string. */
export async function call(
  url: string,
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: Record<string, unknown> | undefined }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(key !== undefined && { authorization: `Bearer ${key}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}
