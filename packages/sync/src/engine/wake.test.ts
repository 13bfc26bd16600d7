import { createQueues, closeQueues, workloadJobId, type WorkloadQueues } from '@syncfleet/queues';
import { createProbeHandlers } from '../probe/probe-handlers';
import { FAST_SETTINGS } from '../testing/engine-resources';
import { useEngineHarness } from '../testing/engine-harness';
import { runWorkloadJob } from './run-job';
import type { WorkloadHandlers } from './types';
import { requestCycles } from './wake';

// "Sync this mailbox now": one statement makes the workload due and queues its job with the
// scheduler's deterministic id; a request that lands while a cycle runs is served right after it.

const h = useEngineHarness(
  'wake',
  { mailboxes: 4, workloads: ['incoming-email'] },
  // A long cadence, so "due again at once" and "due after the interval" cannot be confused.
  { cadence: { ...FAST_SETTINGS.cadence, 'incoming-email': { kind: 'fixed', intervalSec: 600 } } },
);
let queues: WorkloadQueues;
const later = () => new Date(Date.now() + 3_600_000);
const row = (mailboxId: string) =>
  h.db.prisma.mailboxWorkload.findUniqueOrThrow({
    where: { mailboxId_workload: { mailboxId, workload: 'IncomingEmail' } },
  });
const waitingJobs = async () =>
  (await queues['incoming-email'].getJobs(['waiting', 'prioritized'])).map((j) => j.id);

beforeAll(() => {
  queues = createQueues(h.redis.redis, h.redis.prefix);
});
afterAll(() => closeQueues(queues));
beforeEach(async () => {
  await queues['incoming-email'].obliterate({ force: true });
  await h.db.prisma.mailboxWorkload.updateMany({
    data: { nextDueAt: later(), enqueuedAt: null, postponedUntil: null, wakeRequestedAt: null },
  });
});

it('makes an idle workload due now and queues exactly one job for a burst of requests', async () => {
  const mb = h.fx.mailboxes[0]!;
  const burst = Array.from({ length: 100 }, () => ({
    mailboxId: mb.id,
    workload: 'incoming-email' as const,
  }));
  const results = await Promise.all([
    requestCycles({ sql: h.res.sql, queues }, burst.slice(0, 50)),
    ...burst.slice(50).map((r) => requestCycles({ sql: h.res.sql, queues }, [r])),
  ]);
  expect(results.reduce((n, r) => n + r.followUps, 0)).toBe(0);
  const after = await row(mb.id);
  expect(after.nextDueAt.getTime()).toBeLessThanOrEqual(Date.now());
  expect(after.enqueuedAt!.getTime()).toBeGreaterThanOrEqual(after.nextDueAt.getTime());
  expect(await waitingJobs()).toEqual([
    workloadJobId('incoming-email', mb.id, after.nextDueAt.toISOString()),
  ]);
  // The others were not touched.
  expect((await row(h.fx.mailboxes[1]!.id)).nextDueAt.getTime()).toBeGreaterThan(Date.now());
});

it('a request during a running cycle is served right after it, not after the cadence', async () => {
  const mb = h.fx.mailboxes[1]!;
  let release!: () => void;
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handlers: WorkloadHandlers = {
    ...createProbeHandlers(),
    'incoming-email': {
      workload: 'incoming-email',
      run: async () => {
        entered();
        await gate;
        return { itemsProcessed: 0, itemsFailed: 0 };
      },
    },
  };
  const run = async (wakeDuringCycle: boolean) => {
    await h.db.prisma.mailboxWorkload.updateMany({
      where: { mailboxId: mb.id },
      data: { nextDueAt: new Date(0) },
    });
    const job = { mailboxId: mb.id, workload: 'incoming-email' as const, dueAt: new Date(0).toISOString() };
    const cycle = runWorkloadJob(h.res, handlers, job);
    await inside;
    const woke = wakeDuringCycle ? await requestCycles({ sql: h.res.sql, queues }, [job]) : null;
    release();
    expect(await cycle).toBe('success');
    return woke;
  };

  expect(await run(true)).toEqual({ queued: 0, followUps: 1 });
  const afterWake = await row(mb.id);
  // Due at the cycle's finish (the scheduler's next tick queues it), not 600 s later.
  expect(afterWake.nextDueAt.getTime()).toBeLessThanOrEqual(Date.now());
  expect(afterWake.enqueuedAt === null || afterWake.enqueuedAt < afterWake.nextDueAt).toBe(true);
  expect(await waitingJobs()).toEqual([]);
});

it('a cycle without a request meanwhile keeps its cadence', async () => {
  const mb = h.fx.mailboxes[3]!;
  await h.db.prisma.mailboxWorkload.updateMany({
    where: { mailboxId: mb.id },
    data: { nextDueAt: new Date(0) },
  });
  // A request served before the cycle started does not count as "during" it.
  await requestCycles({ sql: h.res.sql, queues }, [{ mailboxId: mb.id, workload: 'incoming-email' }]);
  const job = { mailboxId: mb.id, workload: 'incoming-email' as const, dueAt: new Date(0).toISOString() };
  const handlers: WorkloadHandlers = {
    ...createProbeHandlers(),
    'incoming-email': {
      workload: 'incoming-email',
      run: () => Promise.resolve({ itemsProcessed: 0, itemsFailed: 0 }),
    },
  };
  expect(await runWorkloadJob(h.res, handlers, job)).toBe('success');
  expect((await row(mb.id)).nextDueAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
});

it('respects what the cadence may not override: disabled, unapproved, postponed', async () => {
  const [a, b, c] = [h.fx.mailboxes[0]!, h.fx.mailboxes[1]!, h.fx.mailboxes[2]!];
  await h.db.prisma.mailboxWorkload.updateMany({ where: { mailboxId: a.id }, data: { enabled: false } });
  await h.db.prisma.mailbox.update({ where: { id: b.id }, data: { approvalState: 'PendingApproval' } });
  await h.db.prisma.mailboxWorkload.updateMany({
    where: { mailboxId: c.id },
    data: { postponedUntil: later() },
  });
  try {
    const result = await requestCycles(
      { sql: h.res.sql, queues },
      [a, b, c].map((m) => ({ mailboxId: m.id, workload: 'incoming-email' as const })),
    );
    expect(result).toEqual({ queued: 0, followUps: 0 });
    expect(await waitingJobs()).toEqual([]);
    expect((await row(a.id)).nextDueAt.getTime()).toBeGreaterThan(Date.now());
    // Approval and Retry-After still decide when; the request makes them due for that moment.
    expect((await row(c.id)).nextDueAt.getTime()).toBeLessThanOrEqual(Date.now());
  } finally {
    await h.db.prisma.mailboxWorkload.updateMany({ where: { mailboxId: a.id }, data: { enabled: true } });
    await h.db.prisma.mailbox.update({ where: { id: b.id }, data: { approvalState: 'Approved' } });
  }
});
