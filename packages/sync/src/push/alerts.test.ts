import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { issueServerCertificate } from '@syncfleet/graph-simulator';
import { closeQueues, createQueues, type WorkloadQueues } from '@syncfleet/queues';
import { createLogger } from '@syncfleet/telemetry';
import { useEngineHarness } from '../testing/engine-harness';
import { PUSH_FAILING, PUSH_RECOVERED } from './alerts';
import { createSubscriptionManager, type SubscriptionManager } from './manager';

/**
 * A subscription that keeps failing is told to the admin (alerts.ts): one Warning on the mailbox
 * after PUSH_ALERT_AFTER_SEC, one on the profile for a deployment-wide cause, resolved when it
 * works again. Real PostgreSQL, Redis and simulator; the simulator's own documented failures: its
 * per-mailbox subscription cap (1 here, 1,000 in Graph) and its validation handshake against the
 * notificationUrl (our test receiver stops echoing the token). Time is the manager's clock.
 */
const FAILING_MAILBOXES = 20;
const ALERT_AFTER_MS = 15 * 60_000;
const h = useEngineHarness('push-alerts', {
  mailboxes: 1 + FAILING_MAILBOXES,
  workloads: ['incoming-email'],
  simConfig: { maxSubscriptionsPerMailbox: 1 },
});

let queues: WorkloadQueues;
let receiver: https.Server;
let receiverUrl: string;
let echo = true;
let now = new Date();
let manager: SubscriptionManager;
/** Two more schedulers, each taking at most half of the failing subscriptions per pass. */
let halves: SubscriptionManager[];

