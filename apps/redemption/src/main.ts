import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { serviceConfigFromEnv } from '@jifen/platform';
import { RedemptionModule } from './redemption.module';

async function bootstrap(): Promise<void> {
  const config = serviceConfigFromEnv('redemption');
  const app = await NestFactory.create(RedemptionModule.forRoot(config));
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
}

void bootstrap();
