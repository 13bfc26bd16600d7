import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  url: string;
  /** BullMQ prefix of this test file's own: its queues never meet another file's. */
  prefix: string;
  redis: Redis;
  cleanup(): Promise<void>;
}

export async function createTestRedis(label = 'q'): Promise<TestRedis> {
  const prefix = `sf-test-${label}-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
  await redis.connect();
  return {
    url: TEST_REDIS_URL,
    prefix,
    redis,
    async cleanup() {
      await deleteByPattern(redis, `${prefix}:*`);
      await deleteByPattern(redis, `{${prefix}}*`);
      redis.disconnect();
    },
  };
}

export async function deleteByPattern(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}