beforeAll(async () => {
  queues = createQueues(h.redis.redis, h.redis.prefix);
  const cert = issueServerCertificate(path.dirname(h.fx.sim.caPath), ['127.0.0.1']);
  receiver = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const token = new URL(req.url ?? '/', 'https://127.0.0.1').searchParams.get('validationToken');
    req.resume();
    req.on('end', () => {
      if (token === null) {
        res.writeHead(202);
        res.end();
        return;
      }
      res.writeHead(echo ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(echo ? token : 'receiver not ready');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const managerWith = (batch: number) =>
    createSubscriptionManager({
      prisma: h.db.prisma,
      sql: h.res.sql,
      queues,
      graph: h.res.graph,
      secretBox: h.fx.secretBox,
      logger: createLogger({ name: 'test', level: 'silent' }),
      clock: () => now,
      settings: {
        publicUrl: receiverUrl,
        // Short, so expiries computed from the test's clock stay within the simulator's maximum.
        lifetimeMin: 60,
        renewBeforeSec: 600,
        batch,
        reconcileMs: 0,
        alertAfterMs: ALERT_AFTER_MS,
      },
    });
  manager = managerWith(200);
  halves = [managerWith(FAILING_MAILBOXES / 2), managerWith(FAILING_MAILBOXES / 2)];
  // Only the mailboxes a test names have their workload on.
  await h.db.prisma.mailboxWorkload.updateMany({ data: { enabled: false } });
});
afterAll(async () => {
  await closeQueues(queues);
  await new Promise((resolve) => receiver.close(resolve));
});

const enable = (ids: string[]) =>
  h.db.prisma.mailboxWorkload.updateMany({
    where: { mailboxId: { in: ids }, workload: 'IncomingEmail' },
    data: { enabled: true },
  });
const subscriptionsOf = (ids: string[]) =>
  h.db.prisma.mailboxSubscription.findMany({ where: { mailboxId: { in: ids } } });
const alerts = (code: string) =>
  h.db.prisma.alert.findMany({ where: { code }, orderBy: { createdAt: 'asc' } });

/** Moves the clock to the earliest next action of these mailboxes' subscriptions, then one pass. */
async function nextAttempt(ids: string[]) {
  await toNextAction(ids);
  return manager.pass();
}
async function toNextAction(ids: string[]): Promise<Date> {
  const rows = await subscriptionsOf(ids);
  const due = Math.min(...rows.map((r) => r.nextActionAt.getTime()));
  if (rows.length && due > now.getTime()) now = new Date(due);
  return now;
}

test('a mailbox whose subscription keeps failing: one Warning after the threshold, none before, none more; resolved when it works', async () => {
  const mb = h.fx.mailboxes[0]!;
  const profile = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: h.fx.profileId } });
  // Another subscription on the mailbox takes its whole quota (the simulator's cap is 1 here).
  const graph = await h.res.graph.forMailbox(profile, { id: mb.id, address: mb.address });
  const blocker = (await graph.api('/subscriptions').post({
    changeType: 'created',
    notificationUrl: `${receiverUrl}/other-app`,
    resource: `/users/${mb.simId}/messages`,
    expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
    clientState: 'another-application',
  })) as { id: string };
  await enable([mb.id]);

  const start = now.getTime();
  let attempts = 0;
  while (now.getTime() - start < ALERT_AFTER_MS) {
    const result = await nextAttempt([mb.id]);
    if (now.getTime() - start >= ALERT_AFTER_MS) break;
    attempts++;
    expect(result).toMatchObject({ failed: 1, alerted: 0 });
    expect(await alerts(PUSH_FAILING)).toEqual([]);
  }
  // 5 s doubling: attempts at 0, 5, 15, 35, 75, 155, 315, 635 s, then 1,275 s is past 15 minutes.
  expect(attempts).toBe(8);
  const [sub] = await subscriptionsOf([mb.id]);
  expect(sub).toMatchObject({ state: 'Failed', lastErrorCode: 'ExtensionError', failureCount: 9 });
  const [warning, ...more] = await alerts(PUSH_FAILING);
  expect(more).toEqual([]);
  expect(warning).toMatchObject({
    severity: 'Warning',
    mailboxId: mb.id,
    profileId: h.fx.profileId,
    workload: 'IncomingEmail',
    acknowledgedAt: null,
  });
  expect(warning!.message).toContain(`incoming-email of ${mb.address}`);
  expect(warning!.message).toContain('ExtensionError');
  expect(warning!.message).toContain('Maximum number of subscriptions has been reached');
  expect(warning!.message).toContain('polled at its normal interval');
  expect(sub!.alertId).toBe(warning!.id);

  // Further failures (the back-off reaches its hour) raise nothing more.
  for (let i = 0; i < 4; i++) expect(await nextAttempt([mb.id])).toMatchObject({ failed: 1, alerted: 0 });
  expect(await alerts(PUSH_FAILING)).toHaveLength(1);
  const workload = () =>
    h.db.prisma.mailboxWorkload.findUniqueOrThrow({
      where: { mailboxId_workload: { mailboxId: mb.id, workload: 'IncomingEmail' } },
    });
  // Never disabled: the workload goes on by polling.
  expect(await workload()).toMatchObject({ enabled: true, pushHealthyUntil: null });

  // The quota frees up: the next attempt creates the subscription and resolves the alert.
  await graph.api(`/subscriptions/${blocker.id}`).delete();
  expect(await nextAttempt([mb.id])).toMatchObject({ created: 1, failed: 0, resolved: 1 });
  const [resolved] = await alerts(PUSH_FAILING);
  expect(resolved!.acknowledgedAt).toEqual(now);
  const [info, ...moreInfo] = await alerts(PUSH_RECOVERED);
  expect(moreInfo).toEqual([]);
  expect(info).toMatchObject({ severity: 'Information', mailboxId: mb.id, workload: 'IncomingEmail' });
  expect(info!.message).toContain(`incoming-email of ${mb.address} work again`);
  expect(await subscriptionsOf([mb.id])).toEqual([
    expect.objectContaining({ state: 'Active', alertId: null, failingSince: null, failureCount: 0 }),
  ]);
  expect((await workload()).pushHealthyUntil).toBeInstanceOf(Date);
});

