export * from './cloud-event';
export * from './commands';
export * from './inbound';
export * from './redemption-events';
export * from './text';
export * from './topics';
