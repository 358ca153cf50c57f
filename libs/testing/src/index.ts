export * from './cloud-events';
export * from './environment';
export * from './eventually';
export * from './test-context';
export * from './tcp-proxy';
export * from './topic-reader';
export * from './auth-matrix';
