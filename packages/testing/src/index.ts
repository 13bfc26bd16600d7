export { waitFor, type WaitForOptions } from './wait-for';
export { createTestDatabase, createEmptyDatabase, type TestDatabase } from './database';
export { createTestRedis, deleteByPattern, type TestRedis } from './redis';
export { startPrivateRedis, type PrivateRedis } from './redis-server';
export { startStatementCounter } from './statement-counter';
export { startPrivatePostgres, type PrivatePostgres } from './postgres-server';
export { startPrivateRedisCluster, type PrivateRedisCluster } from './redis-cluster';
