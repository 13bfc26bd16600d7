import type { TestDatabase } from '@syncfleet/testing';
import type { EngineResources } from '../engine/types';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { SYNCFLEET_HEADER } from '../message-headers';
import { createOutgoingEmailHandler, type OutgoingSettings } from './processor';
import {
  copiesIn,
  cycleContext,
  deliveriesByEmail,
  newEmail,
  TEST_SETTINGS,
  settledDeliveries,
} from './test-support';

let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;

const harness = useEngineHarness('outgoing-processor', { mailboxes: 9, workloads: ['outgoing-email'] });
beforeAll(() => {
  ({ db, fx, res } = harness);
});
afterEach(() => fx.sim.admin.clearFaults());

const run = async (i: number, settings: Partial<OutgoingSettings> = {}) =>
  createOutgoingEmailHandler({ ...TEST_SETTINGS, ...settings }).run(
    await cycleContext(res, db.prisma, fx.mailboxes[i]!.id),
  );
const email = (id: string) =>
  db.prisma.emailActivity.findUniqueOrThrow({ where: { id }, include: { parties: true } });

describe('outgoing email processor', () => {
  it('sends pending emails oldest first with the header and tracking token, in two Graph requests each', async () => {
    const mb = fx.mailboxes[0]!;
    const a = await newEmail(db.prisma, mb.id, { subject: 'First' });
    const b = await newEmail(db.prisma, mb.id, { subject: 'Second', cc: ['boss@fabrikam.test'] });
    const before = await fx.sim.admin.metrics();
    expect(await run(0)).toEqual({ itemsProcessed: 2, itemsFailed: 0, yielded: false });
    const after = await fx.sim.admin.metrics();
    expect((after.byMailbox[mb.simId] ?? 0) - (before.byMailbox[mb.simId] ?? 0)).toBe(4);

    // Oldest first: sent (requested) in creation order; Exchange delivers asynchronously, in any order.
    const [ra, rb] = [await email(a.id), await email(b.id)];
    expect(ra.sendSubmittedAt!.getTime()).toBeLessThanOrEqual(rb.sendSubmittedAt!.getTime());
    const all = (await settledDeliveries(fx)).filter((d) => d.senderMailboxId === mb.simId);
    const deliveries = [a.id, b.id].map((id) => all.find((d) => d.headers[SYNCFLEET_HEADER] === id)!);
    expect(all).toHaveLength(2);
    for (const [row, delivery] of [
      [await email(a.id), deliveries[0]!],
      [await email(b.id), deliveries[1]!],
    ] as const) {
      expect(row.status).toBe('Sent');
      expect(row.trackingToken).toMatch(/^CRM:0000\d{3,}$/);
      expect(delivery.subject).toBe(`${row.subject} ${row.trackingToken}`);
      expect(row.internetMessageId).toBe(delivery.internetMessageId);
      expect(row.conversationId).toEqual(expect.any(String));
      expect(row.sentAt).toBeInstanceOf(Date);
      expect(row.sendAttemptCount).toBe(1);
    }
    expect(deliveries[1]!.cc).toEqual(['boss@fabrikam.test']);
    // A copy in Sent Items (profile default), nothing left in Drafts.
    expect(await copiesIn(fx, mb.simId, 'sentitems', a.id)).toHaveLength(1);
    expect(await copiesIn(fx, mb.simId, 'drafts', a.id)).toHaveLength(0);
  });

  it('sends at most OUTGOING_MAX_PER_CYCLE per cycle and yields while a backlog remains', async () => {
    for (let i = 0; i < 5; i++) await newEmail(db.prisma, fx.mailboxes[1]!.id);
    expect(await run(1, { maxPerCycle: 2 })).toEqual({ itemsProcessed: 2, itemsFailed: 0, yielded: true });
    expect(await run(1, { maxPerCycle: 2 })).toEqual({ itemsProcessed: 2, itemsFailed: 0, yielded: true });
    expect(await run(1, { maxPerCycle: 2 })).toEqual({ itemsProcessed: 1, itemsFailed: 0, yielded: false });
  });

  it('respects the per-mailbox send rate (Sent in the last minute counts) and waits, yielding', async () => {
    for (let i = 0; i < 5; i++) await newEmail(db.prisma, fx.mailboxes[2]!.id);
    expect(await run(2, { sendRatePerMinute: 3 })).toEqual({
      itemsProcessed: 3,
      itemsFailed: 0,
      yielded: true,
    });
    expect(await run(2, { sendRatePerMinute: 3 })).toEqual({
      itemsProcessed: 0,
      itemsFailed: 0,
      yielded: true,
    });
    // Another mailbox is not held back by this one's backlog.
    await newEmail(db.prisma, fx.mailboxes[3]!.id);
    expect(await run(3, { sendRatePerMinute: 3 })).toMatchObject({ itemsProcessed: 1 });
    // A minute later (sentAt moved back) the window has room again.
    await db.prisma.emailActivity.updateMany({
      where: { ownerMailboxId: fx.mailboxes[2]!.id, status: 'Sent' },
      data: { sentAt: new Date(Date.now() - 61_000) },
    });
    expect(await run(2, { sendRatePerMinute: 3 })).toEqual({
      itemsProcessed: 2,
      itemsFailed: 0,
      yielded: false,
    });
  });

  it('fails an email Graph rejects (400 ErrorInvalidRecipients) with the reason, and sends the next one', async () => {
    const mb = fx.mailboxes[4]!;
    const bad = await newEmail(db.prisma, mb.id);
    const good = await newEmail(db.prisma, mb.id);
    // Recipients lost after creation (e.g. deleted contacts): Graph refuses to send the draft.
    await db.prisma.emailParty.deleteMany({ where: { emailId: bad.id } });
    expect(await run(4)).toEqual({ itemsProcessed: 1, itemsFailed: 1, yielded: false });
    expect(await email(bad.id)).toMatchObject({
      status: 'Failed',
      failureReason: expect.stringMatching(/^ErrorInvalidRecipients: /),
    });
    expect((await email(good.id)).status).toBe('Sent');
    const sent = await deliveriesByEmail(fx);
    expect(sent.get(bad.id)).toBeUndefined();
    expect(sent.get(good.id)).toBe(1);
  });

  it('keeps an email Sending on a transient 503 (the cycle fails under the error policy), then sends it once', async () => {
    const mb = fx.mailboxes[5]!;
    const e = await newEmail(db.prisma, mb.id);
    await fx.sim.admin.addFault({
      scope: { mailbox: mb.simId },
      status: 503,
      retryAfterSeconds: 0,
      routes: '/send$',
      count: 20,
    });
    await expect(run(5)).rejects.toMatchObject({ statusCode: 503 });
    expect(await email(e.id)).toMatchObject({
      status: 'Sending',
      failureReason: expect.stringContaining('attempt 1: ServiceUnavailable'),
    });
    await fx.sim.admin.clearFaults();
    expect(await run(5)).toMatchObject({ itemsProcessed: 1 });
    expect(await email(e.id)).toMatchObject({ status: 'Sent', failureReason: null, sendAttemptCount: 2 });
    expect((await deliveriesByEmail(fx)).get(e.id)).toBe(1);
  });

  it('fails an email after the configured attempts when the cause stays transient', async () => {
    const mb = fx.mailboxes[6]!;
    const e = await newEmail(db.prisma, mb.id);
    await fx.sim.admin.addFault({
      scope: { mailbox: mb.simId },
      status: 503,
      retryAfterSeconds: 0,
      routes: '/messages$',
    });
    for (let i = 0; i < 3; i++)
      await expect(run(6, { maxAttempts: 3 })).rejects.toMatchObject({ statusCode: 503 });
    expect(await email(e.id)).toMatchObject({
      status: 'Failed',
      sendAttemptCount: 3,
      failureReason: expect.stringMatching(/^ServiceUnavailable: .*gave up after 3 attempts/),
    });
    expect((await deliveriesByEmail(fx)).get(e.id)).toBeUndefined();
  });

  it('keeps the subject ≤ 255 characters by cutting the subject, never the token; the token can be off', async () => {
    const mb = fx.mailboxes[7]!;
    const long = await newEmail(db.prisma, mb.id, { subject: 'x'.repeat(300) });
    await run(7);
    const sentLong = (await settledDeliveries(fx)).find((d) => d.headers[SYNCFLEET_HEADER] === long.id)!;
    const row = await email(long.id);
    expect(sentLong.subject).toHaveLength(255);
    expect(sentLong.subject.endsWith(` ${row.trackingToken}`)).toBe(true);

    const plain = await newEmail(db.prisma, mb.id, { subject: 'No token please' });
    await run(7, { trackingTokenEnabled: false });
    const sentPlain = (await settledDeliveries(fx)).find((d) => d.headers[SYNCFLEET_HEADER] === plain.id)!;
    expect(sentPlain.subject).toBe('No token please');
    expect((await email(plain.id)).trackingToken).toBeNull();
  });

  it('honours saveToSentItems = false (no copy kept) and sends attachments inline', async () => {
    const mb = fx.mailboxes[8]!;
    await db.prisma.emailServerProfile.update({
      where: { id: fx.profileId },
      data: { saveToSentItems: false },
    });
    try {
      const e = await newEmail(db.prisma, mb.id, {
        to: [fx.mailboxes[0]!.address],
        attachments: [
          { name: 'quote.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.7 quote') },
        ],
      });
      expect(await run(8)).toMatchObject({ itemsProcessed: 1 });
      expect((await deliveriesByEmail(fx)).get(e.id)).toBe(1);
      // The copy Exchange files asynchronously is removed by the next cycle (sent-copies.ts).
      expect(await run(8)).toMatchObject({ itemsProcessed: 0, yielded: false });
      expect(await copiesIn(fx, mb.simId, 'sentitems', e.id)).toHaveLength(0);
      expect(await copiesIn(fx, mb.simId, 'drafts', e.id)).toHaveLength(0);
      expect((await email(e.id)).status).toBe('Sent');
      const [received] = await copiesIn(fx, fx.mailboxes[0]!.simId, 'inbox', e.id);
      expect(received).toMatchObject({ hasAttachments: true });
    } finally {
      await db.prisma.emailServerProfile.update({
        where: { id: fx.profileId },
        data: { saveToSentItems: true },
      });
    }
  });
});
