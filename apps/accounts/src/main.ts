import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { serviceConfigFromEnv } from '@jifen/platform';
import { AccountsModule } from './accounts.module';

async function bootstrap(): Promise<void> {
  const config = serviceConfigFromEnv('accounts');
  const app = await NestFactory.create(AccountsModule.forRoot(config));
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
}

void bootstrap();
