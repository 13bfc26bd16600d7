import type { MailboxGraph } from '@syncfleet/graph';
import type { TestDatabase } from '@syncfleet/testing';
import type { EngineResources } from '../engine/types';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { createOutgoingEmailHandler } from './processor';
import { SEND_PROTOCOL_POINTS, type SendProtocolPoint } from './hooks';
import { SimulatedCrash, throwingAt } from './testing/crash-hooks';
import {
  copiesIn,
  cycleContext,
  deliveriesByEmail,
  newEmail,
  TEST_SETTINGS,
  transportSettled,
  settledDeliveries,
} from './test-support';

/**
 * Exactly once, proven by injecting the failure at every point of the send protocol (not by
 * reasoning): the first cycle dies there (SimulatedCrash is never handled, like a killed process —
 * the database and Exchange keep whatever state they had reached), a second cycle recovers.
 * Workers killed with SIGKILL at the same points, as separate processes, are in fleet.test.ts.
 */
let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;

const harness = useEngineHarness('outgoing-crash', { mailboxes: 4, workloads: ['outgoing-email'] });
beforeAll(() => {
  ({ db, fx, res } = harness);
});

const crashingAt = (target: SendProtocolPoint) =>
  createOutgoingEmailHandler({ ...TEST_SETTINGS, hooks: throwingAt(target) });
const healthy = createOutgoingEmailHandler(TEST_SETTINGS);
/** A cycle that runs after OUTGOING_SEND_SETTLE_SEC has passed for any earlier send request. */
const afterSettle = createOutgoingEmailHandler({ ...TEST_SETTINGS, sendSettleMs: 0 });

async function expectSentOnce(mailbox: FleetFixture['mailboxes'][number], emailId: string) {
  const row = await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: emailId } });
  expect(row).toMatchObject({ status: 'Sent', internetMessageId: expect.any(String) });
  expect((await deliveriesByEmail(fx)).get(emailId)).toBe(1);
  expect(await copiesIn(fx, mailbox.simId, 'sentitems', emailId)).toHaveLength(1);
  expect(await copiesIn(fx, mailbox.simId, 'drafts', emailId)).toHaveLength(0);
  const delivered = (await settledDeliveries(fx)).find((d) => d.headers['x-syncfleet-id'] === emailId)!;
  expect(delivered.internetMessageId).toBe(row.internetMessageId);
}

describe('exactly once across a crash at every point of the send protocol', () => {
  const mailbox = () => fx.mailboxes[0]!;

  it.each(SEND_PROTOCOL_POINTS)('crash %s → recovered by the next cycle, delivered once', async (point) => {
    const e = await newEmail(db.prisma, mailbox().id);
    const ctx = await cycleContext(res, db.prisma, mailbox().id);
    await expect(crashingAt(point).run(ctx)).rejects.toBeInstanceOf(SimulatedCrash);
    const left = await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: e.id } });
    expect(left.status).toBe(point === 'after-sent-saved' ? 'Sent' : 'Sending');
    // The crash happened where it says: before the send nothing went out, after it exactly one.
    const beforeSend = [
      'after-claim',
      'after-draft-created',
      'after-draft-saved',
      'after-send-submitted',
    ].includes(point);
    expect((await deliveriesByEmail(fx)).get(e.id)).toBe(beforeSend ? undefined : 1);
    if (point === 'after-send-submitted') {
      // The send was recorded as requested but never reached Exchange: indistinguishable from one in
      // flight, so the email waits the settle time rather than risk a second send...
      expect(await healthy.run(await cycleContext(res, db.prisma, mailbox().id))).toMatchObject({
        itemsProcessed: 0,
      });
      expect((await deliveriesByEmail(fx)).get(e.id)).toBeUndefined();
    }
    // ...and after it (here: no settle time left) the draft is sent.
    const second = await afterSettle.run(await cycleContext(res, db.prisma, mailbox().id));
    expect(second.itemsFailed).toBe(0);
    await expectSentOnce(mailbox(), e.id);
    // A third cycle (a duplicate job, a replay) changes nothing.
    expect(await healthy.run(await cycleContext(res, db.prisma, mailbox().id))).toMatchObject({
      itemsProcessed: 0,
    });
    expect((await deliveriesByEmail(fx)).get(e.id)).toBe(1);
  });

  it('a crash after every point in turn, the same email: still delivered once', async () => {
    const e = await newEmail(db.prisma, fx.mailboxes[1]!.id);
    for (const point of SEND_PROTOCOL_POINTS.slice(0, 2)) {
      await expect(
        crashingAt(point).run(await cycleContext(res, db.prisma, fx.mailboxes[1]!.id)),
      ).rejects.toBeInstanceOf(SimulatedCrash);
    }
    await expect(
      crashingAt('after-send').run(await cycleContext(res, db.prisma, fx.mailboxes[1]!.id)),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    // Resumed while Exchange is still sending it: not sent again, left for a later cycle.
    expect(await healthy.run(await cycleContext(res, db.prisma, fx.mailboxes[1]!.id))).toMatchObject({
      itemsProcessed: 0,
    });
    await transportSettled(fx);
    await healthy.run(await cycleContext(res, db.prisma, fx.mailboxes[1]!.id));
    await expectSentOnce(fx.mailboxes[1]!, e.id);
    const row = await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: e.id } });
    expect(row.sendAttemptCount).toBe(5);
  });

  /**
   * Graph accepted the send but the answer was lost (a gateway timeout after the request had been
   * passed on). The send is not retried (graph-ops.ts): the email stays Sending with its send
   * requested; the next cycles see the draft still in Exchange's asynchronous send and wait, then
   * find the sent copy — delivered once, never created or sent again.
   */
  it('send accepted, answer lost → in flight, waited for, recognised as sent, not sent again', async () => {
    const mb = fx.mailboxes[2]!;
    const e = await newEmail(db.prisma, mb.id);
    const lost = (graph: MailboxGraph): MailboxGraph => ({
      ...graph,
      api: (path, options) => {
        const request = graph.api(path, options);
        if (!path.endsWith('/send')) return request;
        const post = request.post.bind(request);
        request.post = async (body: unknown) => {
          await post(body);
          throw Object.assign(new Error('gateway timeout'), { statusCode: 504, code: 'GatewayTimeout' });
        };
        return request;
      },
    });
    await expect(healthy.run(await cycleContext(res, db.prisma, mb.id, lost))).rejects.toMatchObject({
      statusCode: 504,
    });
    // Still in flight: the resumed attempt does not send again.
    expect(await healthy.run(await cycleContext(res, db.prisma, mb.id))).toMatchObject({ itemsProcessed: 0 });
    await transportSettled(fx);
    expect(await healthy.run(await cycleContext(res, db.prisma, mb.id))).toMatchObject({ itemsProcessed: 1 });
    await expectSentOnce(mb, e.id);
  });

  it('a draft deleted in Outlook before it was sent is created again and sent once', async () => {
    const mb = fx.mailboxes[3]!;
    const e = await newEmail(db.prisma, mb.id);
    await expect(
      crashingAt('after-draft-saved').run(await cycleContext(res, db.prisma, mb.id)),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    const [draft] = await copiesIn(fx, mb.simId, 'drafts', e.id);
    await fx.sim.admin.deleteMessage(mb.simId, String(draft!.id));
    await healthy.run(await cycleContext(res, db.prisma, mb.id));
    await expectSentOnce(mb, e.id);
  });
});
