import type { Prisma } from '@syncfleet/db';
import {
  createTestDatabase,
  startPrivateRedis,
  waitFor,
  type PrivateRedis,
  type TestDatabase,
} from '@syncfleet/testing';
import { createFleetFixture, type FleetFixture } from '../testing/fleet-fixture';
import { spawnApp, stopAll, type FleetProcess } from '@syncfleet/testing/processes';
import { formatTrackingToken } from '../tracking-token';

/**
 * Issue 5 acceptance: 20 mailboxes, 1,000 inbound messages, workers as OS processes, three of them
 * killed with -9 mid-sync. The result must equal the expected set exactly — with partial delta
 * updates and short-lived sync state on.
 */
const MAILBOXES = 20;
const LOCK_MS = 3_000;
const RESPONSES_ONLY = new Set([18, 19]); // filter ResponsesToAppEmail; the rest use the default (All)

let db: TestDatabase;
let redisServer: PrivateRedis;
let fx: FleetFixture;
const processes: FleetProcess[] = [];
let workerSeq = 0;

interface Expected {
  mailboxes: Set<number>;
  regarding: string | null;
}
const expected = new Map<string, Expected>(); // internetMessageId → what must exist
const notPromoted = new Set<string>();
const graphIds = new Map<string, string>(); // `${mailbox}|${imid}` → Graph id
let sent = 0;

function env(host: string): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    REDIS_URL: redisServer.url,
    QUEUE_PREFIX: 'scenario',
    HOST_ID: host,
    LOG_LEVEL: 'warn',
    SECRET_KEYS: fx.secretKeys.join(','),
    GRAPH_CA_FILE: fx.sim.caPath,
    GRAPH_ALLOWED_HOSTS: new URL(fx.sim.url).host,
    WORKLOADS: 'incoming-email',
    WORKER_CONCURRENCY_INCOMING: '5',
    LOCK_DURATION_MS: String(LOCK_MS),
    SLOT_LEASE_MS: '2000',
    INCOMING_INTERVAL_SEC: '1',
    SCHEDULER_TICK_MS: '200',
    SHUTDOWN_GRACE_MS: '2000',
    INCOMING_DEFAULT_FILTER: 'All',
    INCOMING_PAGE_SIZE: '4',
    INCOMING_MAX_ITEMS_PER_CYCLE: '24',
  };
}

const startWorker = () => {
  const p = spawnApp('worker', `worker-${++workerSeq}`, env(`worker-${workerSeq}`));
  processes.push(p);
  return p;
};

async function deliver(
  mailboxes: number[],
  imid: string,
  message: {
    from: string;
    subject: string;
    inReplyTo?: string;
    conversationId?: string;
    receivedDateTime?: string;
  },
  regarding: string | null,
) {
  let conversationId: string | undefined;
  for (const i of mailboxes) {
    const r = await fx.sim.admin.inbound(fx.mailboxes[i]!.simId, {
      ...message,
      to: mailboxes.map((m) => fx.mailboxes[m]!.address),
      body: `body of ${imid}`,
      internetMessageId: imid,
    });
    graphIds.set(`${i}|${imid}`, r.id);
    conversationId = r.conversationId;
    sent += 1;
  }
  const old = message.receivedDateTime !== undefined;
  const promotedBy = mailboxes.filter((i) => !RESPONSES_ONLY.has(i) || regarding !== null);
  if (old || promotedBy.length === 0) notPromoted.add(imid);
  else expected.set(imid, { mailboxes: new Set(promotedBy), regarding });
  return conversationId!;
}

