// npm run bench:scheduler:saturation (BENCH_MODE=saturation npm run bench:scheduler) — how many idle
// incoming cycles per second the whole stack on this machine completes when saturated, and what one
// costs: the simulator, PostgreSQL, a private redis-server, one scheduler and two workers, every
// one its own process, as in production. Then the same two-process layout running plain BullMQ
// no-op jobs, as the reference for what a queue hop alone costs. Prints figures; asserts nothing.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { generateSecretKey } from '@syncfleet/config';
import { createPrisma, dropDatabase, migrate, Prisma, withDatabase, type Db } from '@syncfleet/db';
import { createAdminClient } from '@syncfleet/graph-simulator';
import { createRedis } from '@syncfleet/queues';
import { spawnApp, stopAll, type FleetProcess } from '@syncfleet/testing/processes';
import { startPrivateRedis, startStatementCounter, waitFor } from '@syncfleet/testing';
import { spawn } from 'node:child_process';
import { cpuMeter, redisBytesUnder } from './measure';
import { seedBenchFleet } from './seed';

const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/syncfleet';
const N = Number(process.env.BENCH_MAILBOXES ?? 10_000);
/** The measured pass: every mailbox falls due within this window (as after a cadence boundary). */
const DUE_WINDOW_SEC = Number(process.env.BENCH_DUE_WINDOW_SEC ?? 5);
const COUNTED_CYCLES = Math.min(N, 2_000);
const CONCURRENCY = '50';
const PREFIX = 'bench-saturation';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

async function startSimProcess() {
  const sim = spawnApp('graph-simulator', 'simulator', {
    SIM_PORT: '0',
    SIM_SEED: '',
    SIM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sf-bench-sim-')),
  });
  let ready: { url: string; caPath: string; adminKey: string } | undefined;
  await waitFor(
    () => {
      const line = sim.output().match(/^SIM_READY (.*)$/m);
      if (line) ready = JSON.parse(line[1]!);
      return !!ready;
    },
    { timeoutMs: 30_000, description: 'the simulator to start' },
  );
  const admin = createAdminClient({ ...ready!, caPem: readFileSync(ready!.caPath, 'utf8') });
  return { process: sim, ...ready!, admin };
}

/** Makes `count` mailboxes due, spread evenly over `windowSec` from now; returns when the window starts. */
async function makeDue(prisma: Db, count: number, windowSec: number): Promise<Date> {
  const start = new Date();
  await prisma.$executeRaw(Prisma.sql`
    UPDATE "MailboxWorkload" w
    SET "nextDueAt" = ${start}::timestamp + (o.rn - 1) * (${windowSec}::float / ${count}) * interval '1 second'
    FROM (SELECT "mailboxId", row_number() OVER (ORDER BY "mailboxId") AS rn
          FROM "MailboxWorkload" WHERE workload = 'incoming-email') o
    WHERE w."mailboxId" = o."mailboxId" AND w.workload = 'incoming-email' AND o.rn <= ${count}`);
  return start;
}

const runsSince = async (prisma: Db, since: Date) =>
  prisma.syncRun.count({ where: { startedAt: { gte: since } } });

async function waitForRuns(prisma: Db, since: Date, count: number, what: string) {
  await waitFor(async () => (await runsSince(prisma, since)) >= count, {
    timeoutMs: 30 * 60_000,
    intervalMs: 250,
    description: what,
  });
}

