import 'reflect-metadata';
import { bootstrapService } from '@jifen/platform';
import { RedemptionModule } from './redemption.module';

void bootstrapService('redemption', (config) => RedemptionModule.forRoot(config));
