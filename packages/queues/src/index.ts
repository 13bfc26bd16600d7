export { createRedis, checkRedis, redactRedisUrl } from './connection';
export * from './catalog';
export * from './queues';
export * from './limiter';
