export { createRedis, checkRedis } from './connection';
export * from './catalog';
export * from './queues';
export * from './limiter';