/** One wave: 1,000 / 3 messages of every kind, spread over the mailboxes. */
async function wave(w: number, count: number) {
  let n = 0;
  const id = (kind: string) => `<${kind}-${w}-${n}@scenario.test>`;
  const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
  for (; sent < count; n++) {
    const m = n % MAILBOXES;
    const k = n % 10;
    if (k === 0 && m < 18) {
      await deliver(
        [m, (m + 1) % 18, (m + 2) % 18],
        id('shared'),
        { from: 'p@partner.test', subject: `shared ${n}` },
        null,
      );
    } else if (k === 1) {
      await deliver(
        [m],
        id('reply'),
        { from: 'c@customer.test', subject: `RE: quote ${m}`, inReplyTo: `<app-${m}@contoso.test>` },
        `opp-${m}`,
      );
    } else if (k === 2) {
      await deliver(
        [m],
        id('token'),
        { from: 'c@customer.test', subject: `RE: quote ${m} ${formatTrackingToken('CRM', 1, m)}` },
        `opp-${m}`,
      );
    } else if (k === 3) {
      await deliver([m], id('old'), { from: 'o@old.test', subject: 'old', receivedDateTime: old }, null);
    } else {
      await deliver([m], id('plain'), { from: `s${n}@example.test`, subject: `plain ${n}` }, null);
    }
  }
  // A conversation thread: the first message answers app mail, the rest only share its conversation.
  const conversationId = await deliver(
    [w],
    `<thread-${w}-root@scenario.test>`,
    { from: 't@customer.test', subject: 'thread', inReplyTo: `<app-${w}@contoso.test>` },
    `opp-${w}`,
  );
  for (let t = 0; t < 5; t++) {
    await deliver(
      [w],
      `<thread-${w}-${t}@scenario.test>`,
      { from: 't@customer.test', subject: `more ${t}`, conversationId },
      `opp-${w}`,
    );
  }
}

const promotedCount = () => db.prisma.mailboxItemLink.count();

async function killOneWorkerMidSync() {
  const victim = processes.find(
    (p) => p.name.startsWith('worker') && p.child.exitCode === null && p.child.signalCode === null,
  )!;
  await waitFor(
    () =>
      db.prisma.mailboxWorkload.count({
        where: { processingState: 'Processing', processingHost: victim.name },
      }),
    { timeoutMs: 30_000, intervalMs: 5, description: `${victim.name} processing a mailbox` },
  );
  victim.kill('SIGKILL');
  await victim.exited;
  startWorker();
}

beforeAll(async () => {
  [db, redisServer] = await Promise.all([createTestDatabase('incscenario'), startPrivateRedis()]);
  fx = await createFleetFixture(db.prisma, {
    mailboxes: MAILBOXES,
    maxConcurrentConnections: 10,
    // Realistic Graph on top: partial delta updates (the simulator's default), and sync state far
    // shorter-lived than a real tenant's: states expire after 30 s, only the newest nextLink is valid.
    simConfig: { defaultLatencyMs: 15, deltaStateMaxAgeSeconds: 30, deltaSkipTokenHistory: 1 },
  });
  await db.prisma.emailServerProfile.update({
    where: { id: fx.profileId },
    data: { processEmailFrom: new Date(Date.now() - 86_400_000) },
  });
  for (const i of RESPONSES_ONLY) {
    await db.prisma.mailbox.update({
      where: { id: fx.mailboxes[i]!.id },
      data: { incomingFilter: 'ResponsesToAppEmail' },
    });
  }
  // Mail the app sent earlier (outgoing workload): what replies answer.
  const sentMail: Prisma.EmailActivityCreateManyInput[] = fx.mailboxes.map((m, i) => ({
    direction: 'Outgoing',
    status: 'Sent',
    subject: `quote ${i} ${formatTrackingToken('CRM', 1, i)}`,
    internetMessageId: `<app-${i}@contoso.test>`,
    trackingToken: formatTrackingToken('CRM', 1, i),
    regardingType: 'opportunity',
    regardingId: `opp-${i}`,
    ownerMailboxId: m.id,
  }));
  await db.prisma.emailActivity.createMany({ data: sentMail });
}, 60_000);

afterAll(async () => {
  await stopAll(processes);
  await fx?.close();
  await Promise.all([db?.drop(), redisServer?.stop()]);
});

