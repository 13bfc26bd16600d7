import { closeQueues, createQueues } from '@syncfleet/queues';
import { createLogger } from '@syncfleet/telemetry';
import { createTestDatabase, createTestRedis, waitFor, type TestDatabase } from '@syncfleet/testing';
import { pruneSyncRuns } from './retention';
import { startScheduler } from './scheduler';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('retention');
});
afterAll(() => db.drop());

describe('SyncRun retention', () => {
  it('deletes runs older than the retention, in bounded batches, and keeps the rest', async () => {
    const now = new Date('2026-11-22T12:00:00Z');
    const profile = await db.prisma.emailServerProfile.create({
      data: { name: 'p', tenantId: 't', clientId: 'c', clientSecretCiphertext: 'x', clientSecretKeyId: 'k' },
    });
    const mailbox = await db.prisma.mailbox.create({
      data: { address: 'a@contoso.test', ownerType: 'User', ownerId: 'a', profileId: profile.id },
    });
    const run = (daysAgo: number) => {
      const startedAt = new Date(now.getTime() - daysAgo * 86_400_000);
      return {
        mailboxId: mailbox.id,
        workload: 'IncomingEmail' as const,
        startedAt,
        finishedAt: startedAt,
        outcome: 'Success' as const,
      };
    };
    await db.prisma.syncRun.createMany({
      data: [...Array.from({ length: 25 }, () => run(31)), run(29), run(1)],
    });

    // Bounded: two batches of 10 per call leave 5 old runs for the next call.
    expect(await pruneSyncRuns(db.prisma, now, 30, { batchSize: 10, maxBatches: 2 })).toBe(20);
    expect(await pruneSyncRuns(db.prisma, now, 30, { batchSize: 10, maxBatches: 2 })).toBe(5);
    expect(await pruneSyncRuns(db.prisma, now, 30)).toBe(0);
    const left = await db.prisma.syncRun.findMany({ orderBy: { startedAt: 'asc' } });
    expect(left.map((r) => Math.round((now.getTime() - r.startedAt.getTime()) / 86_400_000))).toEqual([
      29, 1,
    ]);
  });
});

describe('the scheduler loop', () => {
  it('ticks without an onTick listener and prunes on its first pass', async () => {
    const t = await createTestRedis('loop');
    const queues = createQueues(t.redis, t.prefix);
    const now = new Date();
    const mailbox = await db.prisma.mailbox.findFirstOrThrow();
    await db.prisma.syncRun.create({
      data: {
        mailboxId: mailbox.id,
        workload: 'IncomingEmail',
        startedAt: new Date(0),
        finishedAt: new Date(0),
        outcome: 'Success',
      },
    });
    const loop = startScheduler(
      {
        prisma: db.prisma,
        queues,
        redis: t.redis,
        queuePrefix: t.prefix,
        logger: createLogger({ name: 't', level: 'silent' }),
        clock: () => now,
        batchSize: 10,
        requeueAfterMs: 60_000,
      },
      { tickMs: 50, retentionDays: 30 },
    );
    try {
      // The marker is written by a completed tick; the old run is gone after the first pass.
      await waitFor(async () => (await t.redis.exists(`${t.prefix}:scheduler:marker`)) === 1, {
        description: 'a tick',
      });
      await waitFor(
        async () => (await db.prisma.syncRun.count({ where: { startedAt: new Date(0) } })) === 0,
        { description: 'pruned' },
      );
    } finally {
      await loop.stop();
      await closeQueues(queues);
      await t.cleanup();
    }
  });
});
