import 'reflect-metadata';
import { bootstrapService } from '@jifen/platform';
import { AnalyticsModule } from './analytics.module';

void bootstrapService('analytics', (config) => AnalyticsModule.forRoot(config));
