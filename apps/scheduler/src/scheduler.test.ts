import {
  createTestDatabase,
  createTestRedis,
  deleteByPattern,
  type TestDatabase,
  type TestRedis,
} from '@syncfleet/testing';
import { closeQueues, createQueues, workloadJobId, type WorkloadQueues } from '@syncfleet/queues';
import { createLogger } from '@syncfleet/telemetry';
import { tick, type SchedulerDeps } from './scheduler';

let db: TestDatabase;
let t: TestRedis;
let queues: WorkloadQueues;
let deps: SchedulerDeps;
const now = new Date('2026-11-22T10:00:00Z');
const past = new Date(now.getTime() - 60_000);
const future = new Date(now.getTime() + 60_000);
const dueIds: string[] = [];
let ticks = 0;

beforeAll(async () => {
  [db, t] = await Promise.all([createTestDatabase('sched'), createTestRedis('sched')]);
  queues = createQueues(t.redis, t.prefix);
  deps = {
    prisma: db.prisma,
    queues,
    redis: t.redis,
    queuePrefix: t.prefix,
    logger: createLogger({ name: 'test', level: 'silent' }),
    // Time moves on between ticks (by a millisecond per tick: all due times stay in the past).
    clock: () => new Date(now.getTime() + ++ticks),
    batchSize: 7,
    requeueAfterMs: 120_000,
  };
  const profile = await db.prisma.emailServerProfile.create({
    data: { name: 'p', tenantId: 't', clientId: 'c', clientSecretCiphertext: 'x', clientSecretKeyId: 'k' },
  });
  type Variant = {
    approval?: 'Approved' | 'Empty';
    enabled?: boolean;
    method?: 'ServerSideSync' | 'None';
    nextDueAt?: Date;
    postponedUntil?: Date;
    lease?: Date;
  };
  const variants: [number, Variant][] = [
    [20, {}],
    [2, { approval: 'Empty' }],
    [2, { enabled: false }],
    [2, { method: 'None' }],
    [2, { nextDueAt: future }],
    [1, { postponedUntil: future }],
    [1, { lease: future }],
  ];
  let n = 0;
  for (const [count, v] of variants) {
    for (let i = 0; i < count; i++, n++) {
      const mailbox = await db.prisma.mailbox.create({
        data: {
          address: `u${n}@contoso.test`,
          ownerType: 'User',
          ownerId: `u${n}`,
          profileId: profile.id,
          approvalState: v.approval ?? 'Approved',
          workloads: {
            create: {
              workload: 'IncomingEmail',
              method: v.method ?? 'ServerSideSync',
              enabled: v.enabled ?? true,
              nextDueAt: v.nextDueAt ?? past,
              postponedUntil: v.postponedUntil,
              ...(v.lease ? { processingState: 'Processing', processingLeaseUntil: v.lease } : {}),
            },
          },
        },
      });
      if (!Object.keys(v).length) dueIds.push(mailbox.id);
    }
  }
});
afterAll(async () => {
  await closeQueues(queues);
  await Promise.all([db.drop(), t.cleanup()]);
});

async function queuedIds(): Promise<string[]> {
  const jobs = await queues['incoming-email'].getJobs(['waiting', 'delayed', 'active', 'prioritized']);
  return jobs.map((j) => j.id!).sort();
}
async function expectedIds(): Promise<string[]> {
  const rows = await db.prisma.mailboxWorkload.findMany({
    where: { mailboxId: { in: dueIds }, workload: 'IncomingEmail' },
  });
  return rows.map((r) => workloadJobId('incoming-email', r.mailboxId, r.nextDueAt.toISOString())).sort();
}

describe('scheduler tick', () => {
  it('queues exactly the due workloads, in bounded batches, with deterministic job ids', async () => {
    const result = await tick(deps);
    expect(result).toMatchObject({ enqueued: 20, fullSweep: true });
    expect(result.oldestDueAt).toEqual(past);
    expect(await queuedIds()).toEqual(await expectedIds());
  });

  it('a repeated tick sends nothing already queued', async () => {
    expect((await tick(deps)).enqueued).toBe(0);
    expect(await queuedIds()).toEqual(await expectedIds());
  });

  it('several schedulers at once never duplicate a job', async () => {
    await t.redis.del(`${t.prefix}:scheduler:marker`); // both see a "lost" Redis and sweep everything
    const results = await Promise.all([tick(deps), tick(deps), tick(deps)]);
    expect(results.every((r) => r.fullSweep)).toBe(true);
    expect(await queuedIds()).toEqual(await expectedIds());
  });

  it('after Redis loses its data, the next tick queues everything due again', async () => {
    await deleteByPattern(t.redis, `${t.prefix}:*`);
    expect(await queuedIds()).toEqual([]);
    const result = await tick(deps);
    expect(result).toMatchObject({ enqueued: 20, fullSweep: true });
    expect(await queuedIds()).toEqual(await expectedIds());
  });

  it('queues again a workload whose job died: its claim expired, or it was queued long ago', async () => {
    const [a, b] = dueIds;
    for (const id of [a!, b!])
      await queues['incoming-email'].remove(workloadJobId('incoming-email', id, past.toISOString()));
    await db.prisma.mailboxWorkload.update({
      where: { mailboxId_workload: { mailboxId: a!, workload: 'IncomingEmail' } },
      data: { processingState: 'Processing', processingLeaseUntil: new Date(now.getTime() - 1) },
    });
    await db.prisma.mailboxWorkload.update({
      where: { mailboxId_workload: { mailboxId: b!, workload: 'IncomingEmail' } },
      data: { enqueuedAt: new Date(now.getTime() - 121_000) },
    });
    expect((await tick(deps)).enqueued).toBe(2);
    // Under new ids: the old job may have finished without running the cycle and be kept (Bull
    // Board), and an add with its id would then be ignored.
    const ids = await queuedIds();
    expect(ids.map((id) => id.replace(/\.r\d+$/, '')).sort()).toEqual(await expectedIds());
    // (b's enqueue time predates its due time: the normal pass finds it, under its usual id.)
    const requeued = ids.filter((id) => /\.r\d+$/.test(id));
    expect(requeued.map((id) => id.split('.')[1])).toEqual([a!]);
  });

  it('queues the next cycle even while the previous job is still in BullMQ', async () => {
    const [first] = dueIds;
    // The previous job (due at `past`) is still there — a cycle records its next due time a moment
    // before its job is removed — and the next cycle must get a job of its own, not be swallowed.
    // The cycle ended and set the next run in the past relative to the scheduler clock.
    await db.prisma.mailboxWorkload.update({
      where: { mailboxId_workload: { mailboxId: first!, workload: 'IncomingEmail' } },
      data: { nextDueAt: new Date(now.getTime() - 1_000), enqueuedAt: new Date(now.getTime() - 2_000) },
    });
    expect((await tick(deps)).enqueued).toBe(1);
    const ids = await queuedIds();
    expect(ids).toEqual(expect.arrayContaining(await expectedIds()));
    // The previous job (re-queued by the test above, hence its suffix) is still there.
    const previous = workloadJobId('incoming-email', first!, past.toISOString());
    expect(ids.some((id) => id.startsWith(`${previous}.r`))).toBe(true);
    expect(ids).toHaveLength(21);
  });
});
