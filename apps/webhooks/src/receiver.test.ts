import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { issueServerCertificate } from '@syncfleet/graph-simulator';
import { createFleetFixture, type FleetFixture } from '@syncfleet/sync/testing';
import {
  createTestDatabase,
  createTestRedis,
  waitFor,
  type TestDatabase,
  type TestRedis,
} from '@syncfleet/testing';
import { spawnApp, stopAll, type FleetProcess } from '@syncfleet/testing/processes';

/**
 * The webhook receiver and push end to end, every role an OS process (scheduler with its
 * subscription loop, a worker, the receiver) against PostgreSQL, Redis and the Graph simulator,
 * which validates the receiver and delivers notifications over TLS it verifies (the receiver's
 * certificate comes from the simulator's CA, trusted by configuration). Incoming email polls only
 * every hour here, so anything promoted within seconds came by push.
 */
const MAILBOXES = 3;
let db: TestDatabase;
let redis: TestRedis;
let fx: FleetFixture;
let receiver: FleetProcess;
let receiverUrl: string;
const processes: FleetProcess[] = [];

function env(host: string): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    HOST_ID: host,
    LOG_LEVEL: 'info',
    SECRET_KEYS: fx.secretKeys.join(','),
    GRAPH_CA_FILE: fx.sim.caPath,
    GRAPH_ALLOWED_HOSTS: new URL(fx.sim.url).host,
    WORKLOADS: 'incoming-email',
    INCOMING_DEFAULT_FILTER: 'All',
    INCOMING_INTERVAL_SEC: '3600',
    PUSH_SAFETY_POLL_SEC: '7200',
    SCHEDULER_TICK_MS: '250',
    PUSH_MANAGER_TICK_MS: '200',
    PUSH_RECONCILE_SEC: '1',
    PUSH_SUBSCRIPTION_LIFETIME_MIN: '1',
    PUSH_RENEW_BEFORE_SEC: '48',
    LOCK_DURATION_MS: '5000',
    SHUTDOWN_GRACE_MS: '1000',
  };
}

