import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Microsoft Graph allows 4 concurrent requests per app per mailbox (Outlook service limits). */
export const GRAPH_MAILBOX_CONCURRENCY = 4;

export interface SlotRequest {
  profileId: string;
  /** The profile's Max Concurrent Connections. */
  profileLimit: number;
  mailboxId: string;
  signal?: AbortSignal;
}

export interface Slot {
  /** Gives the slot back. Safe to call more than once. */
  release(): Promise<void>;
}

export interface SlotLimiter {
  acquire(request: SlotRequest): Promise<Slot>;
  /** No request to this mailbox from any replica until `ms` from now (a Retry-After). */
  block(mailboxId: string, ms: number): Promise<void>;
}

// Slots are leases in two sorted sets (score = expiry, Redis time): a killed replica's slots expire
// by themselves. Redis TIME keeps every replica on one clock. Returns {granted, waitHintMs, reason}.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
if blocked > now then return {0, blocked - now, 'retry-after'} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return {0, 0, 'profile'} end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {0, 0, 'mailbox'} end
local lease = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease * 2)
redis.call('PEXPIRE', KEYS[2], lease * 2)
return {1, 0, 'ok'}
`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
local a = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + lease, ARGV[1])
local b = redis.call('ZADD', KEYS[2], 'XX', 'CH', now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease * 2)
redis.call('PEXPIRE', KEYS[2], lease * 2)
return a + b
`;

const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

// Keeps the later of the current and the requested block time.
const BLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]) + 1000) end
return untilMs
`;

/** The scripts as ioredis commands: sent by SHA (EVALSHA), not as the whole script on every call. */
const COMMANDS = {
  syncfleetSlotAcquire: { numberOfKeys: 3, lua: ACQUIRE },
  syncfleetSlotRenew: { numberOfKeys: 2, lua: RENEW },
  syncfleetSlotRelease: { numberOfKeys: 2, lua: RELEASE },
  syncfleetMailboxBlock: { numberOfKeys: 1, lua: BLOCK },
} as const;
type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;
type LimiterRedis = Redis & Record<keyof typeof COMMANDS, ScriptCommand>;

function withCommands(redis: Redis): LimiterRedis {
  for (const [name, definition] of Object.entries(COMMANDS)) {
    if (!(name in redis)) redis.defineCommand(name, definition);
  }
  return redis as LimiterRedis;
}

export interface RedisSlotLimiterOptions {
  prefix: string;
  /** Lease length; a held slot is renewed every third of it. */
  leaseMs?: number;
  /** Poll interval bounds while waiting for a slot (jittered). */
  minWaitMs?: number;
  maxWaitMs?: number;
  /** Added to a Retry-After so clock skew never makes a request early. */
  retryAfterMarginMs?: number;
}

/**
 * Fleet-wide connection limits on Redis: at most `profileLimit` concurrent Graph requests per email
 * server profile and 4 per mailbox, across every replica, plus a per-mailbox Retry-After gate.
 * A waiting request only awaits a timer, so a worker's other jobs keep running.
 */
export class RedisSlotLimiter implements SlotLimiter {
  private readonly leaseMs: number;
  private readonly minWaitMs: number;
  private readonly maxWaitMs: number;
  private readonly marginMs: number;
  private readonly redis: LimiterRedis;
  private readonly tokenPrefix = `${randomBytes(6).toString('hex')}.`;
  private issued = 0;

  constructor(
    redis: Redis,
    private readonly options: RedisSlotLimiterOptions,
  ) {
    this.redis = withCommands(redis);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.minWaitMs = options.minWaitMs ?? 5;
    this.maxWaitMs = options.maxWaitMs ?? 50;
    this.marginMs = options.retryAfterMarginMs ?? 50;
  }

  private keys(profileId: string, mailboxId: string): [string, string, string] {
    const p = this.options.prefix;
    return [
      `${p}:limiter:profile:${profileId}`,
      `${p}:limiter:mailbox:${mailboxId}`,
      `${p}:limiter:block:${mailboxId}`,
    ];
  }

  async acquire({ profileId, profileLimit, mailboxId, signal }: SlotRequest): Promise<Slot> {
    const [profileKey, mailboxKey, blockKey] = this.keys(profileId, mailboxId);
    // Unique across replicas (a random prefix per limiter) without a random draw per request.
    const token = `${this.tokenPrefix}${(this.issued += 1).toString(36)}`;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const [granted, hint] = (await this.redis.syncfleetSlotAcquire(
        profileKey,
        mailboxKey,
        blockKey,
        token,
        profileLimit,
        GRAPH_MAILBOX_CONCURRENCY,
        this.leaseMs,
      )) as [number, number, string];
      if (granted === 1) return this.held(profileKey, mailboxKey, token);
      const backoff = Math.min(this.maxWaitMs, this.minWaitMs * 2 ** Math.min(attempt, 4));
      await delay(hint > 0 ? hint + 1 : backoff / 2 + Math.random() * backoff, signal);
    }
  }

  async block(mailboxId: string, ms: number): Promise<void> {
    await this.redis.syncfleetMailboxBlock(
      `${this.options.prefix}:limiter:block:${mailboxId}`,
      Math.ceil(ms) + this.marginMs,
    );
  }

  private held(profileKey: string, mailboxKey: string, token: string): Slot {
    const renew = setInterval(
      () => {
        this.redis.syncfleetSlotRenew(profileKey, mailboxKey, token, this.leaseMs).catch(() => undefined);
      },
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    renew.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        await this.redis.syncfleetSlotRelease(profileKey, mailboxKey, token);
      },
    };
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // Aborted while the acquire script ran: an 'abort' listener added now would never fire.
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    // The caller's signal outlives this wait (a whole cycle): its listener goes with the wait.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
