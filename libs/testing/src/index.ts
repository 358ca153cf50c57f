export * from './cloud-events';
export * from './environment';
export * from './eventually';
export * from './test-context';
