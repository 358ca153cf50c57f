import 'reflect-metadata';
import { bootstrapService } from '@jifen/platform';
import { AccountsModule } from './accounts.module';

void bootstrapService('accounts', (config) => AccountsModule.forRoot(config));