it('syncs 1,000 messages exactly once through three kill -9s, replays, a resync and deletions', async () => {
  await wave(0, 340);
  processes.push(spawnApp('scheduler', 'scheduler', env('scheduler')));
  startWorker();
  startWorker();

  await killOneWorkerMidSync();
  await wave(1, 670);
  await killOneWorkerMidSync();
  // Delta replays: edits give items a new changeKey (they come again), and lost delta state (410).
  for (const [key, graphId] of [...graphIds].slice(0, 30)) {
    await fx.sim.admin.updateMessage(fx.mailboxes[Number(key.split('|')[0])]!.simId, graphId, {
      isRead: true,
    });
  }
  const evictedAt = new Date();
  for (const i of [0, 7, 13]) await fx.sim.admin.evictDelta(fx.mailboxes[i]!.simId);
  await wave(2, 1000);
  await killOneWorkerMidSync();
  expect(sent).toBeGreaterThanOrEqual(1000);

  const expectedLinks = [...expected.values()].reduce((s, e) => s + e.mailboxes.size, 0);
  await waitFor(async () => (await promotedCount()) >= expectedLinks, {
    timeoutMs: 40_000,
    intervalMs: 200,
    description: `${expectedLinks} links`,
  });

  // Deletions in Exchange after promotion: links marked, data kept.
  const deleted = [...expected.keys()].filter((imid) => imid.startsWith('<plain-')).slice(0, 20);
  for (const imid of deleted) {
    const [i] = [...expected.get(imid)!.mailboxes];
    await fx.sim.admin.deleteMessage(fx.mailboxes[i!]!.simId, graphIds.get(`${i}|${imid}`)!);
  }
  await waitFor(
    async () =>
      (await db.prisma.mailboxItemLink.count({ where: { removedInExchange: true } })) >= deleted.length,
    {
      timeoutMs: 20_000,
      intervalMs: 200,
      description: 'deletions seen',
    },
  );
  // Every mailbox has completed a round after the last change: nothing is in flight.
  const settledAt = new Date();
  await waitFor(
    async () =>
      (
        await db.prisma.syncRun.groupBy({
          by: ['mailboxId'],
          where: { outcome: 'Success', startedAt: { gt: settledAt } },
        })
      ).length === MAILBOXES,
    { timeoutMs: 20_000, intervalMs: 200, description: 'a full cycle everywhere after the deletions' },
  );

  const emails = await db.prisma.emailActivity.findMany({
    where: { direction: 'Incoming' },
    include: { links: true },
  });
  const mailboxIndex = new Map(fx.mailboxes.map((m, i) => [m.id, i]));
  const actual = new Map(
    emails.map((e) => [
      e.internetMessageId!,
      { mailboxes: new Set(e.links.map((l) => mailboxIndex.get(l.mailboxId)!)), regarding: e.regardingId },
    ]),
  );
  expect(emails).toHaveLength(expected.size); // no duplicates, nothing missing
  expect(actual).toEqual(expected); // links and regarding, message by message
  for (const imid of notPromoted) expect(actual.has(imid)).toBe(false);
  const removed = await db.prisma.mailboxItemLink.findMany({
    where: { removedInExchange: true },
    include: { email: true },
  });
  expect(removed.map((l) => l.email.internetMessageId).sort()).toEqual([...deleted].sort());
  expect(removed.every((l) => l.email.bodyText?.startsWith('body of'))).toBe(true);

  const folders = await db.prisma.mailboxFolderSync.findMany();
  expect(folders).toHaveLength(MAILBOXES);
  for (const f of folders) {
    expect(f).toMatchObject({ nextLink: null, deltaLink: expect.stringContaining('$deltatoken=') });
    expect(f.updatedAt.getTime()).toBeGreaterThan(settledAt.getTime());
  }
  const failures = await db.prisma.syncRun.count({
    where: { outcome: { in: ['TransientFailure', 'PermanentFailure'] } },
  });
  const metrics = await fx.sim.admin.metrics();
  // The evicted mailboxes completed rounds after losing their delta state (410 → new round); the
  // 410 path itself is asserted deterministically in resilience.test.ts.
  for (const i of [0, 7, 13]) {
    expect(
      await db.prisma.syncRun.count({
        where: { mailboxId: fx.mailboxes[i]!.id, outcome: 'Success', startedAt: { gt: evictedAt } },
      }),
    ).toBeGreaterThan(0);
  }
  expect(metrics.earlyRequests).toBe(0);
  expect(failures).toBeLessThanOrEqual(3);
}, 120_000);
