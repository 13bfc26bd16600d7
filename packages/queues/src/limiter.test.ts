import { getEventListeners } from 'node:events';
import { createTestRedis, waitFor, type TestRedis } from '@syncfleet/testing';
import { RedisSlotLimiter, type Slot } from './limiter';

let t: TestRedis;
beforeAll(async () => {
  t = await createTestRedis('limiter');
});
afterAll(async () => {
  await t.cleanup();
});

const profile = (n: string) => `p-${n}`;

describe('RedisSlotLimiter', () => {
  it('never grants more than the profile limit or 4 per mailbox, across limiter instances', async () => {
    // Two instances stand for two replicas sharing one Redis.
    const replicas = [
      new RedisSlotLimiter(t.redis, { prefix: t.prefix }),
      new RedisSlotLimiter(t.redis, { prefix: t.prefix }),
    ];
    let inFlight = 0;
    let maxInFlight = 0;
    const perMailbox = new Map<string, number>();
    let maxPerMailbox = 0;
    const run = async (i: number) => {
      const mailboxId = `m${i % 3}`;
      const slot = await replicas[i % 2]!.acquire({ profileId: profile('a'), profileLimit: 5, mailboxId });
      inFlight++;
      perMailbox.set(mailboxId, (perMailbox.get(mailboxId) ?? 0) + 1);
      maxInFlight = Math.max(maxInFlight, inFlight);
      maxPerMailbox = Math.max(maxPerMailbox, perMailbox.get(mailboxId)!);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      perMailbox.set(mailboxId, perMailbox.get(mailboxId)! - 1);
      await slot.release();
    };
    await Promise.all(Array.from({ length: 60 }, (_, i) => run(i)));
    expect(maxInFlight).toBe(5);
    expect(maxPerMailbox).toBeLessThanOrEqual(4);
  });

  it('caps one mailbox at 4 even when the profile allows more', async () => {
    const limiter = new RedisSlotLimiter(t.redis, { prefix: t.prefix });
    const held: Slot[] = [];
    for (let i = 0; i < 4; i++)
      held.push(await limiter.acquire({ profileId: profile('b'), profileLimit: 100, mailboxId: 'solo' }));
    let fifth = false;
    const pending = limiter
      .acquire({ profileId: profile('b'), profileLimit: 100, mailboxId: 'solo' })
      .then((s) => {
        fifth = true;
        return s;
      });
    // Another mailbox of the same profile is not held up.
    const other = await limiter.acquire({ profileId: profile('b'), profileLimit: 100, mailboxId: 'other' });
    expect(fifth).toBe(false);
    await held[0]!.release();
    const slot = await pending;
    expect(fifth).toBe(true);
    await Promise.all([...held.slice(1), slot, other].map((s) => s.release()));
  });

  it("gives a killed replica's slot back when its lease expires", async () => {
    // What a replica killed with -9 leaves behind: a lease nobody renews or releases.
    const [seconds, micros] = await t.redis.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await t.redis.zadd(`${t.prefix}:limiter:profile:${profile('c')}`, now + 400, 'dead-replica-token');
    const live = new RedisSlotLimiter(t.redis, { prefix: t.prefix, leaseMs: 400 });
    const slot = await live.acquire({ profileId: profile('c'), profileLimit: 1, mailboxId: 'y' });
    const [s2, m2] = await t.redis.time();
    expect(Number(s2) * 1000 + Math.floor(Number(m2) / 1000)).toBeGreaterThanOrEqual(now + 400);
    expect(
      await t.redis.zscore(`${t.prefix}:limiter:profile:${profile('c')}`, 'dead-replica-token'),
    ).toBeNull();
    await slot.release();
  });

  it('holds every request to a blocked mailbox until its Retry-After has passed', async () => {
    const limiter = new RedisSlotLimiter(t.redis, { prefix: t.prefix, retryAfterMarginMs: 0 });
    await limiter.block('throttled', 400);
    const blockedUntil = Number(await t.redis.get(`${t.prefix}:limiter:block:throttled`));
    const [seconds, micros] = await t.redis.time();
    expect(blockedUntil - (Number(seconds) * 1000 + Math.floor(Number(micros) / 1000))).toBeGreaterThan(300);
    const slot = await limiter.acquire({ profileId: profile('d'), profileLimit: 10, mailboxId: 'throttled' });
    const [s2, m2] = await t.redis.time();
    expect(Number(s2) * 1000 + Math.floor(Number(m2) / 1000)).toBeGreaterThanOrEqual(blockedUntil);
    await slot.release();
    await waitFor(async () => (await t.redis.zcard(`${t.prefix}:limiter:mailbox:throttled`)) === 0);
  });

  it("leaves no listener on the caller's signal however long it waited for a slot", async () => {
    // A cycle's signal lives as long as the cycle: every wait that left its 'abort' listener behind
    // would pile up on it (Node warns past 10, and they are never freed before the cycle ends).
    const limiter = new RedisSlotLimiter(t.redis, { prefix: t.prefix, minWaitMs: 1, maxWaitMs: 2 });
    const cycle = new AbortController();
    const held = await limiter.acquire({ profileId: profile('e'), profileLimit: 1, mailboxId: 'first' });
    let waiting = true;
    const pending = limiter
      .acquire({ profileId: profile('e'), profileLimit: 1, mailboxId: 'second', signal: cycle.signal })
      .finally(() => (waiting = false));
    // Many 1–2 ms waits pass while the only slot is held (the pause lets them happen; what is
    // asserted holds at any moment, however many there were).
    await waitFor(async () => (await t.redis.zcard(`${t.prefix}:limiter:profile:${profile('e')}`)) === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(waiting).toBe(true);
    expect(getEventListeners(cycle.signal, 'abort').length).toBeLessThanOrEqual(1);
    await held.release();
    const slot = await pending;
    expect(getEventListeners(cycle.signal, 'abort')).toHaveLength(0);
    await slot.release();
  });
});
