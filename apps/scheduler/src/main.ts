// First: the OpenTelemetry SDK starts before anything else is loaded.
import { tracing } from './instrument';
import { parseSchedulerEnv } from '@syncfleet/config';
import { checkPostgres, createPrisma, Prisma, sqlClientOf } from '@syncfleet/db';
import { checkRedis, closeQueues, createQueues, createRedis } from '@syncfleet/queues';
import { settingsFromEnv } from '@syncfleet/sync';
import {
  createLogger,
  createRegistry,
  onShutdown,
  runMain,
  schedulerMetrics,
  startOpsServer,
  type OpsServer,
} from '@syncfleet/telemetry';
import { registerFleetMetrics } from './fleet-metrics';
import { startPush } from './push';
import { startScheduler } from './scheduler';

async function main(): Promise<void> {
  const env = parseSchedulerEnv(process.env);
  const logger = createLogger({ name: 'scheduler', level: env.LOG_LEVEL, base: { host: env.HOST_ID } });
  await Promise.all([checkPostgres(env.DATABASE_URL), checkRedis(env.REDIS_URL)]);
  const prisma = createPrisma(env.DATABASE_URL, { maxConnections: 4 });
  const redis = createRedis(env.REDIS_URL, { cluster: env.REDIS_CLUSTER });
  const queues = createQueues(redis, env.QUEUE_PREFIX, tracing.bullmq);
  const registry = createRegistry({ role: 'scheduler' });
  registerFleetMetrics(registry, { prisma, queues, cadence: settingsFromEnv(env).cadence });
  const loop = startScheduler(
    {
      prisma,
      queues,
      redis,
      queuePrefix: env.QUEUE_PREFIX,
      logger,
      clock: () => new Date(),
      batchSize: env.SCHEDULER_BATCH_SIZE,
      requeueAfterMs: env.SCHEDULER_REQUEUE_AFTER_SEC * 1000,
      metrics: schedulerMetrics(registry),
    },
    { tickMs: env.SCHEDULER_TICK_MS, retentionDays: env.SYNC_RUN_RETENTION_DAYS },
  );
  // Ready while both stores answer and ticks complete (a tick that keeps failing shows here).
  const tickDeadlineMs = Math.max(30_000, 10 * env.SCHEDULER_TICK_MS);
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
            ticking: async () => {
              if (Date.now() - loop.lastTickAt() > tickDeadlineMs)
                throw new Error(`no tick completed in the last ${tickDeadlineMs} ms`);
            },
          },
        });
  logger.info({ tickMs: env.SCHEDULER_TICK_MS }, 'scheduler started');
  const push = await startPush(env, process.env, { prisma, redis, queues, logger });
  onShutdown(logger, 'scheduler', async () => {
    await push.stop();
    await loop.stop();
    await ops?.close();
    await closeQueues(queues);
    redis.disconnect();
    await prisma.$disconnect();
    await tracing.shutdown();
  });
}

runMain('scheduler', main);
