import { incomingEnvSchema, parseEnv } from '@syncfleet/config';
import type { TestDatabase } from '@syncfleet/testing';
import type { EngineResources } from '../engine/types';
import { createIncomingEmailHandler, incomingSettingsFromEnv } from '../incoming-email';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { createOutgoingEmailHandler } from './processor';
import { cycleContext, newEmail, TEST_SETTINGS } from './test-support';

/**
 * Issue 6 acceptance: replies from recipients to mail the outgoing workload sent are promoted by the
 * incoming workload and inherit the original's "regarding" — by In-Reply-To, and by the tracking
 * token alone (a client that drops thread headers).
 */
let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;

const harness = useEngineHarness('outgoing-replies', {
  mailboxes: 2,
  workloads: ['outgoing-email', 'incoming-email'],
});
beforeAll(() => {
  ({ db, fx, res } = harness);
});

const outgoing = createOutgoingEmailHandler(TEST_SETTINGS);
const incoming = createIncomingEmailHandler(
  incomingSettingsFromEnv(parseEnv(incomingEnvSchema, { TRACKING_TOKEN_PREFIX: 'CRM' })),
);

async function send(mailboxIndex: number, regardingId: string) {
  const mb = fx.mailboxes[mailboxIndex]!;
  const e = await newEmail(db.prisma, mb.id, {
    subject: `Proposal ${regardingId}`,
    to: ['customer@fabrikam.test'],
    regarding: { type: 'opportunity', id: regardingId },
  });
  await outgoing.run(await cycleContext(res, db.prisma, mb.id));
  return db.prisma.emailActivity.findUniqueOrThrow({ where: { id: e.id } });
}

async function syncInbox(mailboxIndex: number) {
  const ctx = await cycleContext(res, db.prisma, fx.mailboxes[mailboxIndex]!.id);
  await incoming.run({ ...ctx, workload: 'incoming-email' });
}

const promoted = (internetMessageId: string) =>
  db.prisma.emailActivity.findUnique({ where: { internetMessageId } });

it('a reply with In-Reply-To is promoted and linked to the original regarding', async () => {
  const original = await send(0, 'opp-1');
  expect(original.status).toBe('Sent');
  const reply = await fx.sim.admin.inbound(fx.mailboxes[0]!.simId, {
    from: 'customer@fabrikam.test',
    to: [fx.mailboxes[0]!.address],
    subject: `RE: ${original.subject}`,
    body: 'Looks good.',
    inReplyTo: original.internetMessageId!,
    references: original.internetMessageId!,
  });
  await syncInbox(0);
  expect(await promoted(reply.internetMessageId)).toMatchObject({
    direction: 'Incoming',
    regardingType: 'opportunity',
    regardingId: 'opp-1',
  });
  // The app's own sent mail is not promoted again as a second activity.
  expect(
    await db.prisma.emailActivity.count({ where: { internetMessageId: original.internetMessageId } }),
  ).toBe(1);
});

it('a reply carrying only the tracking token in its subject is promoted and linked too', async () => {
  const original = await send(1, 'opp-2');
  expect(original.trackingToken).toMatch(/^CRM:\d+$/);
  const reply = await fx.sim.admin.inbound(fx.mailboxes[1]!.simId, {
    from: 'customer@fabrikam.test',
    to: [fx.mailboxes[1]!.address],
    subject: `Antw: Proposal ${original.trackingToken}`,
    body: 'Sent from a phone that drops thread headers.',
  });
  await syncInbox(1);
  expect(await promoted(reply.internetMessageId)).toMatchObject({
    direction: 'Incoming',
    regardingType: 'opportunity',
    regardingId: 'opp-2',
  });
});
