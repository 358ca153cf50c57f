export * from './batch-consumer';
export * from './health';
export * from './kafka';
export * from './topics';
export * from './intake-stats';
export * from './intake-metrics';
export * from './send-in-chunks';
export * from './prepared';
