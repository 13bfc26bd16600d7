import { createPrisma, migrate, type Db } from '@syncfleet/db';
import { createOutgoingEmail } from '@syncfleet/sync';
import {
  createFleetFixture,
  deliveriesByEmail,
  emailInput,
  type FleetFixture,
} from '@syncfleet/sync/testing';
import { spawnApp, stopAll, type FleetProcess } from '@syncfleet/testing/processes';
import {
  startPrivatePostgres,
  startPrivateRedis,
  waitFor,
  type PrivatePostgres,
  type PrivateRedis,
} from '@syncfleet/testing';

/**
 * Faults of the real parts under a running fleet (scheduler, two workers, console — separate OS
 * processes): PostgreSQL stopped and started again (a private cluster), then Redis killed (its data
 * lost) and started again. Every role must ride it out — no crash, no busy loop — and resume within
 * seconds; mail received and mail to send during the outages ends up exactly once.
 */
const MAILBOXES = 4;
const PER_WAVE = 2; // outgoing emails and incoming messages per mailbox and wave
const ADMIN_TOKEN = 'faults-admin-token-0123456789abcdefXYZ';

let pg: PrivatePostgres;
let redisServer: PrivateRedis;
let dbUrl: string;
let prisma: Db;
let fx: FleetFixture;
let consoleUrl: string;
const processes: FleetProcess[] = [];
const outgoing: string[] = [];
const incoming: string[] = [];

function env(host: string): Record<string, string> {
  return {
    DATABASE_URL: dbUrl,
    REDIS_URL: redisServer.url,
    QUEUE_PREFIX: 'faults',
    HOST_ID: host,
    LOG_LEVEL: 'warn',
    SECRET_KEYS: fx.secretKeys.join(','),
    GRAPH_CA_FILE: fx.sim.caPath,
    GRAPH_ALLOWED_HOSTS: new URL(fx.sim.url).host,
    WORKLOADS: 'incoming-email,outgoing-email',
    INCOMING_DEFAULT_FILTER: 'All',
    INCOMING_INTERVAL_SEC: '1',
    OUTGOING_INTERVAL_SEC: '1',
    OUTGOING_SEND_RATE_PER_MINUTE: '100000',
    LOCK_DURATION_MS: '3000',
    SLOT_LEASE_MS: '2000',
    SCHEDULER_TICK_MS: '250',
    SCHEDULER_REQUEUE_AFTER_SEC: '2',
    TRANSIENT_RETRY_DELAY_SEC: '0',
    TRANSIENT_MAX_RETRIES: '1000',
    SHUTDOWN_GRACE_MS: '1000',
    ADMIN_TOKEN,
    CONSOLE_PORT: '0',
  };
}

/** One wave of work: emails to send and messages arriving, per mailbox. */
async function wave(name: string) {
  for (const [i, mb] of fx.mailboxes.entries())
    for (let n = 0; n < PER_WAVE; n++) {
      outgoing.push(
        (await createOutgoingEmail(prisma, emailInput(mb.id, { subject: `${name}-${i}-${n}` }))).id,
      );
      const imid = `<${name}-${i}-${n}@faults.test>`;
      await fx.sim.admin.inbound(mb.simId, {
        from: 'customer@fabrikam.test',
        to: [mb.address],
        subject: `incoming ${name}`,
        body: 'hello',
        internetMessageId: imid,
      });
      incoming.push(imid);
    }
}

async function allDone(): Promise<boolean> {
  const [sent, received] = await Promise.all([
    prisma.emailActivity.count({ where: { id: { in: outgoing }, status: 'Sent' } }),
    prisma.emailActivity.count({ where: { internetMessageId: { in: incoming }, direction: 'Incoming' } }),
  ]);
  return sent === outgoing.length && received === incoming.length;
}

async function ready(): Promise<Record<string, string> | undefined> {
  try {
    const response = await fetch(`${consoleUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return ((await response.json()) as { checks: Record<string, string> }).checks;
  } catch {
    return undefined;
  }
}

const alive = () =>
  processes.filter((p) => p.child.exitCode !== null || p.child.signalCode !== null).map((p) => p.name);
const lines = () => processes.map((p) => p.output().split('\n').length);

beforeAll(async () => {
  [pg, redisServer] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  dbUrl = pg.url('syncfleet');
  await migrate(dbUrl);
  prisma = createPrisma(dbUrl, { maxConnections: 3 });
  fx = await createFleetFixture(prisma, {
    mailboxes: MAILBOXES,
    workloads: ['incoming-email', 'outgoing-email'],
  });
  processes.push(spawnApp('scheduler', 'scheduler', env('scheduler')));
  for (const n of [1, 2]) processes.push(spawnApp('worker', `worker-${n}`, env(`worker-${n}`)));
  const consoleProcess = spawnApp('console', 'console', env('console'));
  processes.push(consoleProcess);
  consoleUrl = await waitFor(() => /Syncfleet console: (\S+)\/api/.exec(consoleProcess.output())?.[1], {
    timeoutMs: 60_000,
    description: 'the console listening',
  });
}, 120_000);

afterAll(async () => {
  await stopAll(processes, 3_000);
  await prisma?.$disconnect();
  await fx?.close();
  await Promise.all([pg?.destroy(), redisServer?.stop()]);
});

async function outage(
  what: string,
  stop: () => Promise<void>,
  start: () => Promise<void>,
  down: (c?: Record<string, string>) => boolean,
) {
  await wave(what);
  const before = lines();
  await stop();
  // The fleet noticed: the console reports the dependency unavailable (its checks time out at 2 s).
  await waitFor(async () => down(await ready()), {
    timeoutMs: 20_000,
    intervalMs: 200,
    description: `${what} seen down`,
  });
  await start();
  const back = Date.now();
  await waitFor(allDone, {
    timeoutMs: 30_000,
    intervalMs: 250,
    description: `every email of wave ${what} done`,
  });
  const recoveredInMs = Date.now() - back;
  const logged = lines().map((n, i) => n - before[i]!);
  return { recoveredInMs, logged };
}

it('PostgreSQL and Redis restarted mid-run: every role rides it out, nothing lost, nothing twice', async () => {
  await wave('before');
  await waitFor(allDone, { timeoutMs: 60_000, intervalMs: 250, description: 'the first wave done' });

  const postgres = await outage(
    'postgres',
    () => pg.stop('fast'),
    () => pg.start(),
    (c) => c?.postgres === 'unavailable',
  );
  const redis = await outage(
    'redis',
    () => redisServer.kill(),
    () => redisServer.start(),
    (c) => c?.redis === 'unavailable',
  );
  expect(alive()).toEqual([]); // no role crashed

  // Recovered within seconds of the service coming back (the wave had to be worked off too).
  expect(postgres.recoveredInMs).toBeLessThan(20_000);
  expect(redis.recoveredInMs).toBeLessThan(20_000);
  // Backed off instead of spinning: a bounded number of log lines per process per outage.
  for (const logged of [...postgres.logged, ...redis.logged]) expect(logged).toBeLessThan(400);

  // Exactly once: each email delivered once by Graph, each incoming message stored once.
  const perEmail = await deliveriesByEmail(fx);
  expect(outgoing.filter((id) => perEmail.get(id) !== 1)).toEqual([]);
  const stored = await prisma.emailActivity.groupBy({
    by: ['internetMessageId'],
    where: { internetMessageId: { in: incoming } },
    _count: { _all: true },
  });
  expect(stored.filter((s) => s._count._all !== 1)).toEqual([]);
  expect(stored).toHaveLength(incoming.length);
}, 240_000);
