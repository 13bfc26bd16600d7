// `npm start`: the main job. Checks Redis and PostgreSQL (failing fast with what to do), migrates,
// starts the Graph simulator with the demo tenant (unless SYNCFLEET_GRAPH=microsoft), enables the
// demo mailboxes, then runs the fleet: the webhook receiver (push), a scheduler, two workers and the
// console. Ctrl-C stops all.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseBaseEnv, SecretBox } from '@syncfleet/config';
import { issueServerCertificate } from '@syncfleet/graph-simulator';
import { checkPostgres, createPrisma, migrate } from '@syncfleet/db';
import { checkRedis, createRedis } from '@syncfleet/queues';
import { createEngineResources, settingsFromEnv, verifySecretKeys } from '@syncfleet/sync';
import { parseSchedulerEnv } from '@syncfleet/config';
import { createLogger } from '@syncfleet/telemetry';
import { REPO_ROOT as ROOT, startProcess, stopAll, type FleetProcess } from '@syncfleet/testing/processes';
import { ensureDemo } from './fleet/demo';
import { loadDevSecrets } from './fleet/dev-secrets';

const SEED = path.join(ROOT, 'apps/graph-simulator/seeds/demo.json');

// Demo cadence: cycles every few seconds so something visibly happens; set them to override.
const DEMO_DEFAULTS: Record<string, string> = {
  INCOMING_INTERVAL_SEC: '15',
  OUTGOING_INTERVAL_SEC: '15',
  ACT_MIN_INTERVAL_SEC: '30',
  ACT_MAX_INTERVAL_SEC: '60',
  ACT_MAX_INTERVAL_WITH_INCOMING_SEC: '90',
  SCHEDULER_TICK_MS: '1000',
  SHUTDOWN_GRACE_MS: '5000',
};