function post(
  pathAndQuery: string,
  body: string,
  contentType = 'application/json',
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${receiverUrl}${pathAndQuery}`,
      {
        method: 'POST',
        ca: fx.sim.caPem,
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const subscriptionsOf = (mailboxId: string) =>
  db.prisma.mailboxSubscription.findMany({ where: { mailboxId }, orderBy: { createdAt: 'asc' } });
const activeInbox = (mailboxId: string) =>
  waitFor(
    async () => {
      const [sub] = await subscriptionsOf(mailboxId);
      return sub?.state === 'Active' && sub.graphSubscriptionId ? sub : undefined;
    },
    { timeoutMs: 30_000, description: 'an active Inbox subscription' },
  );
const wakeOf = async (mailboxId: string) =>
  (
    await db.prisma.mailboxWorkload.findUniqueOrThrow({
      where: { mailboxId_workload: { mailboxId, workload: 'IncomingEmail' } },
    })
  ).wakeRequestedAt;
const promoted = (internetMessageId: string) =>
  waitFor(
    async () =>
      (await db.prisma.emailActivity.findFirst({ where: { internetMessageId, direction: 'Incoming' } })) ??
      undefined,
    { timeoutMs: 20_000, description: `${internetMessageId} promoted` },
  );
/** One sample of the receiver's /metrics (its operations port), by its exact series name. */
let opsUrl: string;
const metric = async (series: string): Promise<number | undefined> => {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
const logged = (pattern: RegExp) =>
  waitFor(() => pattern.test(receiver.output()) || undefined, {
    timeoutMs: 5_000,
    description: `receiver log ${pattern}`,
  });
async function arrive(mailbox: number, name: string): Promise<string> {
  const mb = fx.mailboxes[mailbox]!;
  const internetMessageId = `<${name}@push.test>`;
  await fx.sim.admin.inbound(mb.simId, {
    from: 'customer@fabrikam.test',
    to: [mb.address],
    subject: name,
    body: 'hello',
    internetMessageId,
  });
  return internetMessageId;
}

beforeAll(async () => {
  [db, redis] = await Promise.all([createTestDatabase('webhooks'), createTestRedis('webhooks')]);
  fx = await createFleetFixture(db.prisma, {
    mailboxes: MAILBOXES,
    simConfig: { maxSubscriptionLifetimeMinutes: 1, missedNotificationDelayMs: 200 },
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'sf-webhooks-'));
  const cert = issueServerCertificate(path.dirname(fx.sim.caPath), ['127.0.0.1']);
  writeFileSync(path.join(dir, 'cert.pem'), cert.certPem);
  writeFileSync(path.join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
  receiver = spawnApp('webhooks', 'webhooks', {
    ...env('webhooks'),
    WEBHOOK_PORT: '0',
    WEBHOOK_TLS_CERT_FILE: path.join(dir, 'cert.pem'),
    WEBHOOK_TLS_KEY_FILE: path.join(dir, 'key.pem'),
    WEBHOOK_BODY_LIMIT_BYTES: '262144', // well above a batch of 100 notifications (~70 KB)
    OPS_PORT: '0',
  });
  processes.push(receiver);
  // Both lines, whichever comes first (waitForLine sees lines printed after it is called).
  const [ops, listening] = await Promise.all([
    receiver.waitForLine(/ops server listening on (http:\/\/[0-9.:[\]]+)/, 60_000),
    receiver.waitForLine(/Webhook receiver: (https:\/\/\S+)/, 60_000),
  ]);
  opsUrl = ops[1]!;
  receiverUrl = listening[1]!;
  const withPush = { WEBHOOK_PUBLIC_URL: receiverUrl };
  processes.push(spawnApp('scheduler', 'scheduler', { ...env('scheduler'), ...withPush }));
  processes.push(spawnApp('worker', 'worker', env('worker')));
}, 120_000);

afterAll(async () => {
  await stopAll(processes);
  await fx?.close();
  await Promise.all([db?.drop(), redis?.cleanup()]);
});

test('validation handshake: the decoded token echoed as text/plain', async () => {
  const token = 'Validation: Testing client application reachability for subscription Request-Id: 42';
  for (const endpoint of ['/notifications', '/lifecycle']) {
    const res = await post(`${endpoint}?validationToken=${encodeURIComponent(token)}`, '', 'text/plain');
    expect(res).toEqual({ status: 200, type: expect.stringMatching(/^text\/plain/), body: token });
  }
});

test('a message arriving is promoted by push within seconds, and polling becomes the safety net', async () => {
  const mb = fx.mailboxes[0]!;
  const sub = await activeInbox(mb.id);
  expect(sub.resource).toMatch(/\/mailFolders\('inbox'\)\/messages$/);
  const started = Date.now();
  await promoted(await arrive(0, 'push-1'));
  expect(Date.now() - started).toBeLessThan(15_000);
  // Healthy subscriptions: the next poll is the safety poll (2 h), not the 1-hour cadence.
  const workload = await waitFor(
    async () => {
      const w = await db.prisma.mailboxWorkload.findUniqueOrThrow({
        where: { mailboxId_workload: { mailboxId: mb.id, workload: 'IncomingEmail' } },
      });
      return w.pushHealthyUntil && w.cycleCount > 0 ? w : undefined;
    },
    { timeoutMs: 10_000, description: 'push health recorded' },
  );
  expect(workload.pushHealthyUntil!.getTime()).toBeGreaterThan(Date.now());
  // These subscriptions live one minute, less than the hourly cadence: the next poll stays at the
  // cadence, never out at the 2-hour safety poll past their expiry (engine/schedule.ts).
  expect(workload.nextDueAt.getTime()).toBeLessThanOrEqual(workload.lastSuccessAt!.getTime() + 3600_000);
  const row = await db.prisma.mailboxSubscription.findUniqueOrThrow({ where: { id: sub.id } });
  expect(row.notificationCount).toBeGreaterThan(0);
});

test('clientState mismatch: rejected (403), nothing queued', async () => {
  const mb = fx.mailboxes[1]!;
  const sub = await activeInbox(mb.id);
  const before = await wakeOf(mb.id);
  const res = await post(
    '/notifications',
    JSON.stringify({
      value: [
        {
          subscriptionId: sub.graphSubscriptionId,
          clientState: 'guessed',
          changeType: 'created',
          tenantId: fx.tenantId,
          resource: 'users/x/messages/y',
        },
      ],
    }),
  );
  expect(res.status).toBe(403);
  expect(await wakeOf(mb.id)).toEqual(before);
  await logged(/"clientStateMismatch":1/);
  expect(await metric('syncfleet_webhook_notifications_total{result="client_state_mismatch"}')).toBe(1);
});

test('unknown subscription: ignored (202) and counted, nothing queued', async () => {
  const mb = fx.mailboxes[1]!;
  const before = await wakeOf(mb.id);
  const res = await post(
    '/notifications',
    JSON.stringify({ value: [{ subscriptionId: '00000000-0000-4000-8000-000000000000', clientState: 'x' }] }),
  );
  expect(res.status).toBe(202);
  expect(await wakeOf(mb.id)).toEqual(before);
  await logged(/"unknownSubscription":1/);
  expect(await metric('syncfleet_webhook_notifications_total{result="unknown_subscription"}')).toBe(1);
});

test('oversized body → 413; malformed body → 400; nothing queued', async () => {
  const mb = fx.mailboxes[1]!;
  const sub = await activeInbox(mb.id);
  const before = await wakeOf(mb.id);
  const big = JSON.stringify({
    value: [{ subscriptionId: sub.graphSubscriptionId, clientState: 'x'.repeat(300_000) }],
  });
  expect((await post('/notifications', big)).status).toBe(413);
  expect((await post('/notifications', JSON.stringify({ value: 'nope' }))).status).toBe(400);
  expect(await wakeOf(mb.id)).toEqual(before);
});

test('renewal before expiry with a short maximum lifetime (1 minute)', async () => {
  const mb = fx.mailboxes[2]!;
  const first = await activeInbox(mb.id);
  const renewed = await waitFor(
    async () => {
      const [sub] = await subscriptionsOf(mb.id);
      return sub && sub.expiresAt! > first.expiresAt! && sub.state === 'Active' ? sub : undefined;
    },
    { timeoutMs: 30_000, description: 'the subscription renewed' },
  );
  expect(renewed.graphSubscriptionId).toBe(first.graphSubscriptionId);
  const atGraph = (await fx.sim.admin.subscriptions()).find((s) => s.id === first.graphSubscriptionId);
  expect(atGraph?.expirationDateTime).toBe(renewed.expiresAt!.toISOString());
});

test('lifecycle: missed → catch-up cycle; reauthorizationRequired → reauthorized; subscriptionRemoved → recreated + catch-up', async () => {
  const mb = fx.mailboxes[2]!;
  let sub = await activeInbox(mb.id);

  // Every notification dropped: only the `missed` event Graph sends brings the message in.
  await fx.sim.admin.patchConfig({ notificationDropRate: 1 });
  try {
    await promoted(await arrive(2, 'missed-1'));
  } finally {
    await fx.sim.admin.patchConfig({ notificationDropRate: 0 });
  }
  expect(
    (await db.prisma.mailboxSubscription.findUniqueOrThrow({ where: { id: sub.id } })).lastLifecycleEvent,
  ).toBe('missed');

  await fx.sim.admin.triggerLifecycle(sub.graphSubscriptionId!, 'reauthorizationRequired');
  await waitFor(
    async () => {
      const atGraph = (await fx.sim.admin.subscriptions()).find((s) => s.id === sub.graphSubscriptionId);
      const row = await db.prisma.mailboxSubscription.findUniqueOrThrow({ where: { id: sub.id } });
      return row.lastLifecycleEvent === 'reauthorizationRequired' &&
        row.state === 'Active' &&
        atGraph &&
        atGraph.reauthorizationRequiredAt === undefined
        ? true
        : undefined;
    },
    { timeoutMs: 15_000, description: 'the subscription reauthorized' },
  );

  sub = await activeInbox(mb.id);
  await fx.sim.admin.triggerLifecycle(sub.graphSubscriptionId!, 'subscriptionRemoved');
  const recreated = await waitFor(
    async () => {
      const row = await db.prisma.mailboxSubscription.findUniqueOrThrow({ where: { id: sub.id } });
      return row.state === 'Active' && row.graphSubscriptionId !== sub.graphSubscriptionId ? row : undefined;
    },
    { timeoutMs: 15_000, description: 'the subscription recreated' },
  );
  expect(recreated.lastLifecycleEvent).toBe('subscriptionRemoved');
  // The new subscription delivers again.
  await promoted(await arrive(2, 'after-recreate'));
});

test('a burst of 100 messages gives one or two cycles, never 100', async () => {
  const mb = fx.mailboxes[1]!;
  await activeInbox(mb.id);
  // Every requested cycle (the catch-up after the subscription's creation…) is over and none is
  // due: what runs next is the burst's.
  await waitFor(
    async () => {
      const w = await db.prisma.mailboxWorkload.findUniqueOrThrow({
        where: { mailboxId_workload: { mailboxId: mb.id, workload: 'IncomingEmail' } },
      });
      const served = !w.wakeRequestedAt || (w.lastSuccessAt !== null && w.lastSuccessAt >= w.wakeRequestedAt);
      const notDue = w.nextDueAt.getTime() > Date.now() + 60_000;
      return (w.processingState === 'Idle' && served && notDue) || undefined;
    },
    { timeoutMs: 15_000, description: 'the catch-up cycle done' },
  );
  const since = new Date();
  await fx.sim.admin.inboundBulk(mb.simId, {
    from: 'customer@fabrikam.test',
    count: 100,
    receivedFrom: new Date(Date.now() - 200_000).toISOString(),
    internetMessageIdPrefix: 'burst',
  });
  const burst = () =>
    db.prisma.emailActivity.count({ where: { internetMessageId: { startsWith: '<burst-' } } });
  await waitFor(async () => (await burst()) === 100 || undefined, {
    timeoutMs: 30_000,
    description: 'the burst promoted',
  });
  const cycles = await db.prisma.syncRun.count({
    // Cycles that handled the burst (a renewal gone late under load may add an empty catch-up one).
    where: {
      mailboxId: mb.id,
      workload: 'IncomingEmail',
      finishedAt: { gte: since },
      itemsProcessed: { gt: 0 },
    },
  });
  expect(cycles).toBeGreaterThanOrEqual(1);
  expect(cycles).toBeLessThanOrEqual(2);
});

test('a notification arriving while a cycle runs is never lost: one more cycle follows', async () => {
  const mb = fx.mailboxes[0]!;
  await activeInbox(mb.id);
  // Slow Graph for this mailbox, so a cycle is still running when the second message arrives.
  const { id: fault } = await fx.sim.admin.addFault({ scope: { mailbox: mb.simId }, latencyMs: 1500 });
  try {
    const first = await arrive(0, 'mid-cycle-1');
    await waitFor(
      async () =>
        (
          await db.prisma.mailboxWorkload.findUniqueOrThrow({
            where: { mailboxId_workload: { mailboxId: mb.id, workload: 'IncomingEmail' } },
          })
        ).processingState === 'Processing' || undefined,
      { timeoutMs: 10_000, intervalMs: 50, description: 'a cycle running' },
    );
    const second = await arrive(0, 'mid-cycle-2');
    await promoted(first);
    await promoted(second);
  } finally {
    await fx.sim.admin.removeFault(fault);
  }
});

test('a tracked folder gets its own subscription; untracked, it is deleted', async () => {
  const mb = fx.mailboxes[0]!;
  await activeInbox(mb.id);
  await db.prisma.mailboxFolderSync.upsert({
    where: { mailboxId_folderId: { mailboxId: mb.id, folderId: 'archive' } },
    create: { mailboxId: mb.id, folderId: 'archive', tracked: true },
    update: { tracked: true },
  });
  const archive = await waitFor(
    async () => {
      const sub = (await subscriptionsOf(mb.id)).find((s) =>
        s.resource.endsWith("mailFolders('archive')/messages"),
      );
      return sub?.state === 'Active' ? sub : undefined;
    },
    { timeoutMs: 15_000, description: 'the tracked folder subscribed' },
  );
  expect((await fx.sim.admin.subscriptions()).some((s) => s.id === archive.graphSubscriptionId)).toBe(true);
  await db.prisma.mailboxFolderSync.update({
    where: { mailboxId_folderId: { mailboxId: mb.id, folderId: 'archive' } },
    data: { tracked: false },
  });
  await waitFor(
    async () => ((await subscriptionsOf(mb.id)).some((s) => s.id === archive.id) ? undefined : true),
    { timeoutMs: 15_000, description: 'the untracked folder unsubscribed' },
  );
});

test('a workload turned off: its subscription is deleted at Graph and in the fleet, polling as usual', async () => {
  const mb = fx.mailboxes[2]!;
  const sub = await activeInbox(mb.id);
  await db.prisma.mailboxWorkload.update({
    where: { mailboxId_workload: { mailboxId: mb.id, workload: 'IncomingEmail' } },
    data: { enabled: false },
  });
  const healthOf = async () =>
    (
      await db.prisma.mailboxWorkload.findUniqueOrThrow({
        where: { mailboxId_workload: { mailboxId: mb.id, workload: 'IncomingEmail' } },
      })
    ).pushHealthyUntil;
  await waitFor(
    async () => ((await subscriptionsOf(mb.id)).length === 0 && (await healthOf()) === null) || undefined,
    { timeoutMs: 15_000, description: 'the subscription row deleted, the workload no longer healthy' },
  );
  expect((await fx.sim.admin.subscriptions()).some((s) => s.id === sub.graphSubscriptionId)).toBe(false);
});
