export * from './data';
export * from './parse';
export * from './reasons';
