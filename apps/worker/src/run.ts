import { tracing } from './instrument';
import { parseWorkerEnv, SecretBox, type WorkerEnv } from '@syncfleet/config';
import { checkPostgres, createPrisma, Prisma, sqlClientOf } from '@syncfleet/db';
import { checkRedis, createRedis } from '@syncfleet/queues';
import {
  engineResourcesFromEnv,
  createWorkloadHandlers,
  verifySecretKeys,
  type WorkloadHandlers,
} from '@syncfleet/sync';
import {
  createLogger,
  createRegistry,
  onShutdown,
  startOpsServer,
  workerMetrics,
  type OpsServer,
} from '@syncfleet/telemetry';
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
  const redis = createRedis(env.REDIS_URL, { enableAutoPipelining: true, cluster: env.REDIS_CLUSTER });
  const secretBox = new SecretBox(env.SECRET_KEYS);
  // A wrong key is refused here, before any job could fail on it.
  await verifySecretKeys(prisma, secretBox, logger);
  const registry = createRegistry({ role: 'worker' });
  const metrics = workerMetrics(registry);
  const res = engineResourcesFromEnv(env, {
    prisma,
    redis,
    secretBox,
    logger,
    hooks: {
      onResponse: (_route, status, { method, retryAfterMs }) =>
        metrics.graphResponse({ method, status, retryAfterMs }),
      onSlotAcquired: (route, waitedMs) => {
        metrics.slotWait(route.profileId, waitedMs);
        metrics.slotHeld(route.profileId, 1);
      },
      onSlotReleased: (route) => metrics.slotHeld(route.profileId, -1),
    },
  });
  const fleet = startWorkers(env, res, makeHandlers(env), { metrics, telemetry: tracing.bullmq });
  const ops: OpsServer | undefined =
    env.OPS_PORT === undefined
      ? undefined
      : await startOpsServer({
          host: env.OPS_HOST,
          port: env.OPS_PORT,
          registry,
          logger,
          readiness: {
            postgres: () => sqlClientOf(prisma).query(Prisma.sql`SELECT 1`),
            redis: () => redis.ping(),
            consuming: async () => {
              if (!fleet.consuming()) throw new Error('not consuming (closing or stopped)');
            },
          },
        });
  logger.info({ workloads: env.WORKLOADS }, 'worker started');
  onShutdown(logger, 'worker', async () => {
    logger.info({ graceMs: env.SHUTDOWN_GRACE_MS }, 'worker draining');
    await fleet.close(env.SHUTDOWN_GRACE_MS);
    await ops?.close();
    redis.disconnect();
    await prisma.$disconnect();
    await tracing.shutdown();
    logger.info('worker stopped');
  });
}
