import { createTestDatabase, type TestDatabase } from '@syncfleet/testing';
import { runWorkloadJob } from '../engine/run-job';
import { testAndEnable } from '../engine/test-and-enable';
import type { EngineResources, WorkloadHandlers } from '../engine/types';
import { createProbeHandlers } from '../probe/probe-handlers';
import { testEngineResources } from '../testing/engine-resources';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { createActHandler } from './cycle';
import { OWNER_EXTENSION } from './ownership';
import { createContact } from './records';

let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;
const harness = useEngineHarness('act-own-a', { mailboxes: 1, workloads: ['act'], enabled: false });
let second: TestDatabase;
let resB: EngineResources;
let mailboxB: string;
const handlers: WorkloadHandlers = { ...createProbeHandlers(), act: createActHandler() };

beforeAll(async () => {
  ({ db, fx, res } = harness);
  // A second deployment: its own database, the same Microsoft 365 tenant and mailbox.
  second = await createTestDatabase('act-own-b');
  const sealed = fx.secretBox.seal(fx.clientSecret);
  const profile = await second.prisma.emailServerProfile.create({
    data: {
      name: 'second deployment',
      tenantId: fx.tenantId,
      clientId: fx.clientId,
      clientSecretCiphertext: sealed.ciphertext,
      clientSecretKeyId: sealed.keyId,
      authorityUrl: fx.sim.url,
      graphBaseUrl: fx.sim.url,
      minPollingIntervalSec: 0,
      connectionTimeoutSec: 30,
    },
  });
  const m = await second.prisma.mailbox.create({
    data: {
      address: fx.mailboxes[0]!.address,
      ownerType: 'User',
      ownerId: 'someone-else',
      profileId: profile.id,
      approvalState: 'Approved',
      workloads: {
        create: [
          { workload: 'IncomingEmail', method: 'None' },
          { workload: 'OutgoingEmail', method: 'None' },
          { workload: 'Act', method: 'ServerSideSync' },
        ],
      },
    },
  });
  mailboxB = m.id;
  resB = testEngineResources(fx, {
    prisma: second.prisma,
    redis: harness.redis.redis,
    prefix: `${harness.redis.prefix}b:`,
  });
});
afterAll(async () => {
  await second?.drop();
});

it('a second deployment cannot take a mailbox without overwrite; with it, the first one stops ACT with an alert', async () => {
  const mailboxA = fx.mailboxes[0]!.id;
  await db.prisma.mailbox.update({ where: { id: mailboxA }, data: { approvalState: 'Approved' } });
  const first = await testAndEnable(res, mailboxA);
  expect(first.workloads.act).toBe('enabled');
  expect(first.checks).toContainEqual({ name: 'act-ownership', ok: true });

  const refused = await testAndEnable(resB, mailboxB);
  expect(refused.workloads.act).toBe('failed');
  expect(refused.checks).toContainEqual(
    expect.objectContaining({ name: 'act-ownership', ok: false, code: 'OwnedElsewhere' }),
  );
  const rowB = await second.prisma.mailboxWorkload.findUniqueOrThrow({
    where: { mailboxId_workload: { mailboxId: mailboxB, workload: 'Act' } },
  });
  expect(rowB).toMatchObject({ enabled: false, lastErrorCode: 'OwnedElsewhere' });
  expect(
    await second.prisma.alert.findFirst({ where: { mailboxId: mailboxB, severity: 'Error' } }),
  ).toMatchObject({
    code: 'TestAndEnable.OwnedElsewhere',
    message: expect.stringContaining('another Syncfleet deployment'),
  });

  const taken = await testAndEnable(resB, mailboxB, { overwrite: true });
  expect(taken.workloads.act).toBe('enabled');

  // The first deployment's next cycle that would write finds the marker overwritten and stops.
  await createContact(
    db.prisma,
    { ownerType: 'User', ownerId: 'user-0' },
    { displayName: 'Must not be written' },
  );
  await db.prisma.mailboxWorkload.update({
    where: { mailboxId_workload: { mailboxId: mailboxA, workload: 'Act' } },
    data: { nextDueAt: new Date() },
  });
  const outcome = await runWorkloadJob(res, handlers, {
    mailboxId: mailboxA,
    workload: 'act',
    dueAt: new Date().toISOString(),
  });
  expect(outcome).toBe('failure');
  const rowA = await db.prisma.mailboxWorkload.findUniqueOrThrow({
    where: { mailboxId_workload: { mailboxId: mailboxA, workload: 'Act' } },
  });
  expect(rowA).toMatchObject({ enabled: false, status: 'Failure', lastErrorCode: 'OwnedElsewhere' });
  const alert = await db.prisma.alert.findFirst({
    where: { mailboxId: mailboxA, severity: 'Error' },
    orderBy: { createdAt: 'desc' },
  });
  expect(alert?.message).toMatch(/another Syncfleet deployment/);
  // Nothing was written to the mailbox by the deployment that lost it.
  const g = await resB.graph.forMailbox(await second.prisma.emailServerProfile.findFirstOrThrow(), {
    id: mailboxB,
    address: fx.mailboxes[0]!.address,
  });
  const contacts = (await g.api(`/users/${fx.mailboxes[0]!.simId}/contacts`).get()) as { value: unknown[] };
  expect(contacts.value).toEqual([]);
  const state = await second.prisma.actMailboxState.findUniqueOrThrow({ where: { mailboxId: mailboxB } });
  const marker = await g
    .api(`/users/${fx.mailboxes[0]!.simId}/todo/lists/${state.taskListId}/extensions/${OWNER_EXTENSION}`)
    .get();
  const deploymentB = await second.prisma.deployment.findFirstOrThrow();
  expect(marker.deploymentId).toBe(deploymentB.id);
});
