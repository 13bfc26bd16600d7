// First: the OpenTelemetry SDK starts before anything else is loaded.
import { tracing } from './instrument';
import { readFileSync } from 'node:fs';
import {
  baseEnvSchema,
  parseEnv,
  pushEnvSchema,
  secretsEnvSchema,
  SecretBox,
  webhookEnvSchema,
} from '@syncfleet/config';
import { checkPostgres, createPrisma, Prisma, sqlClientOf } from '@syncfleet/db';
import { checkRedis, closeQueues, createQueues, createRedis } from '@syncfleet/queues';
import { createReceiver, createReceiverCounters, verifySecretKeys } from '@syncfleet/sync';
import { createLogger, createRegistry, onShutdown, runMain, startOpsServer } from '@syncfleet/telemetry';
import { buildReceiverApp } from './app';
import { registerReceiverMetrics } from './metrics';

const envSchema = baseEnvSchema
  .extend(secretsEnvSchema.shape)
  .extend(pushEnvSchema.shape)
  .extend(webhookEnvSchema.shape);

/** The only place the receiver reads the environment and creates connections. */
async function main(): Promise<void> {
  const env = parseEnv(envSchema, process.env);
  const logger = createLogger({ name: 'webhooks', level: env.LOG_LEVEL, base: { host: env.HOST_ID } });
  await Promise.all([checkPostgres(env.DATABASE_URL), checkRedis(env.REDIS_URL)]);
  const prisma = createPrisma(env.DATABASE_URL, { maxConnections: 4 });
  const redis = createRedis(env.REDIS_URL);
  const queues = createQueues(redis, env.QUEUE_PREFIX);
  const secretBox = new SecretBox(env.SECRET_KEYS);
  await verifySecretKeys(prisma, secretBox, logger);
  const counters = createReceiverCounters();
  const receiver = createReceiver({ sql: sqlClientOf(prisma), queues, secretBox, counters });
  const tls =
    env.WEBHOOK_TLS_CERT_FILE && env.WEBHOOK_TLS_KEY_FILE
      ? { cert: readFileSync(env.WEBHOOK_TLS_CERT_FILE), key: readFileSync(env.WEBHOOK_TLS_KEY_FILE) }
      : undefined;
  const app = await buildReceiverApp({
    receiver,
    counters,
    logger,
    bodyLimitBytes: env.WEBHOOK_BODY_LIMIT_BYTES,
    tls,
  });
  await app.listen({ host: env.WEBHOOK_HOST, port: env.WEBHOOK_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.WEBHOOK_PORT;
  const host = env.WEBHOOK_HOST.includes(':') ? `[${env.WEBHOOK_HOST}]` : env.WEBHOOK_HOST;
  console.log(`Webhook receiver: ${tls ? 'https' : 'http'}://${host}:${port} (notifications, lifecycle)`);
  if (!env.WEBHOOK_PUBLIC_URL) {
    logger.warn('WEBHOOK_PUBLIC_URL is not set: no subscriptions point here, the fleet polls');
  }
  // The operations port (/metrics, /healthz, /readyz), like every role.
  const registry = createRegistry({ role: 'webhooks' });
  registerReceiverMetrics(registry, counters);
  const ops =
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
          },
        });
  onShutdown(logger, 'webhooks', async () => {
    await app.close();
    await ops?.close();
    await closeQueues(queues);
    redis.disconnect();
    await prisma.$disconnect();
    await tracing.shutdown();
  });
}

runMain('webhooks', main);
