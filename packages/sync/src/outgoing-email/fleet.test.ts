import { EmailStatus } from '@syncfleet/db';
import {
  createTestDatabase,
  createTestRedis,
  waitFor,
  type TestDatabase,
  type TestRedis,
} from '@syncfleet/testing';
import { createFleetFixture, type FleetFixture } from '../testing/fleet-fixture';
import { spawnApp, stopAll, type FleetProcess } from '@syncfleet/testing/processes';
import { SYNCFLEET_HEADER } from '../message-headers';
import { emailInput, transportSettled } from './test-support';
import { createOutgoingEmail } from './create';

/**
 * Acceptance (exactly once across crashes, see ./README.md): 500 emails across 10 mailboxes, sent
 * by worker processes that are killed with SIGKILL while sending — by the test at random moments,
 * and by a worker that kills itself at the worst point of the protocol (after Graph accepted a
 * send, before Sent was recorded) — with 429/503 injected. The simulator's delivery log must show
 * every Sent email exactly once.
 */
const MAILBOXES = 10;
const PER_MAILBOX = 50;
const INVALID = 5; // recipients lost after creation: Graph answers 400 ErrorInvalidRecipients
const CRASH_POINTS = [
  'after-send:0.04',
  'after-send-submitted:0.04',
  'after-draft-created:0.04',
  'after-sent-saved:0.04',
  'after-claim:0.04',
];

let db: TestDatabase;
let redis: TestRedis;
let fx: FleetFixture;
const processes: FleetProcess[] = [];
let workerSeq = 0;
let crashSeq = 0;

function workerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    HOST_ID: `worker-${++workerSeq}`,
    LOG_LEVEL: 'warn',
    SECRET_KEYS: fx.secretKeys.join(','),
    GRAPH_CA_FILE: fx.sim.caPath,
    GRAPH_ALLOWED_HOSTS: new URL(fx.sim.url).host,
    WORKLOADS: 'outgoing-email',
    WORKER_CONCURRENCY_OUTGOING: '10',
    LOCK_DURATION_MS: '3000',
    SLOT_LEASE_MS: '2000',
    OUTGOING_INTERVAL_SEC: '1',
    OUTGOING_MAX_PER_CYCLE: '10',
    OUTGOING_SEND_RATE_PER_MINUTE: '100000',
    TRANSIENT_RETRY_DELAY_SEC: '0',
    TRANSIENT_MAX_RETRIES: '100',
    SHUTDOWN_GRACE_MS: '1000',
    // Sending is asynchronous in the simulator (1.5-3 s): a send request recorded but lost by a
    // crash is taken as lost after 8 s, longer than any real send in flight here.
    OUTGOING_SEND_SETTLE_SEC: '8',
    ...extra,
  };
}

const startWorker = (crashing: boolean) => {
  const env: Record<string, string> = crashing
    ? { OUTGOING_TEST_CRASH_AT: CRASH_POINTS[crashSeq++ % CRASH_POINTS.length]! }
    : {};
  // Crashing workers start from the test-only entry that installs the SIGKILL hook.
  const p = crashing
    ? spawnApp('worker', 'crashing-worker', workerEnv(env), [], 'src/testing/crashing-worker.ts')
    : spawnApp('worker', 'worker', workerEnv(env));
  processes.push(p);
  return p;
};

beforeAll(async () => {
  [db, redis] = await Promise.all([createTestDatabase('outgoing-fleet'), createTestRedis('outgoing-fleet')]);
  fx = await createFleetFixture(db.prisma, {
    mailboxes: MAILBOXES,
    workloads: ['outgoing-email'],
    maxConcurrentConnections: 10,
  });
}, 60_000);

afterAll(async () => {
  await stopAll(processes, 2_000);
  await fx?.close();
  await Promise.all([db?.drop(), redis?.cleanup()]);
});

