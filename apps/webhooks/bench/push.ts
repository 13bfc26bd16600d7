// npm run bench:push — push end to end at fleet size, every role its own process (the Graph
// simulator, the webhook receiver, the scheduler with its subscription loop, two workers) against
// PostgreSQL and a private redis-server: BENCH_MAILBOXES (10,000) mailboxes subscribed, then
// inbound mail at BENCH_RATE (50) messages/s to random mailboxes for BENCH_DURATION_SEC (60) s.
// Prints arrival → committed latency (p50/p95/p99/max), Graph requests per message, and Graph
// requests per idle mailbox-hour measured over the run. Prints figures; asserts nothing.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSecretKey, SecretBox } from '@syncfleet/config';
import { createPrisma, dropDatabase, migrate, Prisma, withDatabase } from '@syncfleet/db';
import { createAdminClient, issueServerCertificate } from '@syncfleet/graph-simulator';
import { spawnApp, stopAll, type FleetProcess } from '@syncfleet/testing/processes';
import { startPrivateRedis, waitFor } from '@syncfleet/testing';

const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/syncfleet';
const N = Number(process.env.BENCH_MAILBOXES ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 60);
const SAFETY_POLL_SEC = 3600;
const LIFETIME_MIN = 4230;
const RENEW_BEFORE_SEC = 12 * 3600;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function main(): Promise<void> {
  const url = withDatabase(SERVER, 'syncfleet_bench_push');
  await dropDatabase(url);
  await migrate(url);
  const prisma = createPrisma(url, { maxConnections: 3 });
  const redisServer = await startPrivateRedis();
  const simDir = mkdtempSync(path.join(tmpdir(), 'sf-bench-push-sim-'));
  const processes: FleetProcess[] = [];
  try {
    const simProcess = spawnApp('graph-simulator', 'simulator', {
      SIM_PORT: '0',
      SIM_SEED: '',
      SIM_DATA_DIR: simDir,
    });
    processes.push(simProcess);
    const ready = await waitFor(
      () => {
        const line = simProcess.output().match(/^SIM_READY (.*)$/m);
        return line ? (JSON.parse(line[1]!) as { url: string; caPath: string; adminKey: string }) : undefined;
      },
      { timeoutMs: 30_000, description: 'the simulator to start' },
    );
    const admin = createAdminClient({ ...ready, caPem: readFileSync(ready.caPath, 'utf8') });
    await admin.patchConfig({ maxDeltaStates: N * 12 });

    // The tenant: N mailboxes, incoming email on server-side sync, due now (the first cycle starts
    // each mailbox's delta round).
    const keys = [generateSecretKey('bench')];
    const { tenantId } = await admin.createTenant();
    const app = await admin.createApp(tenantId);
    const { mailboxes } = await admin.createMailboxes(tenantId, {
      count: N,
      addressPattern: 'user{n}@bench.test',
    });
    const sealed = new SecretBox(keys).seal(app.clientSecret);
    const profile = await prisma.emailServerProfile.create({
      data: {
        name: 'bench-push',
        tenantId,
        clientId: app.clientId,
        clientSecretCiphertext: sealed.ciphertext,
        clientSecretKeyId: sealed.keyId,
        authorityUrl: ready.url,
        graphBaseUrl: ready.url,
        maxConcurrentConnections: 100,
        minPollingIntervalSec: 0,
      },
    });
    await prisma.$executeRaw(Prisma.sql`
      INSERT INTO "Mailbox" (id, address, "ownerType", "ownerId", "profileId", "approvalState", "graphUserId", "updatedAt")
      SELECT gen_random_uuid(), t.address, 'User', 'u' || t.n, ${profile.id}::uuid, 'Approved', t.gid, now()
      FROM unnest(${mailboxes.map((m) => m.address.toLowerCase())}::text[], ${mailboxes.map((m) => m.id)}::text[])
        WITH ORDINALITY AS t(address, gid, n)`);
    await prisma.$executeRaw(Prisma.sql`
      INSERT INTO "MailboxWorkload" ("mailboxId", workload, method, enabled, "nextDueAt", "updatedAt")
      SELECT m.id, w.workload::"Workload",
             CASE WHEN w.workload = 'incoming-email' THEN 'ServerSideSync'::"SyncMethod" ELSE 'None'::"SyncMethod" END,
             w.workload = 'incoming-email', now(), now()
      FROM "Mailbox" m CROSS JOIN (VALUES ('incoming-email'), ('outgoing-email'), ('act')) AS w(workload)`);
    await prisma.$executeRaw`ANALYZE`;

    const tlsDir = mkdtempSync(path.join(tmpdir(), 'sf-bench-push-tls-'));
    const cert = issueServerCertificate(simDir, ['127.0.0.1']);
    writeFileSync(path.join(tlsDir, 'cert.pem'), cert.certPem);
    writeFileSync(path.join(tlsDir, 'key.pem'), cert.keyPem, { mode: 0o600 });
    const env = {
      DATABASE_URL: url,
      REDIS_URL: redisServer.url,
      QUEUE_PREFIX: 'bench-push',
      LOG_LEVEL: 'error',
      SECRET_KEYS: keys.join(','),
      GRAPH_CA_FILE: ready.caPath,
      GRAPH_ALLOWED_HOSTS: new URL(ready.url).host,
      WORKLOADS: 'incoming-email',
      WORKER_CONCURRENCY_INCOMING: '50',
      INCOMING_DEFAULT_FILTER: 'All',
      INCOMING_INTERVAL_SEC: '300',
      PUSH_SAFETY_POLL_SEC: String(SAFETY_POLL_SEC),
      PUSH_SUBSCRIPTION_LIFETIME_MIN: String(LIFETIME_MIN),
      PUSH_RENEW_BEFORE_SEC: String(RENEW_BEFORE_SEC),
      PUSH_MANAGER_BATCH: '500',
      PUSH_MANAGER_TICK_MS: '200',
      PUSH_RECONCILE_SEC: '5',
      SCHEDULER_TICK_MS: '250',
      // A request that fails on this loaded machine is retried in seconds, not after 5 minutes.
      TRANSIENT_RETRY_DELAY_SEC: '1',
      NODE_ENV: 'production',
    };
    const receiver = spawnApp('webhooks', 'webhooks', {
      ...env,
      WEBHOOK_PORT: '0',
      WEBHOOK_TLS_CERT_FILE: path.join(tlsDir, 'cert.pem'),
      WEBHOOK_TLS_KEY_FILE: path.join(tlsDir, 'key.pem'),
    });
    processes.push(receiver);
    const receiverUrl = (await receiver.waitForLine(/Webhook receiver: (https:\/\/\S+)/, 60_000))[1]!;
    const setupStarted = Date.now();
    processes.push(spawnApp('scheduler', 'scheduler', { ...env, WEBHOOK_PUBLIC_URL: receiverUrl }));
    for (const name of ['w1', 'w2']) processes.push(spawnApp('worker', name, { ...env, HOST_ID: name }));
    console.log(`== push: ${fmt(N)} mailboxes; subscribing every Inbox (validation handshakes included)…`);
    await waitFor(
      async () => {
        const [row] = await prisma.$queryRaw<{ healthy: number }[]>`
          SELECT count(*)::int AS healthy FROM "MailboxWorkload"
          WHERE workload = 'incoming-email' AND "pushHealthyUntil" IS NOT NULL AND "cycleCount" > 0`;
        return row!.healthy >= N || undefined;
      },
      { timeoutMs: 30 * 60_000, intervalMs: 1000, description: 'every mailbox subscribed and synced once' },
    );
    const setupSec = (Date.now() - setupStarted) / 1000;
    console.log(`   subscribed and synced once in ${fmt(setupSec, 1)} s (${fmt(N / setupSec)} mailboxes/s)`);

    // Steady state: each mailbox's safety poll falls somewhere in the coming hour. Rows are locked
    // in key order, a slice at a time, beside the running fleet (a deadlock is retried).
    for (let offset = 0; offset < N; offset += 1000) {
      for (let attempt = 1; ; attempt++) {
        try {
          await prisma.$executeRaw(Prisma.sql`
            UPDATE "MailboxWorkload" w
            SET "nextDueAt" = now() + random() * ${SAFETY_POLL_SEC}::float * interval '1 second'
            FROM (SELECT "mailboxId" FROM "MailboxWorkload" WHERE workload = 'incoming-email'
                  ORDER BY "mailboxId" OFFSET ${offset} LIMIT 1000) s
            WHERE w."mailboxId" = s."mailboxId" AND w.workload = 'incoming-email'`);
          break;
        } catch (error) {
          if (attempt >= 5) throw error;
        }
      }
    }
    await sleep(2_000);
    await admin.reset();
    const runStarted = Date.now();
    console.log(`   inbound mail: ${RATE} messages/s to random mailboxes for ${DURATION_SEC} s…`);

    const sent = new Map<string, { at: number; mailbox: string }>();
    const busy = new Set<string>();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < RATE * DURATION_SEC; i++) {
      const due = runStarted + (i * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const mb = mailboxes[Math.floor(Math.random() * mailboxes.length)]!;
      const internetMessageId = `<push-bench-${i}@bench.test>`;
      busy.add(mb.id);
      // Arrival = when the simulator is asked to deliver it (conservative: includes that call).
      sent.set(internetMessageId, { at: Date.now(), mailbox: mb.id });
      pending.push(
        admin.inbound(mb.address, {
          from: 'customer@fabrikam.test',
          to: [mb.address],
          subject: `bench ${i}`,
          body: 'hello',
          internetMessageId,
        }),
      );
    }
    await Promise.all(pending);
    const trafficEnded = Date.now();
    const ids = [...sent.keys()];
    await waitFor(
      async () =>
        (await prisma.emailActivity.count({ where: { internetMessageId: { in: ids } } })) === ids.length ||
        undefined,
      { timeoutMs: 10 * 60_000, intervalMs: 500, description: 'every message committed' },
    );
    const runEnded = Date.now();
    const metrics = await admin.metrics();
    const [errors] = await prisma.$queryRaw<{ failed: number }[]>`
      SELECT count(*)::int AS failed FROM "SyncRun" WHERE "startedAt" >= ${new Date(runStarted)} AND outcome <> 'Success'`;
    const rows = await prisma.emailActivity.findMany({
      where: { internetMessageId: { in: ids } },
      select: { internetMessageId: true, createdAt: true },
    });
    const latencies = rows
      .map((r) => r.createdAt.getTime() - sent.get(r.internetMessageId!)!.at)
      .sort((a, b) => a - b);
    let busyRequests = 0;
    let idleRequests = 0;
    for (const [mailboxId, count] of Object.entries(metrics.byMailbox)) {
      if (busy.has(mailboxId)) busyRequests += count;
      else idleRequests += count;
    }
    const idleMailboxes = N - busy.size;
    const hours = (runEnded - runStarted) / 3_600_000;
    const perIdleHour = idleRequests / (idleMailboxes * hours);
    const renewalsPerHour = 1 / ((LIFETIME_MIN * 60 - RENEW_BEFORE_SEC) / 3600);
    console.log(
      `   ${fmt(ids.length)} messages to ${fmt(busy.size)} mailboxes; traffic ${fmt((trafficEnded - runStarted) / 1000, 1)} s, all committed ${fmt((runEnded - trafficEnded) / 1000, 1)} s after it ended`,
    );
    console.log(
      `   arrival → committed: p50 ${fmt(pct(latencies, 50))} ms, p95 ${fmt(pct(latencies, 95))} ms, ` +
        `p99 ${fmt(pct(latencies, 99))} ms, max ${fmt(latencies.at(-1) ?? NaN)} ms (targets: p50 ≤ 1,000, p99 ≤ 5,000)`,
    );
    console.log(
      `   Graph requests per message: ${fmt(busyRequests / ids.length, 2)} (${fmt(busyRequests)} requests to mailboxes that got mail)`,
    );
    console.log(
      `   Graph requests per idle mailbox-hour: ${fmt(perIdleHour, 2)} measured (${fmt(idleRequests)} requests to ` +
        `${fmt(idleMailboxes)} idle mailboxes over ${fmt(hours * 60, 1)} min: safety polls) + ${fmt(renewalsPerHour, 3)} ` +
        `subscription renewals (one PATCH per ${fmt(LIFETIME_MIN / 60 - RENEW_BEFORE_SEC / 3600, 1)} h); target ~1`,
    );
    console.log(
      `   notifications: ${fmt(metrics.notificationsProduced)} produced, ${fmt(metrics.notificationsDelivered)} POSTs delivered, ` +
        `${fmt(metrics.notificationsFailed)} given up; 429s ${fmt(metrics.throttled429)}; early requests ${fmt(metrics.earlyRequests)}; ` +
        `failed cycles ${fmt(errors!.failed)}`,
    );
  } finally {
    await stopAll(processes, 5_000);
    await prisma.$disconnect();
    await redisServer.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
