import { parseWorkerEnv, SecretBox, type WorkerEnv } from '@syncfleet/config';
import { checkPostgres, createPrisma } from '@syncfleet/db';
import { checkRedis, createRedis } from '@syncfleet/queues';
import {
  engineResourcesFromEnv,
  createWorkloadHandlers,
  verifySecretKeys,
  type WorkloadHandlers,
} from '@syncfleet/sync';
import { createLogger, onShutdown } from '@syncfleet/telemetry';
import { startWorkers } from './worker';

/**
 * Starts a worker process. `makeHandlers` builds the workload handlers from the parsed environment:
 * `src/main.ts` passes the production registry; test-only entries (src/testing/) pass one with
 * test instrumentation — never compiled into the production entry.
 */
export async function runWorker(
  makeHandlers: (env: WorkerEnv) => WorkloadHandlers = createWorkloadHandlers,
): Promise<void> {
  const env = parseWorkerEnv(process.env);
  const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL, base: { host: env.HOST_ID } });
  // Readiness before consuming: both stores must answer first.
  await Promise.all([checkPostgres(env.DATABASE_URL), checkRedis(env.REDIS_URL)]);
  const prisma = createPrisma(env.DATABASE_URL, { maxConnections: 10 });
  // The engine's own connection (connection slots, Retry-After gates). Auto-pipelining sends the
  // commands that concurrent cycles issue in the same tick in one write: socket writes are what
  // an idle cycle's Redis traffic costs (bench:scheduler:saturation).
  const redis = createRedis(env.REDIS_URL, { enableAutoPipelining: true });
  const secretBox = new SecretBox(env.SECRET_KEYS);
  // A wrong key is refused here, before any job could fail on it.
  await verifySecretKeys(prisma, secretBox, logger);
  const res = engineResourcesFromEnv(env, { prisma, redis, secretBox, logger });
  const fleet = startWorkers(env, res, makeHandlers(env));
  logger.info({ workloads: env.WORKLOADS }, 'worker started');
  onShutdown(logger, 'worker', async () => {
    logger.info({ graceMs: env.SHUTDOWN_GRACE_MS }, 'worker draining');
    await fleet.close(env.SHUTDOWN_GRACE_MS);
    redis.disconnect();
    await prisma.$disconnect();
    logger.info('worker stopped');
  });
}
