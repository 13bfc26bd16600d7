import { Redis, type RedisOptions } from 'ioredis';
import { redactCredentials } from '@syncfleet/config';

/**
 * A Redis connection for BullMQ: `maxRetriesPerRequest: null` as BullMQ requires for workers
 * (blocking commands must wait through reconnects rather than fail).
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** Fails fast when Redis does not answer, naming the URL and how to start it. */
export async function checkRedis(url: string, timeoutMs = 3_000): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  try {
    // connectTimeout covers the TCP connect only: a server that accepts and never answers would
    // hang the ping, so the whole check runs against one deadline.
    await withDeadline(
      (async () => {
        await redis.connect();
        await redis.ping();
      })(),
      timeoutMs,
    );
    const policy = (await redis.config('GET', 'maxmemory-policy').catch(() => [])) as string[];
    if (policy[1] && policy[1] !== 'noeviction') {
      console.warn(
        `Redis at ${redactCredentials(url)} has maxmemory-policy=${policy[1]}; BullMQ needs noeviction ` +
          `(an evicted key is a lost job). Set it with: CONFIG SET maxmemory-policy noeviction`,
      );
    }
  } catch (error) {
    const cause = error instanceof DeadlineExceeded ? error : (lastError ?? error);
    const reason = cause instanceof Error ? cause.message || cause.name : String(cause);
    throw new Error(
      `Redis is not reachable at ${redactCredentials(url)} (${reason}).\n` +
        `  Start it (e.g. \`docker compose up -d redis\`, or \`redis-server --daemonize yes\`) ` +
        `or set REDIS_URL to a reachable server.`,

      { cause: error },
    );
  } finally {
    redis.disconnect();
  }
}

/** The check's own deadline passed: reported as is (the client's last error would be stale). */
class DeadlineExceeded extends Error {}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
