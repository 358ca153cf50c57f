import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { serviceConfigFromEnv } from '@jifen/platform';
import { AnalyticsModule } from './analytics.module';

async function bootstrap(): Promise<void> {
  const config = serviceConfigFromEnv('analytics');
  const app = await NestFactory.create(AnalyticsModule.forRoot(config));
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
}

void bootstrap();
