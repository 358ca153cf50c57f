import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { serviceConfigFromEnv } from '@jifen/platform';
import { IngestionModule } from './ingestion.module';

async function bootstrap(): Promise<void> {
  const config = serviceConfigFromEnv('ingestion');
  const app = await NestFactory.create(IngestionModule.forRoot(config));
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
}

void bootstrap();