async function main(): Promise<void> {
  const env = parseBaseEnv(process.env);
  await Promise.all([checkPostgres(env.DATABASE_URL), checkRedis(env.REDIS_URL)]);
  const migrated = await migrate(env.DATABASE_URL, { log: (line) => console.log(line) });
  console.log(`Database ready (${migrated.applied.length} migration(s) applied).`);

  const dataDir = process.env.SYNCFLEET_DATA_DIR ?? path.join(ROOT, '.data');
  const secrets = loadDevSecrets(dataDir, process.env);
  const useSimulator = (process.env.SYNCFLEET_GRAPH ?? 'simulator') === 'simulator';
  const children: FleetProcess[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Syncfleet…');
    await stopAll([...children].reverse(), 15_000);
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  const childEnv: NodeJS.ProcessEnv = {
    ...DEMO_DEFAULTS,
    // Children write through a pipe: they print human-readable lines when this runs in a terminal.
    LOG_FORMAT: process.stdout.isTTY ? 'pretty' : 'json',
    ...process.env,
    ...secrets,
  };
  try {
    if (useSimulator) {
      const sim = startChild('simulator', 'apps/graph-simulator/src/main.ts', {
        SIM_PORT: '4443',
        SIM_TRAFFIC_RATE: '1',
        SIM_DATA_DIR: path.join(dataDir, 'graph-simulator'),
        ...process.env,
        SIM_SEED: SEED,
      });
      children.push(sim);
      const ready = JSON.parse((await sim.waitForLine(/^SIM_READY (.*)$/, 30_000))[1]!) as {
        url: string;
        caPath: string;
      };
      childEnv.GRAPH_CA_FILE = ready.caPath;
      // The simulator is not a Microsoft endpoint: the demo allows its host explicitly.
      childEnv.GRAPH_ALLOWED_HOSTS = [process.env.GRAPH_ALLOWED_HOSTS, new URL(ready.url).host]
        .filter(Boolean)
        .join(',');
      await enableDemo(env.DATABASE_URL, env.REDIS_URL, env.QUEUE_PREFIX, secrets, ready);
      // Push end to end: the receiver gets a certificate from the simulator's CA, which the
      // simulator trusts when it delivers notifications (configuration, not a switched-off check).
      const tlsDir = path.join(dataDir, 'webhooks');
      mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
      const cert = issueServerCertificate(path.join(dataDir, 'graph-simulator'), ['127.0.0.1', 'localhost']);
      writeFileSync(path.join(tlsDir, 'cert.pem'), cert.certPem);
      writeFileSync(path.join(tlsDir, 'key.pem'), cert.keyPem, { mode: 0o600 });
      Object.assign(childEnv, {
        WEBHOOK_TLS_CERT_FILE: path.join(tlsDir, 'cert.pem'),
        WEBHOOK_TLS_KEY_FILE: path.join(tlsDir, 'key.pem'),
      });
    }
    // The webhook receiver (push); without WEBHOOK_PUBLIC_URL the scheduler says the fleet polls.
    const receiver = startChild('webhooks', 'apps/webhooks/src/main.ts', {
      ...childEnv,
      HOST_ID: 'webhooks-1',
    });
    children.push(receiver);
    const [, receiverUrl] = await receiver.waitForLine(/^Webhook receiver: (\S+)/, 30_000);
    if (useSimulator) childEnv.WEBHOOK_PUBLIC_URL ??= receiverUrl;
    children.push(
      startChild('scheduler', 'apps/scheduler/src/main.ts', { ...childEnv, HOST_ID: 'scheduler-1' }),
    );
    for (const n of [1, 2])
      children.push(
        startChild(`worker-${n}`, 'apps/worker/src/main.ts', { ...childEnv, HOST_ID: `worker-${n}` }),
      );
    const consoleChild = startChild('console', 'apps/console/src/main.ts', {
      ...childEnv,
      HOST_ID: 'console-1',
    });
    children.push(consoleChild);
    const [, consoleUrl] = await consoleChild.waitForLine(/^Syncfleet console: (\S+)\/api/, 30_000);
    // The demo application: a few emails a minute to its known contacts (scripts/fleet/demo-app.ts).
    if (useSimulator) children.push(startChild('demo-app', 'scripts/fleet/demo-app.ts', childEnv));
    for (const c of children) {
      void c.exited.then(({ code, signal }) => {
        if (!stopping) {
          console.error(`${c.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the fleet.`);
          void stop(1);
        }
      });
    }
    console.log(
      [
        '',
        'Syncfleet is running' + (useSimulator ? ' against the Graph simulator (demo tenant).' : '.'),
        `  Dashboard   : ${consoleUrl}/   (sign in with the admin token below)`,
        `  Console API : ${consoleUrl}/api   (OpenAPI: ${consoleUrl}/api/openapi.json)`,
        `  Bull Board  : ${consoleUrl}/queues   (user: any, password: the admin token)`,
        `  Push        : ${childEnv.WEBHOOK_PUBLIC_URL ? `change notifications to ${childEnv.WEBHOOK_PUBLIC_URL}` : 'off (WEBHOOK_PUBLIC_URL not set): polling'}`,
        `  Admin token : ${secrets.ADMIN_TOKEN}   (development token, kept in ${path.join(dataDir, 'dev-secrets.json')})`,
        `  CLI         : SYNCFLEET_CONSOLE_URL=${consoleUrl} SYNCFLEET_ADMIN_TOKEN=<token> npm run syncfleet -- mailboxes list`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    console.error(`\nSyncfleet could not start: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
}

async function enableDemo(
  databaseUrl: string,
  redisUrl: string,
  queuePrefix: string,
  secrets: { SECRET_KEYS: string },
  sim: { url: string; caPath: string },
): Promise<void> {
  const prisma = createPrisma(databaseUrl, { maxConnections: 2 });
  const redis = createRedis(redisUrl);
  try {
    const secretBox = new SecretBox(secrets.SECRET_KEYS.split(','));
    await verifySecretKeys(prisma, secretBox, createLogger({ name: 'start', level: 'warn' }));
    const engine = createEngineResources({
      prisma,
      redis,
      secretBox,
      logger: createLogger({ name: 'start', level: 'warn' }),
      queuePrefix,
      settings: settingsFromEnv(parseSchedulerEnv(process.env)),
      host: 'npm-start',
      caFile: sim.caPath,
      graphAllowedHosts: [new URL(sim.url).host],
    });
    const demo = await ensureDemo(prisma, secretBox, engine, sim.url, SEED);
    console.log(`Demo profile ready: ${demo.enabled} mailbox(es) enabled by Test & Enable.`);
    for (const f of demo.failed) console.warn(`  Test & Enable failed: ${f}`);
  } finally {
    redis.disconnect();
    await prisma.$disconnect();
  }
}

/** A fleet process whose output is echoed, prefixed with its name. */
function startChild(name: string, entry: string, env: NodeJS.ProcessEnv): FleetProcess {
  return startProcess(name, entry, { env, echo: true });
}

main().catch((error: unknown) => {
  console.error(`\nSyncfleet could not start:\n${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
