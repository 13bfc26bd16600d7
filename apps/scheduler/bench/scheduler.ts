// npm run bench:scheduler — how many idle mailboxes one scheduler + two worker processes keep on
// schedule on this machine. For 10k and 50k mailboxes (incoming email enabled, empty inboxes in the
// Graph simulator): the cost of one full scheduler tick, then cycles/s and schedule lag with due
// times spread over a window, as at a steady cadence. Prints figures; asserts nothing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSecretKey } from '@syncfleet/config';
import { createPrisma, dropDatabase, migrate, Prisma, withDatabase } from '@syncfleet/db';
import { startSimulator } from '@syncfleet/graph-simulator';
import { closeQueues, createQueues, createRedis } from '@syncfleet/queues';
import { spawnApp, stopAll } from '@syncfleet/testing/processes';
import { createLogger } from '@syncfleet/telemetry';
import { deleteByPattern } from '@syncfleet/testing';
import { tick } from '../src/scheduler';
import { seedBenchFleet } from './seed';
import saturation from './saturation';

const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/syncfleet';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIZES = (process.env.BENCH_SIZES ?? '10000,50000').split(',').map(Number);
/** Due times are spread over this window: N / window is the cadence being asked for. */
const WINDOW_SEC = Number(process.env.BENCH_WINDOW_SEC ?? 60);

async function run(n: number): Promise<void> {
  const url = withDatabase(SERVER, `syncfleet_bench_scheduler_${n}`);
  await dropDatabase(url);
  await migrate(url);
  const prisma = createPrisma(url, { maxConnections: 4 });
  const prefix = `bench-sched-${process.pid}-${n}`;
  const redis = createRedis(REDIS_URL);
  const queues = createQueues(redis, prefix);
  const sim = await startSimulator({ dataDir: mkdtempSync(path.join(tmpdir(), 'sf-bench-sim-')) });
  const keys = [generateSecretKey('bench')];
  try {
    const seeded = Date.now();
    // Due times spread evenly over the window starting now: the cadence N / WINDOW_SEC per second.
    await seedBenchFleet(prisma, sim, {
      count: n,
      secretKeys: keys,
      firstDueInSec: 0,
      windowSec: WINDOW_SEC,
    });
    console.log(
      `\n== ${n.toLocaleString()} idle mailboxes (seeded in ${Date.now() - seeded} ms), due over ${WINDOW_SEC} s = ${(n / WINDOW_SEC).toFixed(0)} cycles/s asked`,
    );

    // 1) One cold full tick with everything due (the worst case after an outage).
    const logger = createLogger({ name: 'bench', level: 'silent' });
    const farFuture = new Date(Date.now() + 3_600_000);
    const deps = {
      prisma,
      queues,
      redis,
      queuePrefix: prefix,
      logger,
      clock: () => farFuture,
      batchSize: 1000,
      requeueAfterMs: 120_000,
    };
    const t0 = performance.now();
    const cold = await tick(deps);
    const coldMs = performance.now() - t0;
    console.log(
      `full tick, all ${cold.enqueued.toLocaleString()} due: ${coldMs.toFixed(0)} ms (${Math.round(cold.enqueued / (coldMs / 1000)).toLocaleString()} workloads queued/s)`,
    );
    const t1 = performance.now();
    const idle = await tick(deps);
    console.log(
      `next tick, nothing new: ${(performance.now() - t1).toFixed(0)} ms (${idle.enqueued} queued)`,
    );
    await deleteByPattern(redis, `${prefix}:*`);
    await prisma.$executeRaw`UPDATE "MailboxWorkload" SET "enqueuedAt" = NULL`;

    // 2) The fleet at cadence: a scheduler and two workers as processes.
    const env = {
      DATABASE_URL: url,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'error',
      SECRET_KEYS: keys.join(','),
      GRAPH_CA_FILE: sim.caPath,
      GRAPH_ALLOWED_HOSTS: new URL(sim.url).host,
      WORKLOADS: 'incoming-email',
      WORKER_CONCURRENCY_INCOMING: '50',
      INCOMING_INTERVAL_SEC: '3600',
      SCHEDULER_TICK_MS: '1000',
      LOCK_DURATION_MS: '30000',
    };
    const procs = [
      spawnApp('scheduler', 'scheduler', { ...env, HOST_ID: 'scheduler' }),
      spawnApp('worker', 'w1', { ...env, HOST_ID: 'w1' }),
      spawnApp('worker', 'w2', { ...env, HOST_ID: 'w2' }),
    ];
    // Lag is measured from when the workers are listening, not from process start-up.
    while ((await queues['incoming-email'].getWorkersCount()) < 2)
      await new Promise((r) => setTimeout(r, 100));
    const started = new Date();
    await prisma.$executeRaw(Prisma.sql`
      UPDATE "MailboxWorkload" w SET "nextDueAt" = ${started}::timestamp + (o.rn - 1) * (${WINDOW_SEC}::float / ${n}) * interval '1 second'
      FROM (SELECT "mailboxId", row_number() OVER (ORDER BY "mailboxId") AS rn FROM "MailboxWorkload" WHERE workload = 'incoming-email') o
      WHERE w."mailboxId" = o."mailboxId" AND w.workload = 'incoming-email'`);
    const deadline = Date.now() + (WINDOW_SEC + 600) * 1000;
    let done = 0;
    while (Date.now() < deadline) {
      done = await prisma.syncRun.count();
      if (done >= n) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await stopAll(procs);
    const lag = await prisma.$queryRaw<
      { p50: number; p95: number; max: number; first: Date; last: Date; failures: bigint }[]
    >(Prisma.sql`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY lag) AS p95,
             max(lag) AS max, min(s."startedAt") AS first, max(s."finishedAt") AS last,
             count(*) FILTER (WHERE s.outcome <> 'Success') AS failures
      FROM (SELECT r."startedAt", r."finishedAt", r.outcome,
                   EXTRACT(EPOCH FROM r."startedAt" - (${started}::timestamp + (row_number() OVER (ORDER BY r."mailboxId") - 1) * (${WINDOW_SEC}::float / ${n}) * interval '1 second')) AS lag
            FROM "SyncRun" r) s`);
    const l = lag[0]!;
    const seconds = (l.last.getTime() - l.first.getTime()) / 1000;
    const metrics = await sim.admin.metrics();
    console.log(
      `cycles completed: ${done.toLocaleString()} / ${n.toLocaleString()} in ${seconds.toFixed(1)} s = ${(done / seconds).toFixed(0)} cycles/s (failures: ${l.failures})`,
    );
    console.log(
      `schedule lag (start − due): p50 ${Number(l.p50).toFixed(2)} s, p95 ${Number(l.p95).toFixed(2)} s, max ${Number(l.max).toFixed(2)} s`,
    );
    console.log(
      `Graph requests: ${metrics.requestsTotal.toLocaleString()} (${(metrics.requestsTotal / Math.max(1, done)).toFixed(2)} per cycle), early requests: ${metrics.earlyRequests}`,
    );
    console.log(
      `=> at a 5-minute cadence this machine keeps ~${Math.round((done / seconds) * 300).toLocaleString()} idle mailboxes on schedule`,
    );
  } finally {
    await closeQueues(queues);
    await deleteByPattern(redis, `${prefix}:*`);
    redis.disconnect();
    await prisma.$disconnect();
    await sim.close();
    await dropDatabase(url);
  }
}

async function main(): Promise<void> {
  if (process.env.BENCH_MODE === 'saturation') return saturation();
  for (const n of SIZES) await run(n);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
