// First: the OpenTelemetry SDK starts before anything else is loaded.
import { tracing } from './instrument';
import { parseConsoleEnv, SecretBox } from '@syncfleet/config';
import { checkPostgres, createPrisma, Prisma, sqlClientOf } from '@syncfleet/db';
import { checkRedis, closeQueues, createQueues, createRedis } from '@syncfleet/queues';
import {
  DigestNotifier,
  engineResourcesFromEnv,
  findTenantGroup,
  listGroupMembers,
  listTenantUsers,
  testAndEnable,
  verifySecretKeys,
} from '@syncfleet/sync';
import { createLogger, createRegistry, onShutdown, runMain, startOpsServer } from '@syncfleet/telemetry';
import { buildConsole } from './app';
import { BULL_BOARD_PATH } from './bull-board';

/** The only place the console reads the environment and creates connections. */
async function main(): Promise<void> {
  const env = parseConsoleEnv(process.env);
  const logger = createLogger({ name: 'console', level: env.LOG_LEVEL, base: { host: env.HOST_ID } });
  await Promise.all([checkPostgres(env.DATABASE_URL), checkRedis(env.REDIS_URL)]);
  const prisma = createPrisma(env.DATABASE_URL, { maxConnections: 5 });
  const redis = createRedis(env.REDIS_URL, { cluster: env.REDIS_CLUSTER });
  const queues = createQueues(redis, env.QUEUE_PREFIX, tracing.bullmq);
  const secretBox = new SecretBox(env.SECRET_KEYS);
  // A wrong key is refused here, before a secret is sealed or opened with it.
  await verifySecretKeys(prisma, secretBox, logger);
  const engine = engineResourcesFromEnv(env, { prisma, redis, secretBox, logger });
  const app = await buildConsole({
    prisma,
    queues,
    secretBox,
    logger,
    adminToken: env.ADMIN_TOKEN,
    testAndEnable: (mailboxId, options) => testAndEnable(engine, mailboxId, options),
    listTenantUsers: (profileId) => listTenantUsers(engine, profileId),
    tenantGroups: {
      find: (profileId, selector) => findTenantGroup(engine, profileId, selector),
      members: (profileId, groupId) => listGroupMembers(engine, profileId, groupId),
    },
    graphAllowedHosts: env.GRAPH_ALLOWED_HOSTS,
    security: {
      authFailureLimit: { max: env.CONSOLE_AUTH_MAX_FAILURES, windowMs: 60_000 },
      allowedOrigins: env.CONSOLE_ALLOWED_ORIGINS,
      trustProxy: env.CONSOLE_TRUST_PROXY,
      uploadBudgetBytes: env.CONSOLE_UPLOAD_BUDGET_BYTES,
    },
  });
  await app.listen({ host: env.CONSOLE_HOST, port: env.CONSOLE_PORT });
  // Owner notifications: one digest per burst of error alerts, by email and/or signed webhook.
  const digests = new DigestNotifier({ prisma, secretBox, logger });
  digests.start(5_000);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.CONSOLE_PORT;
  const host = env.CONSOLE_HOST.includes(':') ? `[${env.CONSOLE_HOST}]` : env.CONSOLE_HOST;
  const base = `http://${host}:${port}`;
  console.log(`Syncfleet console: ${base}/api (OpenAPI: ${base}/api/openapi.json)`);
  console.log(`Dashboard:         ${base}/ (sign in with ADMIN_TOKEN)`);
  console.log(`Bull Board:        ${base}${BULL_BOARD_PATH} (user: any, password: ADMIN_TOKEN)`);

  // The operations port (/metrics, /healthz, /readyz), like every role; the API port keeps its own
  // /healthz and /readyz.
  const ops =
    env.OPS_PORT === undefined
      ? undefined
      : await startOpsServer({
          host: env.OPS_HOST,
          port: env.OPS_PORT,
          registry: createRegistry({ role: 'console' }),
          logger,
          readiness: {
            postgres: () => sqlClientOf(prisma).query(Prisma.sql`SELECT 1`),
            redis: () => redis.ping(),
          },
        });

  onShutdown(logger, 'console', async () => {
    await digests.stop();
    await app.close();
    await ops?.close();
    await closeQueues(queues);
    redis.disconnect();
    await prisma.$disconnect();
    await tracing.shutdown();
  });
}

runMain('console', main);
