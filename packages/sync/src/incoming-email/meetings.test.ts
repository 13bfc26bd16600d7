import { useEngineHarness } from '../testing/engine-harness';
import { syncUntilIdle } from './test-support';

/**
 * Meeting requests, responses and cancellations in an Inbox are eventMessages (the simulator sends
 * them as Exchange does, graph/meetings.ts): the incoming workload does not promote them as emails.
 */
const harness = useEngineHarness('incoming-meetings', { mailboxes: 2 });

test('meeting messages are not promoted; the mail around them is', async () => {
  const { db, fx, res } = harness;
  const [organizer, attendee] = [fx.mailboxes[0]!, fx.mailboxes[1]!];
  const meeting = (await fx.sim.admin.createEvent(organizer.simId, {
    subject: 'Planning',
    start: { dateTime: '2026-07-01T10:00:00', timeZone: 'GMT Standard Time' },
    end: { dateTime: '2026-07-01T11:00:00', timeZone: 'GMT Standard Time' },
    attendees: [{ emailAddress: { address: attendee.address } }],
  })) as { id: string };
  await fx.sim.admin.inbound(attendee.simId, {
    from: 'buyer@fabrikam.test',
    to: [attendee.address],
    subject: 'Real mail',
    body: 'An order.',
    internetMessageId: '<order-1@fabrikam.test>',
  });
  // The attendee accepts in Outlook (a response to the organizer's Inbox), the organizer then cancels.
  const mailbox = await db.prisma.mailbox.findUniqueOrThrow({
    where: { id: attendee.id },
    include: { profile: true },
  });
  const graph = await res.graph.forMailbox(mailbox.profile, { id: mailbox.id, address: mailbox.address });
  const copies = (await graph.api(`/users/${attendee.simId}/events`).get()) as {
    value: Array<{ id: string }>;
  };
  expect(copies.value).toHaveLength(1);
  await fx.sim.admin.eventAction(attendee.simId, copies.value[0]!.id, 'accept', { sendResponse: true });
  await fx.sim.admin.eventAction(organizer.simId, meeting.id, 'cancel', { comment: 'Off' });

  for (const mb of [organizer, attendee]) {
    const results = await syncUntilIdle(res, mb.id);
    expect(results.every((r) => r.itemsFailed === 0)).toBe(true);
  }
  const emails = await db.prisma.emailActivity.findMany({ select: { subject: true } });
  expect(emails.map((e) => e.subject)).toEqual(['Real mail']);
  expect(await db.prisma.alert.count()).toBe(0);
  // Both meeting messages were there to be skipped (not missing from the Inbox).
  const attendeeInbox = (await fx.sim.admin.listMessages(attendee.simId, 'inbox')).value;
  expect(attendeeInbox.map((m) => m.meetingMessageType ?? 'mail').sort()).toEqual([
    'mail',
    'meetingCancelled',
    'meetingRequest',
  ]);
  const organizerInbox = (await fx.sim.admin.listMessages(organizer.simId, 'inbox')).value;
  expect(organizerInbox.map((m) => m.meetingMessageType)).toEqual(['meetingAccepted']);
});
