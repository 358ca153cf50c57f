export * from './cloud-event';
export * from './inbound';
export * from './topics';
