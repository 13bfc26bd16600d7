import {
  graphEnvSchema,
  parseEnv,
  pushEnvSchema,
  secretsEnvSchema,
  SecretBox,
  type EnvSource,
  type SchedulerEnv,
} from '@syncfleet/config';
import { sqlClientOf, type Db } from '@syncfleet/db';
import type { WorkloadQueues } from '@syncfleet/queues';
import {
  clearPushHealth,
  createSubscriptionManager,
  engineResourcesFromEnv,
  startSubscriptionLoop,
  verifySecretKeys,
} from '@syncfleet/sync';
import type { Logger } from '@syncfleet/telemetry';
import type { Redis } from 'ioredis';

/**
 * Push in the scheduler process: with WEBHOOK_PUBLIC_URL, the subscription loop (its Graph calls need
 * SECRET_KEYS and the Graph settings, like a worker's); without it, the fleet polls — said at start,
 * and health marks of an earlier run are cleared so no workload waits for notifications that will
 * not come.
 */
export async function startPush(
  env: SchedulerEnv,
  source: EnvSource,
  connections: { prisma: Db; redis: Redis; queues: WorkloadQueues; logger: Logger },
): Promise<{ stop(): Promise<void> }> {
  const push = parseEnv(pushEnvSchema, source);
  const { logger, prisma } = connections;
  if (!push.WEBHOOK_PUBLIC_URL) {
    const cleared = await clearPushHealth(sqlClientOf(prisma));
    logger.warn(
      { cleared },
      'push is off (WEBHOOK_PUBLIC_URL not set): mailboxes are polled at their normal cadence',
    );
    return { stop: async () => undefined };
  }
  const secrets = parseEnv(secretsEnvSchema.extend(graphEnvSchema.shape), source);
  const secretBox = new SecretBox(secrets.SECRET_KEYS);
  await verifySecretKeys(prisma, secretBox, logger);
  const engine = engineResourcesFromEnv(
    { ...env, GRAPH_CA_FILE: secrets.GRAPH_CA_FILE, GRAPH_ALLOWED_HOSTS: secrets.GRAPH_ALLOWED_HOSTS },
    { prisma, redis: connections.redis, secretBox, logger },
  );
  const manager = createSubscriptionManager({
    prisma,
    sql: engine.sql,
    queues: connections.queues,
    graph: engine.graph,
    secretBox,
    logger,
    settings: {
      publicUrl: push.WEBHOOK_PUBLIC_URL,
      lifetimeMin: push.PUSH_SUBSCRIPTION_LIFETIME_MIN,
      renewBeforeSec: push.PUSH_RENEW_BEFORE_SEC,
      batch: push.PUSH_MANAGER_BATCH,
      reconcileMs: push.PUSH_RECONCILE_SEC * 1000,
      alertAfterMs: push.PUSH_ALERT_AFTER_SEC * 1000,
    },
  });
  logger.info(
    { publicUrl: push.WEBHOOK_PUBLIC_URL, safetyPollSec: env.PUSH_SAFETY_POLL_SEC },
    'push is on: change-notification subscriptions managed, polling is the safety net',
  );
  return startSubscriptionLoop(manager, logger, push.PUSH_MANAGER_TICK_MS);
}
