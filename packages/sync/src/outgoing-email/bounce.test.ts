import { incomingEnvSchema, parseEnv } from '@syncfleet/config';
import type { TestDatabase } from '@syncfleet/testing';
import type { EngineResources } from '../engine/types';
import { createIncomingEmailHandler, incomingSettingsFromEnv } from '../incoming-email';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { createOutgoingEmailHandler } from './processor';
import { cycleContext, newEmail, TEST_SETTINGS, transportSettled } from './test-support';

/**
 * Asynchronous sending: an unknown recipient is accepted (202) and answered later by a
 * non-delivery report in the sender's Inbox. The incoming workload marks the email Bounced with a
 * Warning alert, and never promotes the report as mail.
 */
let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;

const harness = useEngineHarness('outgoing-bounce', {
  mailboxes: 2,
  workloads: ['outgoing-email', 'incoming-email'],
});
beforeAll(() => {
  ({ db, fx, res } = harness);
});

const outgoing = createOutgoingEmailHandler(TEST_SETTINGS);
const incoming = createIncomingEmailHandler({
  ...incomingSettingsFromEnv(parseEnv(incomingEnvSchema, {})),
  defaultFilter: 'All',
});

it('an NDR marks the email Bounced (Warning alert), is not promoted, and a replay changes nothing', async () => {
  const mb = fx.mailboxes[0]!;
  const e = await newEmail(db.prisma, mb.id, { subject: 'Offer', to: ['nobody@contoso.test'] });
  const ok = await newEmail(db.prisma, mb.id, { subject: 'Fine', to: [fx.mailboxes[1]!.address] });
  await outgoing.run(await cycleContext(res, db.prisma, mb.id));
  expect((await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: e.id } })).status).toBe('Sent');
  await transportSettled(fx);

  const syncInbox = async () => {
    const ctx = await cycleContext(res, db.prisma, mb.id);
    return incoming.run({ ...ctx, workload: 'incoming-email' });
  };
  expect(await syncInbox()).toMatchObject({ itemsFailed: 0 });
  const row = await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: e.id } });
  expect(row).toMatchObject({
    status: 'Bounced',
    failureReason: expect.stringMatching(/^Non-delivery report: Undeliverable: Offer/),
  });
  expect((await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: ok.id } })).status).toBe('Sent');
  const alerts = await db.prisma.alert.findMany({ where: { mailboxId: mb.id } });
  expect(alerts).toEqual([
    expect.objectContaining({ severity: 'Warning', code: 'EmailBounced', workload: 'OutgoingEmail' }),
  ]);
  // The report is not an email activity, and nothing else came in.
  expect(await db.prisma.emailActivity.count({ where: { direction: 'Incoming' } })).toBe(0);

  // A replay of the report (new round after lost sync state) raises nothing new.
  await fx.sim.admin.evictDelta(mb.simId);
  await syncInbox();
  expect(await db.prisma.alert.count({ where: { mailboxId: mb.id } })).toBe(1);
});