test('20 mailboxes failing for a deployment-wide cause: ONE profile alert, no mailbox alert; resolved when the receiver answers', async () => {
  await h.db.prisma.alert.deleteMany({});
  // The first test's mailbox is off again (its subscription is deleted, here and at Graph).
  await h.db.prisma.mailboxWorkload.updateMany({ data: { enabled: false } });
  expect(await manager.pass()).toMatchObject({ deleted: 1, resolved: 0 });
  const ids = h.fx.mailboxes.slice(1).map((m) => m.id);
  expect(ids).toHaveLength(FAILING_MAILBOXES);
  echo = false; // Graph's validation request to the notificationUrl now fails: 400 ValidationError
  await enable(ids);

  const start = now.getTime();
  let alerted = 0;
  for (let i = 0; i < 12 && !alerted; i++) {
    if ((await toNextAction(ids)).getTime() - start < ALERT_AFTER_MS) {
      expect(await manager.pass()).toMatchObject({ failed: FAILING_MAILBOXES, alerted: 0 });
      expect(await alerts(PUSH_FAILING)).toEqual([]);
      continue;
    }
    // The threshold is crossed in two schedulers running at the same time, ten subscriptions each
    // (their alerting steps only sometimes overlap: the advisory lock is not proven by this alone).
    const results = await Promise.all(halves.map((m) => m.pass()));
    expect(results.map((r) => r.failed)).toEqual([FAILING_MAILBOXES / 2, FAILING_MAILBOXES / 2]);
    alerted = results[0]!.alerted + results[1]!.alerted;
  }
  expect(alerted).toBe(1);
  const failing = await subscriptionsOf(ids);
  expect(failing).toHaveLength(FAILING_MAILBOXES);
  expect(failing.every((s) => s.state === 'Failed' && s.lastErrorCode === 'ValidationError')).toBe(true);
  const [warning, ...more] = await alerts(PUSH_FAILING);
  expect(more).toEqual([]);
  expect(warning).toMatchObject({ severity: 'Warning', mailboxId: null, profileId: h.fx.profileId });
  expect(warning!.message).toContain(`${receiverUrl}/notifications`);
  expect(warning!.message).toContain('ValidationError');
  expect(new Set(failing.map((s) => s.alertId))).toEqual(new Set([warning!.id]));
  expect(await h.db.prisma.alert.count({ where: { mailboxId: { in: ids } } })).toBe(0);

  // More failures: still one alert.
  expect(await nextAttempt(ids)).toMatchObject({ failed: FAILING_MAILBOXES, alerted: 0 });
  expect(await alerts(PUSH_FAILING)).toHaveLength(1);

  echo = true;
  expect(await nextAttempt(ids)).toMatchObject({ created: FAILING_MAILBOXES, failed: 0, resolved: 1 });
  expect((await alerts(PUSH_FAILING))[0]!.acknowledgedAt).toEqual(now);
  const recovered = await alerts(PUSH_RECOVERED);
  expect(recovered).toEqual([
    expect.objectContaining({ severity: 'Information', mailboxId: null, profileId: h.fx.profileId }),
  ]);
  expect(
    (await subscriptionsOf(ids)).every((s) => s.state === 'Active' && !s.alertId && !s.failingSince),
  ).toBe(true);
});

test('a 403 because the app registration lacks the permission: ONE profile alert naming it', async () => {
  await h.db.prisma.alert.deleteMany({});
  await h.db.prisma.mailboxWorkload.updateMany({ data: { enabled: false } });
  expect(await manager.pass()).toMatchObject({ deleted: FAILING_MAILBOXES });
  // Mail.ReadWrite revoked (the rest as granted). The simulator does not check the roles of
  // POST /subscriptions itself, so the 403 Graph answers then is injected.
  const granted = [
    'Mail.Send',
    'Calendars.ReadWrite',
    'Contacts.ReadWrite',
    'Tasks.ReadWrite.All',
    'User.Read.All',
  ];
  await h.fx.sim.admin.setAppRoles(h.fx.tenantId, h.fx.clientId, granted);
  h.res.graph.invalidate(h.fx.profileId);
  await h.fx.sim.admin.addFault({ routes: 'subscriptions', status: 403, code: 'ErrorAccessDenied' });
  const ids = h.fx.mailboxes.slice(1).map((m) => m.id);
  await enable(ids);
  try {
    let alerted = 0;
    for (let i = 0; i < 12 && !alerted; i++) alerted = (await nextAttempt(ids)).alerted;
    expect(alerted).toBe(1);
    const [warning, ...more] = await alerts(PUSH_FAILING);
    expect(more).toEqual([]);
    expect(warning).toMatchObject({ severity: 'Warning', mailboxId: null, profileId: h.fx.profileId });
    expect(warning!.message).toContain('AppPermissionMissing');
    expect(warning!.message).toContain('Mail.Read');
    expect(await h.db.prisma.alert.count({ where: { mailboxId: { in: ids } } })).toBe(0);
  } finally {
    await h.fx.sim.admin.clearFaults();
    await h.fx.sim.admin.setAppRoles(h.fx.tenantId, h.fx.clientId, [...granted, 'Mail.ReadWrite']);
    h.res.graph.invalidate(h.fx.profileId);
  }
});
