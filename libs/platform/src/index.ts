export * from './config';
export * from './config.module';
export * from './database';
export * from './database.module';
export * from './schema';
