import type { TestDatabase } from '@syncfleet/testing';
import type { EngineResources } from '../../engine/types';
import { useEngineHarness } from '../../testing/engine-harness';
import type { FleetFixture } from '../../testing/fleet-fixture';
import { actUntilIdle } from '../test-support';

/**
 * Series changed in Outlook (docs/act-sync.md#appointments): the calendar delta shows occurrences,
 * never their master, so a deleted occurrence arrives only as `@removed` with its id.
 */
let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;
const harness = useEngineHarness('act-occurrences', { mailboxes: 3, workloads: ['act'] });
beforeAll(async () => {
  ({ db, fx, res } = harness);
  await db.prisma.emailServerProfile.updateMany({ data: { actSettings: { appointments: true } } });
});

type GraphItem = { id: string } & Record<string, unknown>;
const mb = (i: number) => fx.mailboxes[i]!;
const day = 86_400_000;
const date = (n: number) => new Date(Date.now() + n * day).toISOString().slice(0, 10);

async function instancesOf(i: number, masterId: string): Promise<GraphItem[]> {
  const m = await db.prisma.mailbox.findUniqueOrThrow({
    where: { id: mb(i).id },
    include: { profile: true },
  });
  const g = await res.graph.forMailbox(m.profile, { id: m.id, address: m.address });
  return (
    (await g
      .api(`/users/${mb(i).simId}/events/${masterId}/instances`)
      .query({
        startDateTime: new Date(Date.now() + 5 * day).toISOString(),
        endDateTime: new Date(Date.now() + 30 * day).toISOString(),
      })
      .get()) as { value: GraphItem[] }
  ).value;
}
async function syncBoth() {
  await actUntilIdle(res, mb(0).id);
  await actUntilIdle(res, mb(1).id);
}
const seriesRecord = () =>
  db.prisma.appointment.findFirstOrThrow({ where: { type: 'SeriesMaster', deletedAt: null } });
const feedOf = async (id: string) =>
  (await db.prisma.appChange.findMany({ where: { recordId: id }, orderBy: { seq: 'asc' } })).map(
    (c) => `${c.operation}:${c.source}`,
  );

it('an occurrence deleted by the organizer in Outlook is a cancelled occurrence for everyone; series edits follow; a deleted series cancels the meeting', async () => {
  const organizerCopy = (await fx.sim.admin.createEvent(mb(0).simId, {
    subject: 'Daily stand-up',
    start: { dateTime: `${date(10)}T09:00:00`, timeZone: 'W. Europe Standard Time' },
    end: { dateTime: `${date(10)}T09:15:00`, timeZone: 'W. Europe Standard Time' },
    attendees: [{ emailAddress: { address: mb(1).address }, type: 'required' }],
    recurrence: {
      pattern: { type: 'daily', interval: 1 },
      range: { type: 'numbered', startDate: date(10), numberOfOccurrences: 5 },
    },
  })) as GraphItem;
  await syncBoth();
  const series = await seriesRecord();
  expect(await db.prisma.actLink.count({ where: { recordId: series.id } })).toBe(2);
  const occurrences = await instancesOf(0, organizerCopy.id);
  expect(occurrences).toHaveLength(5);
  const startOf = (o: GraphItem) => new Date(String(o.originalStart)).toISOString();

  // The organizer deletes the third occurrence; the attendee deletes the fifth from their copy.
  await fx.sim.admin.deleteEvent(mb(0).simId, occurrences[2]!.id);
  const attendeeMaster = (await db.prisma.actLink.findFirstOrThrow({
    where: { recordId: series.id, mailboxId: mb(1).id },
  }))!.graphItemId!;
  const attendeeOccurrences = await instancesOf(1, attendeeMaster);
  const fifth = attendeeOccurrences.find((o) => startOf(o) === startOf(occurrences[4]!))!;
  await fx.sim.admin.deleteEvent(mb(1).simId, fifth.id);
  const feedBefore = (await feedOf(series.id)).length;
  await syncBoth();
  const afterDelete = await seriesRecord();
  expect(afterDelete.id).toBe(series.id);
  expect(afterDelete.cancelledOccurrences).toEqual([startOf(occurrences[2]!)]);
  expect(afterDelete.isCancelled).toBe(false);
  expect(afterDelete.pushPending).toBe(false);
  // Exchange's cancellation on the attendee's copy is not an appointment of its own.
  expect(await db.prisma.appointment.count({ where: { type: 'Exception' } })).toBe(0);
  expect((await feedOf(series.id)).slice(feedBefore)).toEqual(['update:exchange']);

  // The organizer renames the series and shortens it to three occurrences: the fourth and fifth
  // leave the series — that is an edit of the series, not two cancelled occurrences.
  await fx.sim.admin.updateEvent(mb(0).simId, organizerCopy.id, {
    subject: 'Stand-up (short week)',
    recurrence: {
      pattern: { type: 'daily', interval: 1 },
      range: { type: 'numbered', startDate: date(10), numberOfOccurrences: 3 },
    },
  });
  await syncBoth();
  const edited = await seriesRecord();
  expect(edited.subject).toBe('Stand-up (short week)');
  expect((edited.recurrence as { range: { numberOfOccurrences: number } }).range.numberOfOccurrences).toBe(3);
  expect(edited.cancelledOccurrences).toEqual([startOf(occurrences[2]!)]);
  // Nothing went back to Exchange: the organizer's series is as Outlook left it.
  expect((await instancesOf(0, organizerCopy.id)).map(startOf)).toEqual(
    [occurrences[0]!, occurrences[1]!].map(startOf),
  );

  // An occurrence deleted while the delta state is lost: the fresh round never reports it, the
  // sweep of occurrences it did not show finds it. (The sweep also forgets occurrences the window
  // left behind.)
  await db.prisma.actOccurrence.create({
    data: {
      mailboxId: mb(0).id,
      graphItemId: 'long-past-occurrence',
      recordId: series.id,
      originalStart: new Date(Date.now() - 60 * day),
      pattern: 'p',
    },
  });
  await fx.sim.admin.deleteEvent(mb(0).simId, occurrences[1]!.id);
  await fx.sim.admin.evictDelta(mb(0).simId);
  await actUntilIdle(res, mb(0).id);
  expect(await db.prisma.actOccurrence.count({ where: { graphItemId: 'long-past-occurrence' } })).toBe(0);
  expect((await seriesRecord()).cancelledOccurrences).toEqual(
    [occurrences[2]!, occurrences[1]!].map(startOf),
  );

  // The organizer deletes the whole series: the meeting is cancelled (the Unlink policy keeps it).
  await fx.sim.admin.deleteEvent(mb(0).simId, organizerCopy.id);
  await actUntilIdle(res, mb(0).id);
  const gone = await db.prisma.appointment.findUniqueOrThrow({ where: { id: series.id } });
  expect(gone.isCancelled).toBe(true);
  expect(await db.prisma.actLink.count({ where: { recordId: series.id, mailboxId: mb(0).id } })).toBe(0);
  expect(await db.prisma.actOccurrence.count({ where: { recordId: series.id, mailboxId: mb(0).id } })).toBe(
    0,
  );
});
