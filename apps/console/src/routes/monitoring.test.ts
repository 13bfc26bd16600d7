import { AlertSeverity, RunOutcome, Workload, WorkloadStatus } from '@syncfleet/db';
import { call, mailboxInput, profileInput, startConsole, type ConsoleHarness } from '../test-support';

const NOW = new Date('2025-02-03T04:05:06.000Z');
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole('monitoring', { clock: () => NOW });
});
afterAll(() => h.close());

async function setup(name: string, address: string) {
  const profile = (await call(h.app, 'POST', '/api/profiles', profileInput({ name }))).json;
  const mailbox = (
    await call(
      h.app,
      'POST',
      '/api/mailboxes',
      mailboxInput(profile.id, { address, owner: { type: 'User', id: address } }),
    )
  ).json;
  return { profileId: profile.id as string, mailboxId: mailbox.id as string };
}

describe('mailbox details download', () => {
  test('JSON and text carry the workload state, recent alerts and runs, all in UTC', async () => {
    const { mailboxId } = await setup('details', 'Bob+Sales@Contoso.com');
    await h.db.prisma.mailboxWorkload.update({
      where: { mailboxId_workload: { mailboxId, workload: Workload.IncomingEmail } },
      data: {
        enabled: true,
        status: WorkloadStatus.Failure,
        lastAttemptAt: new Date('2025-02-03T03:00:00+01:00'),
        nextDueAt: new Date('2025-02-03T03:05:00Z'),
        lastErrorCode: 'ErrorAccessDenied',
        lastErrorMessage: 'Access is denied.',
        lastErrorCount: 3,
        lastErrorAt: new Date('2025-02-03T02:00:00Z'),
        transientFailureCount: 2,
        itemsProcessed: 42,
        itemsFailed: 1,
        lastDurationMs: 1500,
        averageDurationMs: 1200,
        pushHealthyUntil: new Date('2025-02-05T00:00:00Z'),
      },
    });
    await h.db.prisma.mailboxSubscription.create({
      data: {
        mailboxId,
        workload: Workload.IncomingEmail,
        resource: "/users/bob/mailFolders('inbox')/messages",
        state: 'Active',
        graphSubscriptionId: 'graph-sub-1',
        clientStateCiphertext: 'sealed',
        clientStateKeyId: 'k1',
        expiresAt: new Date('2025-02-05T00:00:00Z'),
        lastNotificationAt: new Date('2025-02-03T01:00:00Z'),
        notificationCount: 7,
        lastLifecycleEvent: 'missed',
        lastLifecycleAt: new Date('2025-02-03T00:30:00Z'),
      },
    });
    await h.db.prisma.syncRun.create({
      data: {
        mailboxId,
        workload: Workload.IncomingEmail,
        startedAt: new Date('2025-02-03T01:59:58Z'),
        finishedAt: new Date('2025-02-03T02:00:00Z'),
        outcome: RunOutcome.PermanentFailure,
        itemsProcessed: 42,
        itemsFailed: 1,
        errorCode: 'ErrorAccessDenied',
      },
    });
    await h.db.prisma.alert.create({
      data: {
        severity: AlertSeverity.Error,
        code: 'ErrorAccessDenied',
        message: 'Access is denied.',
        mailboxId,
        workload: Workload.IncomingEmail,
      },
    });

    const json = await call(h.app, 'GET', `/api/mailboxes/${mailboxId}/details`);
    expect(json.status).toBe(200);
    expect(json.json.generatedAt).toBe('2025-02-03T04:05:06.000Z');
    expect(json.json.mailbox).toMatchObject({ address: 'bob+sales@contoso.com', owner: { type: 'User' } });
    expect(json.json.profile).toMatchObject({ name: 'details' });
    expect(json.json.workloads[0]).toMatchObject({
      workload: 'incoming-email',
      enabled: true,
      status: 'Failure',
      processingState: 'Idle',
      lastAttemptAt: '2025-02-03T02:00:00.000Z',
      nextDueAt: '2025-02-03T03:05:00.000Z',
      lastError: {
        code: 'ErrorAccessDenied',
        message: 'Access is denied.',
        count: 3,
        occurredAt: '2025-02-03T02:00:00.000Z',
      },
      transientFailureCount: 2,
      itemsProcessed: 42,
      itemsFailed: 1,
      lastDurationMs: 1500,
      averageDurationMs: 1200,
    });
    expect(json.json.recentRuns).toEqual([
      expect.objectContaining({
        outcome: 'PermanentFailure',
        durationMs: 2000,
        startedAt: '2025-02-03T01:59:58.000Z',
      }),
    ]);
    expect(json.json.recentAlerts).toEqual([
      expect.objectContaining({ code: 'ErrorAccessDenied', severity: 'Error' }),
    ]);
    // Every timestamp in the document is UTC with 'Z'.
    const timestamps = JSON.stringify(json.json).match(/\d{4}-\d{2}-\d{2}T[^"]*/g) ?? [];
    expect(timestamps.length).toBeGreaterThan(5);
    for (const t of timestamps) expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    // Subscription health is part of the details; the sealed clientState never is.
    expect(json.json.changeNotifications).toEqual({
      healthyUntil: { 'incoming-email': '2025-02-05T00:00:00.000Z', 'outgoing-email': null, act: null },
      subscriptions: [
        {
          workload: 'incoming-email',
          resource: "/users/bob/mailFolders('inbox')/messages",
          state: 'Active',
          expiresAt: '2025-02-05T00:00:00.000Z',
          lastNotificationAt: '2025-02-03T01:00:00.000Z',
          notificationCount: 7,
          lastLifecycleEvent: 'missed',
          lastLifecycleAt: '2025-02-03T00:30:00.000Z',
          failureCount: 0,
          failingSince: null,
          alertId: null,
          lastError: null,
        },
      ],
    });
    expect(JSON.stringify(json.json)).not.toContain('sealed');

    const text = await call(h.app, 'GET', `/api/mailboxes/${mailboxId}/details?format=text`);
    expect(text.status).toBe(200);
    expect(text.headers['content-type']).toContain('text/plain');
    expect(text.headers['content-disposition']).toBe(
      'attachment; filename="mailbox-bob+sales@contoso.com-details.txt"',
    );
    expect(text.body).toContain('Syncfleet mailbox details: bob+sales@contoso.com');
    expect(text.body).toContain('all times UTC');
    expect(text.body).toMatch(/Last attempt\s+2025-02-03T02:00:00.000Z/);
    expect(text.body).toMatch(/Next scheduled run\s+2025-02-03T03:05:00.000Z/);
    expect(text.body).toContain('ErrorAccessDenied: Access is denied.');
    expect(text.body).toMatch(/incoming-email\s+healthy until 2025-02-05T00:00:00.000Z/);
    expect(text.body).toMatch(/incoming-email\s+Active\s+\/users\/bob\/mailFolders\('inbox'\)\/messages/);
    expect(text.body).toMatch(/2025-02-03T01:59:58.000Z\s+incoming-email\s+PermanentFailure\s+2000 ms/);

    expect((await call(h.app, 'GET', `/api/mailboxes/${mailboxId}/details?format=pdf`)).status).toBe(400);
    expect(
      (await call(h.app, 'GET', '/api/mailboxes/00000000-0000-4000-8000-000000000000/details')).status,
    ).toBe(404);
  });
});

describe('alerts', () => {
  test("a profile's alerts roll up its mailboxes', newest first, filterable by severity", async () => {
    const { profileId, mailboxId } = await setup('rollup', 'carol@contoso.com');
    const other = await setup('unrelated', 'dave@contoso.com');
    const at = (minute: number) => new Date(`2025-01-01T00:${String(minute).padStart(2, '0')}:00Z`);
    await h.db.prisma.alert.createMany({
      data: [
        {
          severity: AlertSeverity.Error,
          code: 'BadSecret',
          message: 'profile-wide',
          profileId,
          createdAt: at(1),
        },
        { severity: AlertSeverity.Warning, code: 'Slow', message: 'mailbox', mailboxId, createdAt: at(2) },
        { severity: AlertSeverity.Error, code: 'Denied', message: 'mailbox', mailboxId, createdAt: at(3) },
        {
          severity: AlertSeverity.Error,
          code: 'Other',
          message: 'x',
          mailboxId: other.mailboxId,
          createdAt: at(4),
        },
      ],
    });
    const all = await call(h.app, 'GET', `/api/profiles/${profileId}/alerts`);
    expect(all.status).toBe(200);
    expect(all.json.items.map((a: { code: string }) => a.code)).toEqual(['Denied', 'Slow', 'BadSecret']);
    expect(all.json.total).toBe(3);
    const errors = await call(h.app, 'GET', `/api/profiles/${profileId}/alerts?severity=Error&limit=1`);
    expect(errors.json).toMatchObject({ total: 2, items: [expect.objectContaining({ code: 'Denied' })] });
    const mailboxOnly = await call(h.app, 'GET', `/api/mailboxes/${mailboxId}/alerts`);
    expect(mailboxOnly.json.items.map((a: { code: string }) => a.code)).toEqual(['Denied', 'Slow']);
    expect((await call(h.app, 'GET', `/api/profiles/${profileId}/alerts?severity=Fatal`)).status).toBe(400);
  });

  test('acknowledge stamps the alert once', async () => {
    const { mailboxId } = await setup('ack', 'erin@contoso.com');
    const alert = await h.db.prisma.alert.create({
      data: { severity: AlertSeverity.Warning, code: 'W', message: 'm', mailboxId },
    });
    const acked = await call(h.app, 'POST', `/api/alerts/${alert.id}/acknowledge`);
    expect(acked.status).toBe(200);
    expect(acked.json.acknowledgedAt).toBe(NOW.toISOString());
    const unacked = await call(h.app, 'GET', `/api/mailboxes/${mailboxId}/alerts?acknowledged=false`);
    expect(unacked.json.items.find((a: { id: string }) => a.id === alert.id)).toBeUndefined();
    expect(
      (await call(h.app, 'POST', '/api/alerts/00000000-0000-4000-8000-000000000000/acknowledge')).status,
    ).toBe(404);
  });
});
