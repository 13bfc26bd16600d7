import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { startPrivateRedisCluster, waitFor, type PrivateRedisCluster } from '@syncfleet/testing';
import { createRedis } from './connection';
import { RedisSlotLimiter } from './limiter';
import { closeQueues, createQueues, enqueueWorkloads, type WorkloadQueues } from './queues';

/**
 * The fleet's Redis usage on a real 3-node Redis Cluster: with a hash-tagged prefix, BullMQ's queues
 * and the connection limiter's multi-key scripts work unchanged; without a tag, the limiter's keys
 * land in different slots and Redis refuses the script (why QUEUE_PREFIX needs the tag).
 */
let cluster: PrivateRedisCluster;
let redis: Redis;
const connections: Redis[] = [];

const connect = () => {
  const connection = createRedis(cluster.url, { cluster: true });
  connections.push(connection);
  return connection;
};

beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
  redis = connect();
}, 60_000);

afterAll(async () => {
  for (const c of connections) c.disconnect();
  await cluster?.stop();
});

const MAILBOX = '8f2e1c3a-0000-4b1f-9c7a-2f4e8b1c3a5d';
const PROFILE = '7f1e3c2a-9b7d-4e6f-8a1c-0d2b4c6e8f10';

describe('on a Redis Cluster', () => {
  it('really is a cluster: three masters sharing the 16384 slots', async () => {
    const info = (await redis.cluster('INFO')) as string;
    expect(info).toMatch(/cluster_state:ok/);
    expect(info).toMatch(/cluster_size:3/);
  });

  it('puts every key of a hash-tagged prefix in one slot (limiter, queues, scheduler marker)', async () => {
    const prefix = '{syncfleet}';
    const keys = [
      `${prefix}:limiter:profile:${PROFILE}`,
      `${prefix}:limiter:mailbox:${MAILBOX}`,
      `${prefix}:limiter:block:${MAILBOX}`,
      `${prefix}:incoming-email:wait`,
      `${prefix}:outgoing-email:meta`,
      `${prefix}:act:events`,
      `${prefix}:scheduler:marker`,
    ];
    const slots = await Promise.all(keys.map((k) => redis.cluster('KEYSLOT', k) as Promise<number>));
    expect(new Set(slots).size).toBe(1);
    const untagged = await Promise.all(
      keys.map((k) => redis.cluster('KEYSLOT', k.replace(prefix, 'syncfleet')) as Promise<number>),
    );
    expect(new Set(untagged).size).toBeGreaterThan(1);
  });

  it('runs the connection limiter with a tagged prefix; refuses it without one (CROSSSLOT)', async () => {
    const limiter = new RedisSlotLimiter(redis, { prefix: '{sf-limiter}', leaseMs: 5_000 });
    const held = await Promise.all(
      [1, 2].map(() => limiter.acquire({ profileId: PROFILE, profileLimit: 2, mailboxId: MAILBOX })),
    );
    // The profile's two slots are taken: a third request waits until one comes back.
    let third = false;
    const waiting = limiter
      .acquire({ profileId: PROFILE, profileLimit: 2, mailboxId: MAILBOX })
      .then((slot) => {
        third = true;
        return slot;
      });
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(false);
    await held[0]!.release();
    await (await waiting).release();
    await held[1]!.release();
    await limiter.block(MAILBOX, 60_000);
    const blocked = new AbortController();
    const attempt = limiter.acquire({
      profileId: PROFILE,
      profileLimit: 2,
      mailboxId: MAILBOX,
      signal: blocked.signal,
    });
    blocked.abort(new Error('gave up'));
    await expect(attempt).rejects.toThrow('gave up');

    const untagged = new RedisSlotLimiter(redis, { prefix: 'sf-untagged' });
    await expect(
      untagged.acquire({ profileId: PROFILE, profileLimit: 2, mailboxId: MAILBOX }),
    ).rejects.toThrow(/CROSSSLOT/);
  });

  it('queues and consumes workload jobs with BullMQ', async () => {
    const prefix = '{sf-queues}';
    const queues: WorkloadQueues = createQueues(connect(), prefix);
    const seen: string[] = [];
    const worker = new Worker(
      'incoming-email',
      async (job) => {
        seen.push(job.data.mailboxId as string);
        return { outcome: 'success' };
      },
      { connection: connect(), prefix, removeOnComplete: { count: 10 } },
    );
    try {
      const dueAt = new Date().toISOString();
      const ids = [MAILBOX, PROFILE];
      await enqueueWorkloads(
        queues,
        ids.map((mailboxId) => ({ mailboxId, workload: 'incoming-email' as const, dueAt })),
      );
      await waitFor(() => seen.length === 2, { timeoutMs: 20_000, description: 'both jobs consumed' });
      expect(seen.sort()).toEqual([...ids].sort());
      const counts = await queues['incoming-email'].getJobCounts('completed', 'failed');
      expect(counts).toEqual({ completed: 2, failed: 0 });
    } finally {
      await worker.close();
      await closeQueues(queues);
    }
  });
});
