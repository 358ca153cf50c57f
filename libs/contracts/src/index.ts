export * from './cloud-event';
export * from './topics';