it('500 emails, 10 mailboxes, 429/503 and kill -9 during sending: each delivered exactly once', async () => {
  const ids: string[] = [];
  for (let n = 0; n < PER_MAILBOX; n++) {
    for (const [i, mb] of fx.mailboxes.entries()) {
      // Every 10th goes to a colleague's mailbox in the tenant (an Inbox copy), the rest outside.
      const colleague = fx.mailboxes[(i + 1) % MAILBOXES]!.address;
      const input = emailInput(mb.id, n % 10 === 0 ? { to: [colleague] } : {});
      ids.push((await createOutgoingEmail(db.prisma, input)).id);
    }
  }
  const invalid = ids.filter((_, k) => k % 97 === 13).slice(0, INVALID);
  await db.prisma.emailParty.deleteMany({ where: { emailId: { in: invalid } } });
  for (const [k, mb] of fx.mailboxes.entries()) {
    const fault =
      k % 2 === 0
        ? { status: 429, retryAfterSeconds: 1, routes: '/send$', count: 12 }
        : { status: 503, retryAfterSeconds: 0, routes: '/messages$', count: 12 };
    await fx.sim.admin.addFault({ scope: { mailbox: mb.simId }, ...fault });
  }

  processes.push(
    spawnApp('scheduler', 'scheduler', {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: redis.prefix,
      LOG_LEVEL: 'warn',
      SCHEDULER_TICK_MS: '250',
      OUTGOING_INTERVAL_SEC: '1',
    }),
  );
  let live = [startWorker(false), startWorker(false), startWorker(true)];
  const remaining = () =>
    db.prisma.emailActivity.count({
      where: { id: { in: ids }, status: { in: [EmailStatus.PendingSend, EmailStatus.Sending] } },
    });

  // Chaos: while mail is going out, kill -9 a random worker every ~2.5 s (up to 4 times) and replace
  // crashed ones; crashing workers die by themselves at their protocol point.
  const explain = async () => {
    const byStatus = await db.prisma.emailActivity.groupBy({ by: ['status'], _count: { _all: true } });
    const states = await db.prisma.mailboxWorkload.findMany({ where: { workload: 'OutgoingEmail' } });
    process.stdout.write(
      `${JSON.stringify(byStatus)}\n${JSON.stringify(states.map((w) => [w.enabled, w.status, w.processingState, w.nextDueAt, w.lastErrorCode, w.transientFailureCount]))}\n` +
        processes.map((p) => `--- ${p.name}\n${p.output().slice(-3000)}`).join('\n'),
    );
  };
  let kills = 0;
  let selfCrashes = 0;
  const deadline = Date.now() + 75_000;
  const exited = (w: FleetProcess) => w.child.exitCode !== null || w.child.signalCode !== null;
  const sentCount = () => db.prisma.emailActivity.count({ where: { id: { in: ids }, status: 'Sent' } });
  for (;;) {
    const event = await waitFor(
      async () => {
        if (live.some(exited)) return 'exited';
        if ((await remaining()) === 0) return 'done';
        if (kills < 4 && (await sentCount()) > (kills + 1) * 80) return 'kill';
        return null;
      },
      { timeoutMs: Math.max(1_000, deadline - Date.now()), intervalMs: 200, description: 'fleet progress' },
    ).catch(async (error: unknown) => {
      await explain();
      throw error;
    });
    if (event === 'done') break;
    if (event === 'exited') {
      for (const p of live.filter(exited)) {
        if (p.name === 'crashing-worker') selfCrashes++;
        live = live.filter((w) => w !== p);
        live.push(startWorker(p.name === 'crashing-worker' && selfCrashes < 6));
      }
    } else {
      const victim = live[Math.floor(Math.random() * live.length)]!;
      victim.kill('SIGKILL');
      await victim.exited;
      kills++;
      live = live.filter((w) => w !== victim);
      live.push(startWorker(false));
    }
  }
  await waitFor(async () => (await remaining()) === 0, {
    timeoutMs: Math.max(1_000, deadline - Date.now()),
    intervalMs: 250,
    description: 'every email Sent or Failed',
  });
  await stopAll(processes, 2_000);
  await transportSettled(fx);

  const rows = await db.prisma.emailActivity.findMany({ where: { id: { in: ids } } });
  const deliveries = await fx.sim.admin.deliveries();
  const perEmail = new Map<string, number>();
  for (const d of deliveries) {
    const id = d.headers[SYNCFLEET_HEADER];
    if (id) perEmail.set(id, (perEmail.get(id) ?? 0) + 1);
  }
  const duplicates = [...perEmail].filter(([, n]) => n > 1);
  expect(duplicates).toEqual([]);
  const failed = rows.filter((r) => r.status === EmailStatus.Failed);
  expect(failed.map((r) => r.id).sort()).toEqual([...invalid].sort());
  for (const r of failed) {
    expect(r.failureReason).toMatch(/^ErrorInvalidRecipients: /);
    expect(perEmail.get(r.id)).toBeUndefined();
  }
  const sent = rows.filter((r) => r.status === EmailStatus.Sent);
  expect(sent).toHaveLength(MAILBOXES * PER_MAILBOX - INVALID);
  for (const r of sent) {
    expect(perEmail.get(r.id)).toBe(1);
    expect(r.internetMessageId).toEqual(expect.any(String));
  }
  expect(rows.filter((r) => r.status === EmailStatus.Sending)).toEqual([]);
  // The chaos really happened: workers were killed and died at protocol points while sending.
  expect(kills + selfCrashes).toBeGreaterThanOrEqual(3);
  const metrics = await fx.sim.admin.metrics();
  expect(metrics.byStatus['429'] ?? 0).toBeGreaterThan(0);
  expect(metrics.byStatus['503'] ?? 0).toBeGreaterThan(0);
  process.stdout.write(
    `outgoing fleet: ${sent.length} sent, ${failed.length} failed, ${kills} kill -9, ${selfCrashes} self-crashes, ` +
      `${metrics.requestsTotal} Graph requests\n`,
  );
}, 120_000);
