import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { redactCredentials } from '@syncfleet/config';

export interface RedisConnectionOptions extends RedisOptions {
  /**
   * REDIS_CLUSTER: `url` is one node of a Redis Cluster; the client discovers the others. The
   * queue prefix must then carry a hash tag (`{syncfleet}`) so BullMQ's multi-key scripts and the
   * limiter's find all their keys in one slot (README "Redis Cluster").
   */
  cluster?: boolean;
}

/**
 * A Redis connection for BullMQ: `maxRetriesPerRequest: null` as BullMQ requires for workers
 * (blocking commands must wait through reconnects rather than fail). With `cluster`, an ioredis
 * Cluster client — typed as `Redis`: every command the fleet sends (BullMQ's, the limiter's
 * scripts, GET/SET/EXISTS/PING) has the same signature on both.
 */
export function createRedis(url: string, { cluster, ...options }: RedisConnectionOptions = {}): Redis {
  if (!cluster) return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
  const node = new URL(url);
  const { enableAutoPipelining, ...redisOptions } = options;
  return new Cluster([{ host: node.hostname, port: Number(node.port || 6379) }], {
    enableReadyCheck: true,
    enableAutoPipelining,
    redisOptions: {
      maxRetriesPerRequest: null,
      ...(node.username ? { username: decodeURIComponent(node.username) } : {}),
      ...(node.password ? { password: decodeURIComponent(node.password) } : {}),
      ...(node.protocol === 'rediss:' ? { tls: {} } : {}),
      ...redisOptions,
    },
  }) as unknown as Redis;
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
