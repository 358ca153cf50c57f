import { DynamicModule, Global, Module } from '@nestjs/common';
import { SERVICE_CONFIG, ServiceConfig } from './config';

/** Makes the service's validated configuration injectable everywhere as SERVICE_CONFIG. */
@Global()
@Module({})
export class ServiceConfigModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: ServiceConfigModule,
      providers: [{ provide: SERVICE_CONFIG, useValue: config }],
      exports: [SERVICE_CONFIG],
    };
  }
}
