export { createRedis, checkRedis, redactRedisUrl } from './connection';
