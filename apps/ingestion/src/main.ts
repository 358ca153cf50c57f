import 'reflect-metadata';
import { bootstrapService } from '@jifen/platform';
import { IngestionModule } from './ingestion.module';

void bootstrapService('ingestion', (config) => IngestionModule.forRoot(config));
