// npm run bench:console — the dashboard's mailbox list (GET /api/mailboxes, what the list page
// asks for) and its overview against 100,000 mailboxes (BENCH_MAILBOXES): latency per query shape
// (paging deep, filters, each sort) measured sequentially, then throughput and latency with
// BENCH_CONCURRENCY clients at once (saturation). Runs the console in-process (inject: the server's
// time, no socket). Prints figures; asserts nothing.
import { generateSecretKey, SecretBox } from '@syncfleet/config';
import { createPrisma, dropDatabase, migrate, withDatabase } from '@syncfleet/db';
import { closeQueues, createQueues, createRedis } from '@syncfleet/queues';
import { createLogger } from '@syncfleet/telemetry';
import { buildConsole } from '../src/app';

const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/syncfleet';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const N = Number(process.env.BENCH_MAILBOXES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SATURATION_MS = Number(process.env.BENCH_SATURATION_MS ?? 5_000);
const TOKEN = 'bench-admin-token-0123456789abcdefXYZ';

const QUERIES: [string, string][] = [
  ['first page (address order)', '/api/mailboxes?limit=50'],
  ['page 1,000 (offset 49,950)', '/api/mailboxes?limit=50&offset=49950'],
  ['last page', `/api/mailboxes?limit=50&offset=${Math.max(0, N - 50)}`],
  ['search "user4242"', '/api/mailboxes?q=user4242&limit=50'],
  ['search "contoso" (matches all)', '/api/mailboxes?q=contoso&limit=50'],
  ['profile + pending approval', '/api/mailboxes?approvalState=PendingApproval&limit=50&profileId=PROFILE'],
  ['incoming failing', '/api/mailboxes?workload=incoming-email&status=Failure&limit=50'],
  ['not processed in 60 min', '/api/mailboxes?notProcessedMin=60&limit=50'],
  ['with errors, sort errors desc', '/api/mailboxes?hasErrors=true&sort=errors&order=desc&limit=50'],
  ['sort last attempt desc', '/api/mailboxes?sort=lastAttempt&order=desc&limit=50'],
  ['sort lag desc (most late)', '/api/mailboxes?sort=lag&order=desc&limit=50'],
  ['sort last attempt, page 500', '/api/mailboxes?sort=lastAttempt&order=desc&limit=50&offset=25000'],
  ['overview', '/api/overview'],
  ['overview series (60 min)', '/api/overview/series?minutes=60'],
];

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function main(): Promise<void> {
  const url = withDatabase(SERVER, 'syncfleet_bench_console');
  await dropDatabase(url);
  await migrate(url);
  const prisma = createPrisma(url, { maxConnections: 8 });
  const redis = createRedis(REDIS_URL);
  const queues = createQueues(redis, `bench-console-${process.pid}`);
  try {
    const seeded = Date.now();
    await prisma.$executeRawUnsafe(`
      INSERT INTO "EmailServerProfile" ("id", "name", "tenantId", "clientId", "clientSecretCiphertext", "clientSecretKeyId", "updatedAt")
      SELECT gen_random_uuid(), 'bench-' || g, 't', 'c', 'x', 'k', now() FROM generate_series(1, 5) g`);
    await prisma.$executeRawUnsafe(`
      WITH p AS (SELECT array_agg("id" ORDER BY "name") AS ids FROM "EmailServerProfile")
      INSERT INTO "Mailbox" ("id", "address", "displayName", "ownerType", "ownerId", "profileId", "approvalState", "updatedAt")
      SELECT gen_random_uuid(), 'user' || g || '@contoso.test', 'User ' || g, 'User', 'owner-' || g,
        p.ids[1 + g % 5], (CASE WHEN g % 20 = 0 THEN 'PendingApproval' ELSE 'Approved' END)::"ApprovalState", now()
      FROM generate_series(1, ${N}) g, p`);
    await prisma.$executeRawUnsafe(`
      INSERT INTO "MailboxWorkload" ("mailboxId", "workload", "method", "enabled", "status", "nextDueAt",
        "lastAttemptAt", "lastSuccessAt", "lastErrorCode", "lastErrorCount", "cycleCount", "updatedAt")
      SELECT m."id", w::"Workload", 'ServerSideSync', r > 0.05,
        (CASE WHEN r < 0.02 THEN 'Failure' WHEN r < 0.05 THEN 'NotRun' ELSE 'Success' END)::"WorkloadStatus",
        now() + (random() * 600 - 120) * interval '1 second',
        CASE WHEN r < 0.05 THEN NULL ELSE now() - random() * interval '3 hours' END,
        now() - random() * interval '3 hours',
        CASE WHEN r < 0.02 THEN 'MissingPermission' END, CASE WHEN r < 0.02 THEN 1 + (random() * 5)::int ELSE 0 END,
        (random() * 1000)::int, now()
      FROM (SELECT m."id", w, random() AS r
            FROM "Mailbox" m CROSS JOIN unnest(ARRAY['incoming-email', 'outgoing-email', 'act']) w) m`);
    await prisma.$executeRawUnsafe(`
      INSERT INTO "SyncRun" ("mailboxId", "workload", "jobId", "startedAt", "finishedAt", "outcome", "itemsProcessed")
      SELECT m."id", 'incoming-email', 'incoming-email.' || m."id" || '.' || (extract(epoch FROM t) * 1000)::bigint,
        t + interval '1 second', t + interval '2 seconds', 'Success', (random() * 3)::int
      FROM (SELECT "id" FROM "Mailbox" LIMIT 2000) m,
        LATERAL (SELECT now() - random() * interval '1 hour' AS t FROM generate_series(1, 20)) s`);
    await prisma.$executeRawUnsafe('ANALYZE');
    const profile = await prisma.emailServerProfile.findFirstOrThrow({ orderBy: { name: 'asc' } });
    console.log(
      `Seeded ${N.toLocaleString()} mailboxes, ${(N * 3).toLocaleString()} workloads, 40,000 runs in ${Date.now() - seeded} ms`,
    );

    const app = await buildConsole({
      prisma,
      queues,
      secretBox: new SecretBox([generateSecretKey('bench')]),
      logger: createLogger({ name: 'bench-console', level: 'silent' }),
      adminToken: TOKEN,
      testAndEnable: async () => {
        throw new Error('not in the benchmark');
      },
    });
    await app.ready();
    const get = async (path: string) => {
      const started = performance.now();
      const response = await app.inject({
        method: 'GET',
        url: path.replace('PROFILE', profile.id),
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      if (response.statusCode !== 200)
        throw new Error(`${path}: HTTP ${response.statusCode} ${response.body}`);
      return { ms: performance.now() - started, total: (response.json() as { total?: number }).total };
    };

    console.log(`\nSequential, ${RUNS} runs each after a warm-up (ms):`);
    console.log(
      `${'query'.padEnd(34)} ${'matches'.padStart(8)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)}`,
    );
    for (const [label, path] of QUERIES) {
      const warm = await get(path);
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push((await get(path)).ms);
      times.sort((a, b) => a - b);
      console.log(
        `${label.padEnd(34)} ${String(warm.total ?? '-').padStart(8)} ${warm.ms.toFixed(1).padStart(7)} ${percentile(times, 0.5).toFixed(1).padStart(7)} ${percentile(times, 0.95).toFixed(1).padStart(7)} ${times.at(-1)!.toFixed(1).padStart(7)}`,
      );
    }

    // Saturation: CONCURRENCY clients asking for list pages (mixed shapes) as fast as answered.
    const listQueries = QUERIES.filter(([, p]) => p.startsWith('/api/mailboxes'));
    const times: number[] = [];
    const end = Date.now() + SATURATION_MS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, c) => {
        for (let i = c; Date.now() < end; i++)
          times.push((await get(listQueries[i % listQueries.length]![1])).ms);
      }),
    );
    times.sort((a, b) => a - b);
    console.log(
      `\nSaturation: ${CONCURRENCY} concurrent clients, mixed list queries for ${SATURATION_MS / 1000} s: ` +
        `${(times.length / (SATURATION_MS / 1000)).toFixed(0)} pages/s, p50 ${percentile(times, 0.5).toFixed(0)} ms, ` +
        `p95 ${percentile(times, 0.95).toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms`,
    );
    await app.close();
  } finally {
    await closeQueues(queues);
    redis.disconnect();
    await prisma.$disconnect();
    if (!process.env.BENCH_KEEP) await dropDatabase(url);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