async function postgresPids(prisma: Db, database: string): Promise<number[]> {
  const rows = await prisma.$queryRaw<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity WHERE datname = ${database} AND pid <> pg_backend_pid()`;
  return rows.map((r) => r.pid);
}

async function main(): Promise<void> {
  const database = 'syncfleet_bench_saturation';
  const url = withDatabase(SERVER, database);
  await dropDatabase(url);
  await migrate(url);
  const prisma = createPrisma(url, { maxConnections: 2 });
  const redisServer = await startPrivateRedis();
  const redis = createRedis(redisServer.url);
  const sim = await startSimProcess();
  const keys = [generateSecretKey('bench')];
  const processes: FleetProcess[] = [sim.process];
  const dbUrl = new URL(url);
  const counter = await startStatementCounter({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
  try {
    await seedBenchFleet(prisma, sim, { count: N, secretKeys: keys, firstDueInSec: 86_400, windowSec: 0 });
    // Every idle cycle leaves a new delta token: keep enough that none is evicted during the run.
    await sim.admin.patchConfig({ maxDeltaStates: N * 12 });
    console.log(`== saturation: ${fmt(N)} idle mailboxes, incoming email, due within ${DUE_WINDOW_SEC} s`);
    const env = {
      REDIS_URL: redisServer.url,
      QUEUE_PREFIX: PREFIX,
      LOG_LEVEL: 'error',
      SECRET_KEYS: keys.join(','),
      GRAPH_CA_FILE: sim.caPath,
      GRAPH_ALLOWED_HOSTS: new URL(sim.url).host,
      WORKLOADS: 'incoming-email',
      WORKER_CONCURRENCY_INCOMING: CONCURRENCY,
      INCOMING_INTERVAL_SEC: '86400',
      SCHEDULER_TICK_MS: '250',
      LOCK_DURATION_MS: '60000',
      NODE_ENV: 'production',
    };
    const scheduler = spawnApp('scheduler', 'scheduler', { ...env, DATABASE_URL: url, HOST_ID: 'scheduler' });
    processes.push(scheduler);
    const proxied = new URL(url);
    proxied.port = String(counter.port);
    const startWorkers = async (databaseUrl: string) => {
      // BENCH_PROFILE_DIR: V8 CPU profiles of the workers (written when they exit).
      const profile = process.env.BENCH_PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
        : [];
      const workers = ['w1', 'w2'].map((name) =>
        spawnApp('worker', name, { ...env, DATABASE_URL: databaseUrl, HOST_ID: name }, profile),
      );
      processes.push(...workers);
      const queue = new Queue('incoming-email', { connection: redis, prefix: PREFIX });
      await waitFor(async () => (await queue.getWorkersCount()) >= 2, {
        timeoutMs: 60_000,
        description: 'both workers to listen',
      });
      await queue.close();
      return workers;
    };

    // 1) First cycles (each mailbox's first delta round), and SQL counted on the wire: workers
    //    reach PostgreSQL through the counting proxy; the scheduler does not.
    let workers = await startWorkers(proxied.toString());
    const first = await makeDue(prisma, N, 0);
    await waitForRuns(prisma, first, N, 'first cycles');
    await sleep(500);
    counter.reset();
    const counted = await makeDue(prisma, COUNTED_CYCLES, 0);
    await waitForRuns(prisma, counted, COUNTED_CYCLES, 'counted idle cycles');
    const perCycle = {
      statements: counter.counts.statements / COUNTED_CYCLES,
      transactions: counter.counts.begins / COUNTED_CYCLES,
    };
    await stopAll(workers);

    // 2) Saturation, workers straight to PostgreSQL.
    workers = await startWorkers(url);
    const groups = async () => ({
      scheduler: [scheduler.child.pid!],
      workers: workers.map((w) => w.child.pid!),
      simulator: [sim.process.child.pid!],
      postgres: await postgresPids(prisma, database),
      redis: [redisServer.pid],
    });
    const meter = cpuMeter();
    meter.start(await groups());
    const measured = await makeDue(prisma, N, DUE_WINDOW_SEC);
    await waitForRuns(prisma, measured, N, 'saturation pass');
    const cpu = meter.stop(await groups());
    const [stats] = await prisma.$queryRaw<
      { first: Date; last: Date; p50: number; p95: number; failures: bigint }[]
    >(Prisma.sql`
      SELECT min(r."startedAt") AS first, max(r."finishedAt") AS last,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."startedAt" - r.due)) AS p50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."startedAt" - r.due)) AS p95,
             count(*) FILTER (WHERE r.outcome <> 'Success') AS failures
      FROM (SELECT s.*, ${measured}::timestamp + (row_number() OVER (ORDER BY s."mailboxId") - 1)
                   * (${DUE_WINDOW_SEC}::float / ${N}) * interval '1 second' AS due
            FROM "SyncRun" s WHERE s."startedAt" >= ${measured}::timestamp) r`);
    const seconds = (stats!.last.getTime() - stats!.first.getTime()) / 1000;
    const cyclesPerSec = N / seconds;
    const idleBytes = await redisBytesUnder(redis, PREFIX);

    // 3) Redis at its fullest: every mailbox queued at once, no worker running.
    await stopAll(workers);
    const queue = new Queue('incoming-email', { connection: redis, prefix: PREFIX });
    await makeDue(prisma, N, 0);
    await waitFor(async () => (await queue.getWaitingCount()) >= N, {
      timeoutMs: 120_000,
      description: 'every mailbox queued',
    });
    const queuedBytes = await redisBytesUnder(redis, PREFIX);
    await queue.obliterate({ force: true });
    await queue.close();
    await stopAll([scheduler]);

    // 4) The reference: plain BullMQ no-op jobs, same layout (two processes, concurrency 50).
    const noop = await plainBullmq(redisServer.url, redisServer.pid);

    const total = Object.values(cpu).reduce((a, b) => a + b, 0);
    console.log(
      `idle incoming cycles: ${fmt(N)} in ${seconds.toFixed(1)} s = ${fmt(cyclesPerSec)} cycles/s saturated (failures: ${stats!.failures})`,
    );
    console.log(
      `schedule lag (start − due): p50 ${Number(stats!.p50).toFixed(2)} s, p95 ${Number(stats!.p95).toFixed(2)} s`,
    );
    console.log(
      `plain BullMQ no-op jobs, same layout: ${fmt(noop.jobsPerSec)} jobs/s → one idle cycle costs ${(noop.jobsPerSec / cyclesPerSec).toFixed(1)} queue hops`,
    );
    console.log(
      `SQL per idle cycle (worker, on the wire): ${perCycle.statements.toFixed(2)} statements, ${perCycle.transactions.toFixed(2)} BEGIN…COMMIT transactions`,
    );
    console.log(
      `CPU per idle cycle: ${Object.entries(cpu)
        .map(([k, v]) => `${k} ${(v / N).toFixed(3)} ms`)
        .join(', ')} — total ${(total / N).toFixed(3)} ms`,
    );
    console.log(
      `  (plain BullMQ: ${Object.entries(noop.cpu)
        .map(([k, v]) => `${k} ${(v / noop.jobs).toFixed(3)} ms`)
        .join(', ')} per job)`,
    );
    console.log(
      `Redis per idle enabled mailbox: ${fmt(idleBytes.bytes / N, 1)} bytes between cycles (${idleBytes.keys} keys), ${fmt(queuedBytes.bytes / N)} bytes while queued (${queuedBytes.keys} keys)`,
    );
  } finally {
    await stopAll(processes);
    await counter.close();
    redis.disconnect();
    await prisma.$disconnect();
    await redisServer.stop();
    await dropDatabase(url);
  }
}

async function plainBullmq(redisUrl: string, redisPid: number) {
  const jobs = N;
  const prefix = 'bench-noop';
  const connection = createRedis(redisUrl);
  const queue = new Queue('noop', { connection, prefix });
  const root = path.resolve(__dirname, '../../..');
  const workers = ['n1', 'n2'].map((name) =>
    spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'noop-worker.ts')], {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        QUEUE_PREFIX: prefix,
        BENCH_CONCURRENCY: CONCURRENCY,
        NAME: name,
      },
      stdio: 'ignore',
    }),
  );
  try {
    await waitFor(async () => (await queue.getWorkersCount()) >= 2, {
      timeoutMs: 60_000,
      description: 'no-op workers',
    });
    const groups = { workers: workers.map((w) => w.pid!), redis: [redisPid], producer: [process.pid] };
    const meter = cpuMeter();
    meter.start(groups);
    const started = performance.now();
    for (let i = 0; i < jobs; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => ({
        name: 'noop',
        data: { i: i + k },
        opts: { removeOnComplete: { count: jobs } },
      }));
      await queue.addBulk(batch);
    }
    await waitFor(async () => (await queue.getCompletedCount()) >= jobs, {
      timeoutMs: 600_000,
      intervalMs: 50,
      description: 'no-op jobs done',
    });
    const seconds = (performance.now() - started) / 1000;
    return { jobs, jobsPerSec: jobs / seconds, cpu: meter.stop(groups) };
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

export default main;
