import { OUTGOING_CRASH_POINTS, type OutgoingCrashPoint } from '@syncfleet/config';
import type { MailboxGraph } from '@syncfleet/graph';
import type { TestDatabase } from '@syncfleet/testing';
import type { EngineResources } from '../engine/types';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { createOutgoingEmailHandler } from './processor';
import { SimulatedCrash } from './send-one';
import { copiesIn, cycleContext, deliveriesByEmail, newEmail, TEST_SETTINGS } from './test-support';

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

const crashingAt = (target: OutgoingCrashPoint) =>
  createOutgoingEmailHandler({
    ...TEST_SETTINGS,
    crash: (point) => {
      if (point === target) throw new SimulatedCrash(point);
    },
  });
const healthy = createOutgoingEmailHandler(TEST_SETTINGS);

async function expectSentOnce(mailbox: FleetFixture['mailboxes'][number], emailId: string) {
  const row = await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: emailId } });
  expect(row).toMatchObject({ status: 'Sent', internetMessageId: expect.any(String) });
  expect((await deliveriesByEmail(fx)).get(emailId)).toBe(1);
  expect(await copiesIn(fx, mailbox.simId, 'sentitems', emailId)).toHaveLength(1);
  expect(await copiesIn(fx, mailbox.simId, 'drafts', emailId)).toHaveLength(0);
  const delivered = (await fx.sim.admin.deliveries()).find((d) => d.headers['x-syncfleet-id'] === emailId)!;
  expect(delivered.internetMessageId).toBe(row.internetMessageId);
}

describe('exactly once across a crash at every point of the send protocol', () => {
  const mailbox = () => fx.mailboxes[0]!;

  it.each(OUTGOING_CRASH_POINTS)('crash %s → recovered by the next cycle, delivered once', async (point) => {
    const e = await newEmail(db.prisma, mailbox().id);
    const ctx = await cycleContext(res, db.prisma, mailbox().id);
    await expect(crashingAt(point).run(ctx)).rejects.toBeInstanceOf(SimulatedCrash);
    const left = await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: e.id } });
    expect(left.status).toBe(point === 'after-sent-saved' ? 'Sent' : 'Sending');
    // The crash happened where it says: before the send nothing went out, after it exactly one.
    const beforeSend = ['after-claim', 'after-draft-created', 'after-draft-saved'].includes(point);
    expect((await deliveriesByEmail(fx)).get(e.id)).toBe(beforeSend ? undefined : 1);

    const second = await healthy.run(await cycleContext(res, db.prisma, mailbox().id));
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
    for (const point of OUTGOING_CRASH_POINTS.slice(0, 2)) {
      await expect(
        crashingAt(point).run(await cycleContext(res, db.prisma, fx.mailboxes[1]!.id)),
      ).rejects.toBeInstanceOf(SimulatedCrash);
    }
    await expect(
      crashingAt('after-send').run(await cycleContext(res, db.prisma, fx.mailboxes[1]!.id)),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    await healthy.run(await cycleContext(res, db.prisma, fx.mailboxes[1]!.id));
    await expectSentOnce(fx.mailboxes[1]!, e.id);
    const row = await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: e.id } });
    expect(row.sendAttemptCount).toBe(4);
  });

  /**
   * Graph accepted the send but the answer was lost, and the request was sent again (what the Graph
   * client's retry middleware does after a 504 from a gateway that had passed the request on):
   * the second POST /send finds no draft (404), and the lookup by internetMessageId says "sent".
   */
  it('send accepted, answer lost, send retried → 404 → recognised as sent, not created again', async () => {
    const mb = fx.mailboxes[2]!;
    const e = await newEmail(db.prisma, mb.id);
    const resend = (graph: MailboxGraph): MailboxGraph => ({
      ...graph,
      api: (path: string) => {
        const request = graph.api(path);
        if (!path.endsWith('/send')) return request;
        const post = request.post.bind(request);
        request.post = async (body: unknown) => {
          await post(body);
          return graph.api(path).post(body); // the retry of a request that had in fact succeeded
        };
        return request;
      },
    });
    expect(await healthy.run(await cycleContext(res, db.prisma, mb.id, resend))).toMatchObject({
      itemsProcessed: 1,
      itemsFailed: 0,
    });
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
