export * from './batch-consumer';
export * from './kafka';
export * from './topics';
export * from './intake-stats';
