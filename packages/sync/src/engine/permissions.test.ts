import { createProbeHandlers } from '../probe/probe-handlers';
import { useEngineHarness } from '../testing/engine-harness';
import { runWorkloadJob } from './run-job';
import { testAndEnable } from './test-and-enable';

/**
 * Users and permissions as Microsoft 365 has them (the simulator enforces the app's granted roles
 * and resolves `/users/{id | userPrincipalName}` only): Test & Enable finds each mailbox by SMTP
 * address and reports a missing application permission ONCE, on the profile.
 */
const MAILBOXES = 20;
const harness = useEngineHarness('permissions', {
  mailboxes: MAILBOXES,
  workloads: ['incoming-email', 'outgoing-email'],
  // Everything Syncfleet needs but Mail.Send.
  appRoles: [
    'Mail.ReadWrite',
    'Calendars.ReadWrite',
    'Contacts.ReadWrite',
    'Tasks.ReadWrite.All',
    'User.Read.All',
  ],
});

const alerts = () =>
  harness.db.prisma.alert.findMany({
    where: { profileId: harness.fx.profileId, severity: 'Error' },
    orderBy: { createdAt: 'asc' },
  });

afterEach(async () => {
  await harness.fx.sim.admin.clearFaults();
  await harness.db.prisma.alert.updateMany({ data: { acknowledgedAt: new Date() } });
});

test('20 mailboxes, Mail.Send not granted: ONE profile alert naming it; granted, all 20 enable by address', async () => {
  const { db, fx, res } = harness;
  // Test & Enable learns the directory id itself.
  await db.prisma.mailbox.updateMany({ data: { graphUserId: null } });
  const results = [];
  for (const mb of fx.mailboxes) results.push(await testAndEnable(res, mb.id));
  expect(results.every((r) => !r.ok)).toBe(true);
  expect(results[0]!.checks).toEqual([
    expect.objectContaining({ name: 'permissions', ok: false, code: 'AppPermissionMissing' }),
  ]);
  const raised = await alerts();
  expect(raised).toHaveLength(1);
  expect(raised[0]).toMatchObject({ mailboxId: null, code: 'TestAndEnable.AppPermissionMissing' });
  expect(raised[0]!.message).toMatch(
    /lacks the Microsoft Graph application permission Mail\.Send \(outgoing email/,
  );
  expect(raised[0]!.message).not.toMatch(/Mail\.ReadWrite|User\.Read\.All/);
  expect(raised[0]!.notifiedAt).toBeInstanceOf(Date);
  expect(await db.prisma.mailboxWorkload.count({ where: { enabled: true } })).toBe(0);
  expect(
    await db.prisma.mailboxWorkload.count({
      where: { workload: 'OutgoingEmail', status: 'Failure', lastErrorCode: 'AppPermissionMissing' },
    }),
  ).toBe(MAILBOXES);

  // The administrator grants it; Test & Enable then resolves every address through the directory.
  await fx.sim.admin.setAppRoles(fx.tenantId, fx.clientId, ['Mail.ReadWrite', 'Mail.Send', 'User.Read.All']);
  for (const mb of fx.mailboxes) {
    const result = await testAndEnable(res, mb.id);
    expect(result).toMatchObject({
      ok: true,
      workloads: { 'incoming-email': 'enabled', 'outgoing-email': 'enabled' },
    });
  }
  const rows = await db.prisma.mailbox.findMany({ where: { profileId: fx.profileId } });
  expect(new Map(rows.map((r) => [r.id, r.graphUserId]))).toEqual(
    new Map(fx.mailboxes.map((m) => [m.id, m.simId])),
  );
  expect(await alerts()).toHaveLength(1); // nothing new
});

test('the directory refusing the look-up (403 Authorization_RequestDenied) names User.Read.All on the profile', async () => {
  const { fx, res } = harness;
  // As Graph answers when the token cannot be read for its roles and the app lacks directory rights.
  await fx.sim.admin.addFault({
    status: 403,
    code: 'Authorization_RequestDenied',
    message: 'Insufficient privileges to complete the operation.',
    routes: '/users$',
  });
  const before = (await alerts()).length;
  for (const mb of fx.mailboxes.slice(0, 5)) {
    expect((await testAndEnable(res, mb.id)).checks).toEqual([
      expect.objectContaining({ name: 'permissions', code: 'AppPermissionMissing' }),
    ]);
  }
  const raised = (await alerts()).slice(before);
  expect(raised).toHaveLength(1);
  expect(raised[0]).toMatchObject({ mailboxId: null });
  expect(raised[0]!.message).toMatch(/User\.Read\.All \(finding mailboxes by address\)/);
});

test('a Test & Enable of an address no user has: the mailbox check fails, on the mailbox', async () => {
  const { db, fx, res } = harness;
  const row = await db.prisma.mailbox.create({
    data: {
      address: 'nobody@contoso.test',
      ownerType: 'User',
      ownerId: 'nobody',
      profileId: fx.profileId,
      approvalState: 'Approved',
      workloads: { create: [{ workload: 'IncomingEmail', method: 'ServerSideSync' }] },
    },
  });
  const result = await testAndEnable(res, row.id);
  expect(result.checks).toEqual([
    expect.objectContaining({
      name: 'mailbox',
      code: 'UserNotFound',
      message: expect.stringMatching(/no mailbox Graph can sync/),
    }),
  ]);
  expect(await db.prisma.alert.count({ where: { mailboxId: row.id, severity: 'Error' } })).toBe(1);
});

test('in a cycle, a 403 for a role the token lacks disables the profile with ONE alert naming it', async () => {
  const { db, fx, res } = harness;
  await fx.sim.admin.setAppRoles(fx.tenantId, fx.clientId, ['Mail.ReadWrite', 'User.Read.All']);
  res.graph.invalidate(fx.profileId); // a new token, as after the cached one expires
  const handlers = createProbeHandlers();
  const before = (await alerts()).length;
  // The outgoing probe reads Drafts (allowed); a 403 there is an access policy unless the token
  // lacks what outgoing email needs — here Mail.Send.
  await fx.sim.admin.addFault({ status: 403, code: 'ErrorAccessDenied', routes: '/mailFolders/drafts$' });
  const outcomes = [];
  for (const mb of fx.mailboxes.slice(0, 3)) {
    await db.prisma.mailboxWorkload.updateMany({
      where: { mailboxId: mb.id, workload: 'OutgoingEmail' },
      data: { enabled: true, nextDueAt: new Date() },
    });
    outcomes.push(
      await runWorkloadJob(res, handlers, {
        mailboxId: mb.id,
        workload: 'outgoing-email',
        dueAt: new Date().toISOString(),
      }),
    );
  }
  expect(outcomes[0]).toBe('failure');
  const raised = (await alerts()).slice(before);
  expect(raised).toHaveLength(1);
  expect(raised[0]).toMatchObject({ mailboxId: null, code: 'AppPermissionMissing' });
  expect(raised[0]!.message).toMatch(/Mail\.Send/);
});
