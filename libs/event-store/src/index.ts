export * from './errors';
export * from './event-store';
export * from './migration';
export * from './outbox-relay';
export * from './pool';
export { prepared, type PreparedQuery } from '@jifen/messaging';
export * from './transaction';
export * from './types';
export * from './nest';
