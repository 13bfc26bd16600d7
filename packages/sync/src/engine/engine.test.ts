import type { TestDatabase } from '@syncfleet/testing';
import { createProbeHandlers } from '../probe/probe-handlers';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { runWorkloadJob } from './run-job';
import { testAndEnable } from './test-and-enable';
import type { EngineResources } from './types';

let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;
const handlers = createProbeHandlers();

const harness = useEngineHarness('engine', { mailboxes: 6, workloads: ['incoming-email', 'act'] });
beforeAll(() => {
  ({ db, fx, res } = harness);
});
afterEach(async () => {
  await fx.sim.admin.clearFaults();
});

const job = (mailboxId: string, workload: 'incoming-email' | 'act' = 'incoming-email') => ({
  mailboxId,
  workload,
  dueAt: new Date().toISOString(),
});
const workloadRow = (mailboxId: string, workload: 'IncomingEmail' | 'Act' = 'IncomingEmail') =>
  db.prisma.mailboxWorkload.findUniqueOrThrow({ where: { mailboxId_workload: { mailboxId, workload } } });

describe('one cycle through the engine', () => {
  it('runs against Graph with X-AnchorMailbox, records the run and schedules the next from its end', async () => {
    const mb = fx.mailboxes[0]!;
    const before = await fx.sim.admin.metrics();
    expect(await runWorkloadJob(res, handlers, job(mb.id))).toBe('success');
    const row = await workloadRow(mb.id);
    expect(row).toMatchObject({
      status: 'Success',
      processingState: 'Idle',
      cycleCount: 1,
      transientFailureCount: 0,
    });
    expect(row.nextDueAt.getTime() - row.lastSuccessAt!.getTime()).toBe(1000);
    expect(row.checkpoint).toEqual({
      probe: { probedAt: expect.any(String), totalItemCount: expect.any(Number) },
    });
    const runs = await db.prisma.syncRun.findMany({ where: { mailboxId: mb.id } });
    expect(runs).toHaveLength(1);
    const after = await fx.sim.admin.metrics();
    expect((after.byMailbox[mb.simId] ?? 0) - (before.byMailbox[mb.simId] ?? 0)).toBe(1);
    expect(after.missingAnchorMailbox).toBe(before.missingAnchorMailbox);
    // Not due any more: a duplicate job (say, queued again after Redis lost its data) does nothing.
    expect(await runWorkloadJob(res, handlers, job(mb.id))).toBe('skipped');
  });

  it('disables the workload at the first 403 ErrorAccessDenied, alerts and notifies the owner', async () => {
    const mb = fx.mailboxes[1]!;
    await fx.sim.admin.addFault({ scope: { mailbox: mb.simId }, status: 403, code: 'ErrorAccessDenied' });
    expect(await runWorkloadJob(res, handlers, job(mb.id))).toBe('failure');
    const row = await workloadRow(mb.id);
    expect(row).toMatchObject({
      enabled: false,
      status: 'Failure',
      lastErrorCode: 'ErrorAccessDenied',
      lastErrorCount: 1,
    });
    const alerts = await db.prisma.alert.findMany({ where: { mailboxId: mb.id } });
    expect(alerts).toEqual([
      expect.objectContaining({ severity: 'Error', code: 'ErrorAccessDenied', profileId: fx.profileId }),
    ]);
    expect(alerts[0]!.notifiedAt).toBeInstanceOf(Date);
    // Another mailbox of the same profile is unaffected.
    expect(await runWorkloadJob(res, handlers, job(fx.mailboxes[2]!.id))).toBe('success');
  });

  it('retries 503 + Retry-After as transient, never early, then disables after the configured count', async () => {
    const mb = fx.mailboxes[3]!;
    await fx.sim.admin.addFault({
      scope: { mailbox: mb.simId },
      status: 503,
      code: 'ServiceUnavailable',
      retryAfterSeconds: 0.2,
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      await db.prisma.mailboxWorkload.update({
        where: { mailboxId_workload: { mailboxId: mb.id, workload: 'IncomingEmail' } },
        data: { nextDueAt: new Date(), postponedUntil: null },
      });
      outcomes.push(await runWorkloadJob(res, handlers, job(mb.id)));
      const row = await workloadRow(mb.id);
      if (i < 2)
        expect(row).toMatchObject({
          enabled: true,
          transientFailureCount: i + 1,
          lastErrorCode: 'ServiceUnavailable',
        });
    }
    expect(outcomes).toEqual(['failure', 'failure', 'failure']);
    expect(await workloadRow(mb.id)).toMatchObject({ enabled: false, status: 'Failure', lastErrorCount: 3 });
    const alerts = await db.prisma.alert.findMany({
      where: { mailboxId: mb.id },
      orderBy: { createdAt: 'asc' },
    });
    expect(alerts.map((a) => a.severity)).toEqual(['Warning', 'Error']);
    const metrics = await fx.sim.admin.metrics();
    expect(metrics.byStatus['503'] ?? 0).toBeGreaterThanOrEqual(3);
    expect(metrics.earlyRequestsByMailbox[mb.simId] ?? 0).toBe(0);
    expect(metrics.earlyRequests).toBe(0);
  });

  it('Test & Enable re-enables a fixed mailbox and rejects an alias or distribution list', async () => {
    const mb = fx.mailboxes[1]!; // disabled by the 403 test
    const result = await testAndEnable(res, mb.id);
    expect(result.ok).toBe(true);
    expect(result.workloads).toEqual({
      'incoming-email': 'enabled',
      'outgoing-email': 'not-configured',
      act: 'enabled',
    });
    expect(await workloadRow(mb.id)).toMatchObject({
      enabled: true,
      status: 'NotRun',
      transientFailureCount: 0,
    });
    expect((await db.prisma.mailbox.findUniqueOrThrow({ where: { id: mb.id } })).graphUserId).toBe(mb.simId);

    const dl = await fx.sim.admin.createMailbox(fx.tenantId, {
      address: 'sales-team@contoso.test',
      kind: 'distributionList',
    });
    const row = await db.prisma.mailbox.create({
      data: {
        address: dl.address,
        ownerType: 'Queue',
        ownerId: 'sales',
        profileId: fx.profileId,
        approvalState: 'Approved',
        workloads: { create: [{ workload: 'IncomingEmail', method: 'ServerSideSync' }] },
      },
    });
    const rejected = await testAndEnable(res, row.id);
    expect(rejected.ok).toBe(false);
    expect(rejected.checks).toEqual([
      expect.objectContaining({
        name: 'mailbox',
        ok: false,
        message: expect.stringMatching(
          /an alias, a distribution list, or an inactive or on-premises mailbox cannot be synced/,
        ),
      }),
    ]);
    expect(await workloadRow(row.id)).toMatchObject({ enabled: false, status: 'Failure' });
    expect(await db.prisma.alert.count({ where: { mailboxId: row.id, severity: 'Error' } })).toBe(1);
  });

  it('a bad client secret raises ONE alert on the profile and marks its mailboxes; Test & Enable recovers', async () => {
    const good = fx.secretBox.seal(fx.clientSecret);
    const bad = fx.secretBox.seal('not-the-secret');
    await db.prisma.emailServerProfile.update({
      where: { id: fx.profileId },
      data: { clientSecretCiphertext: bad.ciphertext },
    });
    const ids = [fx.mailboxes[4]!.id, fx.mailboxes[5]!.id, fx.mailboxes[0]!.id];
    await db.prisma.mailboxWorkload.updateMany({
      where: { mailboxId: { in: ids } },
      data: { nextDueAt: new Date() },
    });
    const outcomes = [];
    for (const id of ids) outcomes.push(await runWorkloadJob(res, handlers, job(id)));
    const rows = await db.prisma.mailboxWorkload.findMany({ where: { mailboxId: { in: ids } } });
    expect(rows.map((r) => r.lastErrorCode)).toContain('AADSTS7000215');
    expect(outcomes).toEqual(['failure', 'skipped', 'skipped']);
    const profileAlerts = await db.prisma.alert.findMany({
      where: { profileId: fx.profileId, mailboxId: null, severity: 'Error' },
    });
    expect(profileAlerts).toHaveLength(1);
    expect(profileAlerts[0]!.code).toBe('AADSTS7000215');
    expect(
      await db.prisma.mailboxWorkload.count({
        where: { enabled: true, mailbox: { profileId: fx.profileId } },
      }),
    ).toBe(0);

    await db.prisma.emailServerProfile.update({
      where: { id: fx.profileId },
      data: { clientSecretCiphertext: good.ciphertext },
    });
    const result = await testAndEnable(res, fx.mailboxes[4]!.id);
    expect(result.ok).toBe(true);
    expect(await workloadRow(fx.mailboxes[4]!.id)).toMatchObject({ enabled: true });
  });
});
