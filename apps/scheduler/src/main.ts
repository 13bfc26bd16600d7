import { parseSchedulerEnv } from '@syncfleet/config';
import { checkPostgres, createPrisma } from '@syncfleet/db';
import { checkRedis, closeQueues, createQueues, createRedis } from '@syncfleet/queues';
import { createLogger, onShutdown, runMain } from '@syncfleet/telemetry';
import { startPush } from './push';
import { startScheduler } from './scheduler';

async function main(): Promise<void> {
  const env = parseSchedulerEnv(process.env);
  const logger = createLogger({ name: 'scheduler', level: env.LOG_LEVEL, base: { host: env.HOST_ID } });
  await Promise.all([checkPostgres(env.DATABASE_URL), checkRedis(env.REDIS_URL)]);
  const prisma = createPrisma(env.DATABASE_URL, { maxConnections: 4 });
  const redis = createRedis(env.REDIS_URL);
  const queues = createQueues(redis, env.QUEUE_PREFIX);
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
    },
    { tickMs: env.SCHEDULER_TICK_MS, retentionDays: env.SYNC_RUN_RETENTION_DAYS },
  );
  logger.info({ tickMs: env.SCHEDULER_TICK_MS }, 'scheduler started');
  const push = await startPush(env, process.env, { prisma, redis, queues, logger });
  onShutdown(logger, 'scheduler', async () => {
    await push.stop();
    await loop.stop();
    await closeQueues(queues);
    redis.disconnect();
    await prisma.$disconnect();
  });
}

runMain('scheduler', main);
