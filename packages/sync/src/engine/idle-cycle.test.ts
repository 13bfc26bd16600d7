import { incomingEnvSchema, parseEnv } from '@syncfleet/config';
import { createPrisma, withDatabase, type Db } from '@syncfleet/db';
import { startPrivateRedis, startStatementCounter, type PrivateRedis } from '@syncfleet/testing';
import { Redis } from 'ioredis';
import { createIncomingEmailHandler, incomingSettingsFromEnv } from '../incoming-email';
import { createProbeHandlers } from '../probe/probe-handlers';
import { testEngineResources } from '../testing/engine-resources';
import { useEngineHarness } from '../testing/engine-harness';
import { runWorkloadJob } from './run-job';
import type { WorkloadHandlers } from './types';

// What an idle incoming cycle costs, observed from outside: SQL statements on the wire (a counting
// proxy in front of PostgreSQL) and Redis commands (MONITOR). The engine's budget for the common
// case of a mailbox with nothing new: ≤ 3 statements, no BEGIN…COMMIT, 2 Redis round trips (the
// connection slot taken and given back).

const h = useEngineHarness('idlecycle', { mailboxes: 2, workloads: ['incoming-email'] });
const handlers: WorkloadHandlers = {
  ...createProbeHandlers(),
  'incoming-email': createIncomingEmailHandler(
    incomingSettingsFromEnv(parseEnv(incomingEnvSchema, { INCOMING_DEFAULT_FILTER: 'All' })),
  ),
};
const job = (mailboxId: string) => ({
  mailboxId,
  workload: 'incoming-email' as const,
  dueAt: new Date().toISOString(),
});
const makeDue = (mailboxId: string) =>
  h.db.prisma.mailboxWorkload.updateMany({ where: { mailboxId }, data: { nextDueAt: new Date(0) } });

let counter: Awaited<ReturnType<typeof startStatementCounter>>;
let counted: Db;
let redisServer: PrivateRedis;
let redis: Redis;
let monitor: Redis;
const redisCommands: string[][] = [];
const PREFIX = 'idle';

beforeAll(async () => {
  const url = new URL(h.db.url);
  counter = await startStatementCounter({ host: url.hostname, port: Number(url.port || 5432) });
  const proxied = new URL(h.db.url);
  proxied.port = String(counter.port);
  counted = createPrisma(withDatabase(proxied.toString(), url.pathname.slice(1)), { maxConnections: 2 });
  // A Redis of this file's own: MONITOR then sees only this engine's commands.
  redisServer = await startPrivateRedis();
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  monitor = await new Redis(redisServer.url).monitor();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    // Top-level commands only: those a script runs inside Redis report the source "lua".
    if (source !== 'lua') redisCommands.push(args);
  });
});
afterAll(async () => {
  monitor?.disconnect();
  redis?.disconnect();
  await redisServer?.stop();
  await counted?.$disconnect();
  await counter?.close();
});

it('an idle incoming cycle costs 2 SQL statements, no transaction, and 2 Redis round trips', async () => {
  const mb = h.fx.mailboxes[0]!;
  const res = testEngineResources(h.fx, { prisma: counted, redis, prefix: PREFIX });
  // The first cycle starts the mailbox's delta round (it creates the folder's row).
  expect(await runWorkloadJob(res, handlers, job(mb.id))).toBe('success');
  const firstLink = await h.db.prisma.mailboxFolderSync.findFirstOrThrow({ where: { mailboxId: mb.id } });
  expect(firstLink.deltaLink).toContain('$deltatoken=');

  await makeDue(mb.id);
  counter.reset();
  redisCommands.length = 0;
  const before = await h.fx.sim.admin.metrics();
  expect(await runWorkloadJob(res, handlers, job(mb.id))).toBe('success');

  expect(counter.counts).toEqual({ statements: 2, begins: 0 });
  // MONITOR delivers asynchronously: wait for the two commands to arrive, then check there are no more.
  await waitForLength(redisCommands, 2);
  expect(redisCommands.map((c) => c[0]!.toLowerCase())).toEqual(['evalsha', 'evalsha']);
  const after = await h.fx.sim.admin.metrics();
  expect((after.byMailbox[mb.simId] ?? 0) - (before.byMailbox[mb.simId] ?? 0)).toBe(1);

  // The new deltaLink was saved with the cycle's record, and the run recorded once.
  const link = await h.db.prisma.mailboxFolderSync.findFirstOrThrow({ where: { mailboxId: mb.id } });
  expect(link.deltaLink).toContain('$deltatoken=');
  expect(link.deltaLink).not.toBe(firstLink.deltaLink);
  expect(await h.db.prisma.syncRun.count({ where: { mailboxId: mb.id } })).toBe(2);
});

it('a cycle whose claim was lost writes nothing: neither its record nor its deferred delta link', async () => {
  const mb = h.fx.mailboxes[1]!;
  const res = testEngineResources(h.fx, {
    prisma: h.db.prisma,
    redis: h.redis.redis,
    prefix: h.redis.prefix,
  });
  expect(await runWorkloadJob(res, handlers, job(mb.id))).toBe('success');
  await makeDue(mb.id);
  const saved = await h.db.prisma.mailboxFolderSync.findFirstOrThrow({ where: { mailboxId: mb.id } });
  // Another job takes the mailbox over while this cycle talks to Graph (its lease expired).
  const stealing: WorkloadHandlers = {
    ...handlers,
    'incoming-email': {
      ...handlers['incoming-email'],
      run: async (ctx) => {
        const result = await handlers['incoming-email'].run(ctx);
        await h.db.prisma.mailboxWorkload.updateMany({
          where: { mailboxId: mb.id },
          data: { processingStartedAt: new Date(Date.now() + 1000), processingHost: 'other' },
        });
        return result;
      },
    },
  };
  expect(await runWorkloadJob(res, stealing, job(mb.id))).toBe('lost-claim');
  const link = await h.db.prisma.mailboxFolderSync.findFirstOrThrow({ where: { mailboxId: mb.id } });
  expect(link.deltaLink).toBe(saved.deltaLink);
  expect(await h.db.prisma.syncRun.count({ where: { mailboxId: mb.id } })).toBe(1);
});

async function waitForLength(list: unknown[], length: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (list.length < length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // A moment more for anything beyond the expected commands to show up.
  await new Promise((r) => setTimeout(r, 200));
}
