import { Redis } from 'ioredis';
import type { Db } from '@syncfleet/db';
import { createFleetFixture, type FleetFixture } from '@syncfleet/sync/testing';
import { spawnApp, stopAll, type FleetProcess } from '@syncfleet/testing/processes';
import {
  createTestDatabase,
  startPrivateRedis,
  waitFor,
  type PrivateRedis,
  type TestDatabase,
} from '@syncfleet/testing';

/**
 * The fleet as it runs in production: a scheduler and three worker processes (separate OS
 * processes) against a private Redis, PostgreSQL and the Graph simulator with 20 ms latency.
 */
const MAILBOXES = 200;
const TICK_MS = 500;
const LOCK_MS = 3_000;

let db: TestDatabase;
let redisServer: PrivateRedis;
let redis: Redis;
let fx: FleetFixture;
const processes: FleetProcess[] = [];
const prefix = 'fleet';

function env(host: string): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    REDIS_URL: redisServer.url,
    QUEUE_PREFIX: prefix,
    HOST_ID: host,
    LOG_LEVEL: 'warn',
    SECRET_KEYS: fx.secretKeys.join(','),
    GRAPH_CA_FILE: fx.sim.caPath,
    GRAPH_ALLOWED_HOSTS: new URL(fx.sim.url).host,
    WORKLOADS: 'incoming-email',
    WORKER_CONCURRENCY_INCOMING: '20',
    LOCK_DURATION_MS: String(LOCK_MS),
    SLOT_LEASE_MS: '2000',
    INCOMING_INTERVAL_SEC: '1',
    SCHEDULER_TICK_MS: String(TICK_MS),
    SHUTDOWN_GRACE_MS: '2000',
  };
}

async function successfulRunsSince(prisma: Db, since: Date): Promise<Map<string, number>> {
  const rows = await prisma.syncRun.groupBy({
    by: ['mailboxId'],
    where: { outcome: 'Success', startedAt: { gte: since } },
    _count: { _all: true },
  });
  return new Map(rows.map((r) => [r.mailboxId, r._count._all]));
}

async function everyMailboxCycled(since: Date, times: number): Promise<boolean> {
  const counts = await successfulRunsSince(db.prisma, since);
  return fx.mailboxes.every((m) => (counts.get(m.id) ?? 0) >= times);
}

beforeAll(async () => {
  [db, redisServer] = await Promise.all([createTestDatabase('fleet'), startPrivateRedis()]);
  redis = new Redis(redisServer.url);
  fx = await createFleetFixture(db.prisma, {
    mailboxes: MAILBOXES,
    maxConcurrentConnections: 5,
    simConfig: { defaultLatencyMs: 20 },
  });
  processes.push(spawnApp('scheduler', 'scheduler', env('scheduler-1')));
  for (let i = 1; i <= 3; i++) processes.push(spawnApp('worker', `worker-${i}`, env(`worker-${i}`)));
}, 120_000);

afterAll(async () => {
  await stopAll(processes);
  redis?.disconnect();
  await fx?.close();
  await Promise.all([db?.drop(), redisServer?.stop()]);
});

describe('the fleet, with workers as separate processes', () => {
  const started = new Date();

  it('cycles every mailbox at least twice within the profile and per-mailbox connection limits', async () => {
    await waitFor(() => everyMailboxCycled(started, 2), {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: 'every mailbox cycled twice',
    });
    const metrics = await fx.sim.admin.metrics();
    const appKey = `${fx.tenantId}:${fx.clientId}`;
    expect(metrics.maxConcurrencyByApp[appKey]).toBeLessThanOrEqual(5);
    // The limit was reached: the fleet used the connections it was given.
    expect(metrics.maxConcurrencyByApp[appKey]).toBeGreaterThanOrEqual(3);
    expect(Math.max(...Object.values(metrics.maxConcurrencyByMailbox))).toBeLessThanOrEqual(4);
    expect(metrics.throttled429).toBe(0);
    expect(metrics.earlyRequests).toBe(0);
    expect(metrics.missingAnchorMailbox).toBe(0);
  });

  it('a worker killed with -9 gives its jobs and slots back; every mailbox keeps cycling', async () => {
    const victim = processes.find((p) => p.name === 'worker-2')!;
    // Kill it while it holds claims, so there is something to recover.
    await waitFor(
      () =>
        db.prisma.mailboxWorkload.count({
          where: { processingState: 'Processing', processingHost: 'worker-2' },
        }),
      { timeoutMs: 20_000, intervalMs: 5, description: 'worker-2 processing a mailbox' },
    );
    const killedAt = new Date();
    victim.kill('SIGKILL');
    await victim.exited;
    // Its claims expire with the lock duration and are taken over (or finished) by the others.
    await waitFor(
      async () =>
        (await db.prisma.mailboxWorkload.count({
          where: { processingState: 'Processing', processingHost: 'worker-2' },
        })) === 0,
      {
        timeoutMs: LOCK_MS + 4 * TICK_MS + 10_000,
        intervalMs: 100,
        description: "worker-2's claims released",
      },
    );
    await waitFor(() => everyMailboxCycled(killedAt, 1), {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: 'every mailbox cycled after the kill',
    });
    const metrics = await fx.sim.admin.metrics();
    expect(metrics.maxConcurrencyByApp[`${fx.tenantId}:${fx.clientId}`]).toBeLessThanOrEqual(5);
  });

  it('after FLUSHALL, everything due is queued again within two ticks and keeps cycling', async () => {
    const marker = `${prefix}:scheduler:marker`;
    await waitFor(async () => (await redis.exists(marker)) === 1, {
      description: 'scheduler marker present',
    });
    const flushedAt = new Date();
    await redis.flushall();
    await waitFor(async () => (await redis.exists(marker)) === 1, {
      // Two ticks, plus the time one tick's queries take on a busy 2-core machine.
      timeoutMs: 2 * TICK_MS + 2_000,
      intervalMs: 20,
      description: 'a full re-queue after Redis lost its data',
    });
    await waitFor(() => everyMailboxCycled(flushedAt, 1), {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: 'every mailbox cycled after FLUSHALL',
    });
  });

  it('never ran two jobs at once for the same (mailbox, workload)', async () => {
    const runs = await db.prisma.syncRun.findMany({ orderBy: [{ mailboxId: 'asc' }, { startedAt: 'asc' }] });
    expect(runs.length).toBeGreaterThanOrEqual(MAILBOXES * 4);
    let overlaps = 0;
    for (let i = 1; i < runs.length; i++) {
      const [a, b] = [runs[i - 1]!, runs[i]!];
      if (a.mailboxId === b.mailboxId && a.workload === b.workload && b.startedAt < a.finishedAt) overlaps++;
    }
    expect(overlaps).toBe(0);
  });
});
