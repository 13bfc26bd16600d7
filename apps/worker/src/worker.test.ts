import {
  closeQueues,
  createQueues,
  createRedis,
  enqueueWorkloads,
  type WorkloadQueues,
} from '@syncfleet/queues';
import { createFleetFixture, type FleetFixture } from '@syncfleet/sync/testing';
import { spawnApp, type FleetProcess } from '@syncfleet/testing/processes';
import {
  createTestDatabase,
  createTestRedis,
  waitFor,
  type TestDatabase,
  type TestRedis,
} from '@syncfleet/testing';

let db: TestDatabase;
let t: TestRedis;
let fx: FleetFixture;
let queues: WorkloadQueues;
let worker: FleetProcess | undefined;

beforeAll(async () => {
  [db, t] = await Promise.all([createTestDatabase('drain'), createTestRedis('drain')]);
  // Graph answers slowly, so SIGTERM arrives while cycles are mid-request.
  fx = await createFleetFixture(db.prisma, { mailboxes: 4, simConfig: { defaultLatencyMs: 20_000 } });
  queues = createQueues(createRedis(t.url), t.prefix);
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await closeQueues(queues);
  await fx.close();
  await Promise.all([db.drop(), t.cleanup()]);
});

describe('worker shutdown', () => {
  it('on SIGTERM stops taking jobs, lets running cycles yield within the grace period, and exits 0', async () => {
    worker = spawnApp('worker', 'drain', {
      DATABASE_URL: db.url,
      REDIS_URL: t.url,
      QUEUE_PREFIX: t.prefix,
      HOST_ID: 'drain-worker',
      SECRET_KEYS: fx.secretKeys.join(','),
      GRAPH_CA_FILE: fx.sim.caPath,
      GRAPH_ALLOWED_HOSTS: new URL(fx.sim.url).host,
      WORKLOADS: 'incoming-email',
      SHUTDOWN_GRACE_MS: '1000',
      LOG_LEVEL: 'info',
    });
    const dueAt = new Date().toISOString();
    await enqueueWorkloads(
      queues,
      fx.mailboxes.map((m) => ({ mailboxId: m.id, workload: 'incoming-email' as const, dueAt })),
    );
    await waitFor(
      async () =>
        (await db.prisma.mailboxWorkload.count({
          where: { processingState: 'Processing', processingHost: 'drain-worker' },
        })) === 4,
      { timeoutMs: 20_000, description: 'the worker running all four cycles' },
    );
    const signalled = Date.now();
    worker.kill('SIGTERM');
    const { code } = await worker.exited;
    const tookMs = Date.now() - signalled;
    expect(code).toBe(0);
    // Grace (1 s) plus closing connections; far less than the 20 s Graph would have taken.
    expect(tookMs).toBeLessThan(8_000);
    expect(worker.output()).toMatch(/worker draining/);
    const rows = await db.prisma.mailboxWorkload.findMany({ where: { workload: 'IncomingEmail' } });
    expect(rows.map((r) => r.processingState)).toEqual(['Idle', 'Idle', 'Idle', 'Idle']);
    // Interrupted, not failed: no failure counted, due again right away.
    expect(rows.every((r) => r.transientFailureCount === 0 && r.nextDueAt.getTime() <= Date.now())).toBe(
      true,
    );
    const runs = await db.prisma.syncRun.findMany();
    expect(runs.map((r) => r.outcome)).toEqual(['Yielded', 'Yielded', 'Yielded', 'Yielded']);
  });
});
