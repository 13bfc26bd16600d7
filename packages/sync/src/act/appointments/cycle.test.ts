import type { TestDatabase } from '@syncfleet/testing';
import { DateTime } from 'luxon';
import type { EngineResources } from '../../engine/types';
import { useEngineHarness } from '../../testing/engine-harness';
import type { FleetFixture } from '../../testing/fleet-fixture';
import { actUntilIdle, runActOnce } from '../test-support';
import { createAppointment, deleteAppointment, updateAppointment } from './records';
import { ORGANIZER_NOT_SYNCED } from './push';

let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;
const harness = useEngineHarness('act-appointments', { mailboxes: 4, workloads: ['act'] });
beforeAll(async () => {
  ({ db, fx, res } = harness);
  await db.prisma.emailServerProfile.updateMany({ data: { actSettings: { appointments: true } } });
});

type GraphItem = { id: string } & Record<string, unknown>;
const mb = (i: number) => fx.mailboxes[i]!;
const owner = (i: number) => ({ ownerType: 'User' as const, ownerId: `user-${i}` });
const day = 86_400_000;
/** A wall time N days from now at 10:00 (the window is 30 days back, 365 ahead of the real clock). */
const inDays = (n: number, hour = 10) => {
  const d = new Date(Date.now() + n * day);
  return `${d.toISOString().slice(0, 10)}T${String(hour).padStart(2, '0')}:00:00`;
};

async function graphOf(i: number) {
  const m = await db.prisma.mailbox.findUniqueOrThrow({
    where: { id: mb(i).id },
    include: { profile: true },
  });
  return res.graph.forMailbox(m.profile, { id: m.id, address: m.address });
}
async function eventsOf(i: number): Promise<GraphItem[]> {
  const g = await graphOf(i);
  return (
    (await g
      .api(`/users/${mb(i).simId}/events`)
      .top(999)
      .get()) as { value: GraphItem[] }
  ).value;
}
const setPolicy = (actInvitationPolicy: 'All' | 'InternalOnly' | 'None') =>
  db.prisma.emailServerProfile.updateMany({ data: { actInvitationPolicy } });
const meetingDeliveries = async (since: number) =>
  (await fx.sim.admin.deliveries()).filter((d) => d.via.startsWith('meeting')).slice(since);
const attendeesOf = (e: GraphItem) =>
  ((e.attendees as Array<{ emailAddress: { address: string } }>) ?? []).map((a) => a.emailAddress.address);

describe('ACT appointments cycle', () => {
  it('writes an app meeting only into its organizer calendar, invites only internal attendees (InternalOnly), links every attendee copy to ONE appointment and brings responses back', async () => {
    await setPolicy('InternalOnly');
    const sent = (await meetingDeliveries(0)).length;
    const a = await createAppointment(db.prisma, owner(0), {
      subject: 'Pipeline review',
      start: { dateTime: inDays(10, 9), timeZone: 'Pacific Standard Time' },
      end: { dateTime: inDays(10, 10), timeZone: 'Pacific Standard Time' },
      attendees: [{ address: mb(1).address }, { address: 'buyer@fabrikam.test' }],
    });
    await actUntilIdle(res, mb(0).id);
    const organizerEvents = (await eventsOf(0)).filter((e) => e.subject === 'Pipeline review');
    expect(organizerEvents).toHaveLength(1);
    const event = organizerEvents[0]!;
    expect(attendeesOf(event)).toEqual([mb(1).address.toLowerCase()]);
    expect(event.transactionId).toBe(a.id);
    // The same instant in Exchange (rendered in UTC) as in the app; the organizer's zone is kept.
    expect(Date.parse(`${String((event.start as { dateTime: string }).dateTime).slice(0, 23)}Z`)).toBe(
      a.startAt.getTime(),
    );
    expect(event.originalStartTimeZone).toBe('Pacific Standard Time');
    // Exactly one meeting request, and no external address in it.
    const requests = await meetingDeliveries(sent);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.to).toEqual([mb(1).address.toLowerCase()]);
    expect(requests[0]!.deliveredTo).toEqual([mb(1).simId]);

    // The attendee's tentative copy links to the SAME appointment.
    await actUntilIdle(res, mb(1).id);
    expect(await db.prisma.appointment.count({ where: { subject: 'Pipeline review' } })).toBe(1);
    const links = await db.prisma.actLink.findMany({ where: { kind: 'appointment', recordId: a.id } });
    expect(links.map((l) => l.mailboxId).sort()).toEqual([mb(0).id, mb(1).id].sort());
    const stored = await db.prisma.appointment.findUniqueOrThrow({ where: { id: a.id } });
    expect(stored.iCalUId).toBe(event.iCalUId);

    // The attendee accepts in Outlook and edits their copy: the response comes back, the edit does not.
    const copy = (await eventsOf(1)).find((e) => e.iCalUId === event.iCalUId)!;
    await fx.sim.admin.eventAction(mb(1).simId, copy.id, 'accept');
    await fx.sim.admin.updateEvent(mb(1).simId, copy.id, { subject: 'My own title' });
    await actUntilIdle(res, mb(1).id);
    await actUntilIdle(res, mb(0).id);
    const after = await db.prisma.appointment.findUniqueOrThrow({
      where: { id: a.id },
      include: { parties: true },
    });
    expect(after.subject).toBe('Pipeline review');
    expect(after.parties.find((p) => p.address === mb(1).address.toLowerCase())?.responseStatus).toBe(
      'Accepted',
    );
    expect(after.parties.map((p) => p.address)).toContain('buyer@fabrikam.test');
    expect((await eventsOf(0)).find((e) => e.id === event.id)?.subject).toBe('Pipeline review');

    // An app edit is one more meeting request (still internal only); deleting cancels it in Exchange.
    const before = (await meetingDeliveries(0)).length;
    await updateAppointment(db.prisma, a.id, { location: 'Room 7' });
    await actUntilIdle(res, mb(0).id);
    const update = await meetingDeliveries(before);
    expect(update.map((d) => [d.via, d.to])).toEqual([['meetingRequest', [mb(1).address.toLowerCase()]]]);
    await deleteAppointment(db.prisma, a.id);
    await actUntilIdle(res, mb(0).id);
    expect((await eventsOf(0)).some((e) => e.id === event.id)).toBe(false);
    expect((await meetingDeliveries(before)).map((d) => d.via)).toEqual([
      'meetingRequest',
      'meetingCancellation',
    ]);
  });

  it('invitation policy All invites external attendees exactly once per change; None writes the meeting without attendees', async () => {
    await setPolicy('All');
    const start = (await meetingDeliveries(0)).length;
    const a = await createAppointment(db.prisma, owner(2), {
      subject: 'Supplier call',
      start: { dateTime: inDays(20, 15), timeZone: 'Tokyo Standard Time' },
      end: { dateTime: inDays(20, 16), timeZone: 'Tokyo Standard Time' },
      attendees: [{ address: 'vendor@fabrikam.test' }, { address: mb(3).address }],
    });
    await actUntilIdle(res, mb(2).id);
    await updateAppointment(db.prisma, a.id, { subject: 'Supplier call (agenda)' });
    await actUntilIdle(res, mb(2).id);
    const all = await meetingDeliveries(start);
    const external = (to: string[]) => to.filter((x) => x.endsWith('@fabrikam.test'));
    expect(all.map((d) => [d.via, external(d.to)])).toEqual([
      ['meetingRequest', ['vendor@fabrikam.test']],
      ['meetingRequest', ['vendor@fabrikam.test']],
    ]);

    await setPolicy('None');
    const none = (await meetingDeliveries(0)).length;
    await createAppointment(db.prisma, owner(2), {
      subject: 'Quiet meeting',
      start: { dateTime: inDays(21), timeZone: 'UTC' },
      end: { dateTime: inDays(21, 11), timeZone: 'UTC' },
      attendees: [{ address: 'vendor@fabrikam.test' }, { address: mb(3).address }],
    });
    await actUntilIdle(res, mb(2).id);
    const quiet = (await eventsOf(2)).find((e) => e.subject === 'Quiet meeting')!;
    expect(attendeesOf(quiet)).toEqual([]);
    expect(await meetingDeliveries(none)).toEqual([]);
    await setPolicy('InternalOnly');
  });

  it('Outlook series stay one series with their exception; leaving the window is not a delete; an organizer without a mailbox gets one Warning alert', async () => {
    // Weekly on the weekday 300 days from now, 4 times, in Berlin time (crosses a DST change in
    // most years' windows; the times are compared as instants either way).
    const first = inDays(300, 9);
    const weekday = new Date(`${first}Z`).getUTCDay();
    const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
    const series = await fx.sim.admin.createEvent(mb(3).simId, {
      subject: 'Weekly sync',
      start: { dateTime: first, timeZone: 'W. Europe Standard Time' },
      end: { dateTime: first.replace('T09', 'T10'), timeZone: 'W. Europe Standard Time' },
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: [days[weekday]] },
        range: { type: 'numbered', startDate: first.slice(0, 10), numberOfOccurrences: 4 },
      },
    });
    const g = await graphOf(3);
    const instances = (
      (await g
        .api(`/users/${mb(3).simId}/events/${String(series.id)}/instances`)
        .query({
          startDateTime: new Date(Date.now() + 299 * day).toISOString(),
          endDateTime: new Date(Date.now() + 330 * day).toISOString(),
        })
        .get()) as { value: GraphItem[] }
    ).value;
    expect(instances).toHaveLength(4);
    await fx.sim.admin.updateEvent(mb(3).simId, instances[1]!.id, { subject: 'Weekly sync (moved)' });
    await actUntilIdle(res, mb(3).id);
    const masters = await db.prisma.appointment.findMany({
      where: { subject: 'Weekly sync', ownerId: 'user-3' },
    });
    expect(masters.map((m) => m.type)).toEqual(['SeriesMaster']);
    expect(masters[0]!.recurrence).toMatchObject({
      pattern: { type: 'weekly' },
      range: { numberOfOccurrences: 4 },
    });
    const exceptions = await db.prisma.appointment.findMany({ where: { seriesMasterId: masters[0]!.id } });
    expect(exceptions.map((e) => [e.type, e.subject, e.originalStartAt?.toISOString()])).toEqual([
      ['Exception', 'Weekly sync (moved)', new Date(String(instances[1]!.originalStart)).toISOString()],
    ]);
    expect(
      await db.prisma.appointment.count({ where: { ownerId: 'user-3', subject: { startsWith: 'Weekly' } } }),
    ).toBe(2);

    // A single meeting moved out of the window in Outlook: still there, not a delete.
    const single = await fx.sim.admin.createEvent(mb(3).simId, {
      subject: 'Far away',
      start: { dateTime: inDays(5), timeZone: 'UTC' },
      end: { dateTime: inDays(5, 11), timeZone: 'UTC' },
    });
    await actUntilIdle(res, mb(3).id);
    const far = await db.prisma.appointment.findUniqueOrThrow({ where: { iCalUId: String(single.iCalUId) } });
    await fx.sim.admin.updateEvent(mb(3).simId, String(single.id), {
      start: { dateTime: inDays(500), timeZone: 'UTC' },
      end: { dateTime: inDays(500, 11), timeZone: 'UTC' },
    });
    await actUntilIdle(res, mb(3).id);
    const still = await db.prisma.appointment.findUniqueOrThrow({ where: { id: far.id } });
    expect({ deleted: still.deletedAt, cancelled: still.isCancelled }).toEqual({
      deleted: null,
      cancelled: false,
    });
    expect(await db.prisma.actLink.count({ where: { recordId: far.id, mailboxId: mb(3).id } })).toBe(1);

    // The seed's service account: an organizer with no mailbox. Not synced; ONE Warning alert.
    const svc = await createAppointment(db.prisma, owner(3), {
      subject: 'Booked by the service account',
      organizer: { address: 'svc-booking@contoso.test' },
      start: { dateTime: inDays(3), timeZone: 'UTC' },
      end: { dateTime: inDays(3, 11), timeZone: 'UTC' },
      attendees: [{ address: mb(3).address }],
    });
    await actUntilIdle(res, mb(3).id);
    await updateAppointment(db.prisma, svc.id, { location: 'Lobby' });
    await actUntilIdle(res, mb(3).id);
    await actUntilIdle(res, mb(3).id);
    const alerts = await db.prisma.alert.findMany({ where: { code: ORGANIZER_NOT_SYNCED } });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'Warning', mailboxId: mb(3).id });
    expect(alerts[0]!.message).toContain(svc.id);
    expect(alerts[0]!.message).toContain('svc-booking@contoso.test has no synced mailbox');
    expect((await eventsOf(3)).some((e) => e.subject === 'Booked by the service account')).toBe(false);
  });

  it('an app series goes to Exchange as ONE series; its exception and its cancelled occurrence land on the right occurrences', async () => {
    const first = inDays(200, 9);
    const weekday = new Date(`${first}Z`).getUTCDay();
    const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
    const master = await createAppointment(db.prisma, owner(0), {
      subject: 'Team planning',
      start: { dateTime: first, timeZone: 'W. Europe Standard Time' },
      end: { dateTime: first.replace('T09', 'T10'), timeZone: 'W. Europe Standard Time' },
      attendees: [{ address: mb(1).address }],
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: [days[weekday]!] },
        range: { type: 'numbered', startDate: first.slice(0, 10), numberOfOccurrences: 4 },
      },
    });
    await actUntilIdle(res, mb(0).id);
    const wall = DateTime.fromISO(first, { zone: 'Europe/Berlin' });
    const occurrence = (n: number) => wall.plus({ weeks: n }).toUTC().toISO()!;
    await createAppointment(db.prisma, owner(0), {
      subject: 'Team planning (offsite)',
      seriesMasterId: master.id,
      originalStart: occurrence(1),
      start: {
        dateTime: wall.plus({ weeks: 1, hours: 2 }).toFormat("yyyy-LL-dd'T'HH:mm:ss"),
        timeZone: 'Europe/Berlin',
      },
      end: {
        dateTime: wall.plus({ weeks: 1, hours: 3 }).toFormat("yyyy-LL-dd'T'HH:mm:ss"),
        timeZone: 'Europe/Berlin',
      },
    });
    await updateAppointment(db.prisma, master.id, { cancelledOccurrences: [occurrence(2)] });
    await actUntilIdle(res, mb(0).id);

    const series = (await eventsOf(0)).filter((e) => String(e.subject).startsWith('Team planning'));
    expect(series.map((e) => e.type)).toEqual(['seriesMaster']);
    const g = await graphOf(0);
    const instances = (
      (await g
        .api(`/users/${mb(0).simId}/events/${series[0]!.id}/instances`)
        .query({
          startDateTime: new Date(Date.now() + 199 * day).toISOString(),
          endDateTime: new Date(Date.now() + 240 * day).toISOString(),
        })
        .get()) as { value: GraphItem[] }
    ).value;
    expect(
      instances.map((i) => [new Date(String(i.originalStart)).toISOString(), i.type, i.subject]),
    ).toEqual([
      [new Date(occurrence(0)).toISOString(), 'occurrence', 'Team planning'],
      [new Date(occurrence(1)).toISOString(), 'exception', 'Team planning (offsite)'],
      [new Date(occurrence(3)).toISOString(), 'occurrence', 'Team planning'],
    ]);
    // Still one master and one exception in the app after the round trip.
    expect(
      await db.prisma.appointment.count({
        where: { subject: { startsWith: 'Team planning' }, deletedAt: null },
      }),
    ).toBe(2);
  });

  it('an attendee copy imported before the organizer recorded its create folds into the ONE appointment', async () => {
    await setPolicy('InternalOnly');
    const first = inDays(150, 14);
    const weekday = new Date(`${first}Z`).getUTCDay();
    const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
    const wall = DateTime.fromISO(first, { zone: 'Asia/Tokyo' });
    const a = await createAppointment(db.prisma, owner(2), {
      subject: 'Lost answer',
      start: { dateTime: first, timeZone: 'Tokyo Standard Time' },
      end: { dateTime: first.replace('T14', 'T15'), timeZone: 'Tokyo Standard Time' },
      attendees: [{ address: mb(3).address }],
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: [days[weekday]!] },
        range: { type: 'numbered', startDate: first.slice(0, 10), numberOfOccurrences: 3 },
      },
      cancelledOccurrences: [wall.plus({ weeks: 1 }).toUTC().toISO()!],
    });
    // The organizer's cycle creates the series, then fails before it records Graph's answer (its
    // next Graph call, the cancelled occurrence's lookup, fails): the create's answer is lost.
    const fault = await fx.sim.admin.addFault({
      scope: { mailbox: mb(2).simId },
      routes: '/instances',
      status: 500,
    });
    await expect(runActOnce(res, mb(2).id)).rejects.toThrow();
    await fx.sim.admin.removeFault(fault.id);
    expect((await db.prisma.appointment.findUniqueOrThrow({ where: { id: a.id } })).iCalUId).toBeNull();

    // The attendee's cycle meets its copy first: no appointment knows the iCalUId yet.
    await actUntilIdle(res, mb(3).id);
    expect(await db.prisma.appointment.count({ where: { subject: 'Lost answer', deletedAt: null } })).toBe(2);
    const copy = (await eventsOf(3)).find((e) => e.subject === 'Lost answer')!;
    await fx.sim.admin.eventAction(mb(3).simId, copy.id, 'accept');
    await actUntilIdle(res, mb(3).id);

    // The organizer's next cycle finds its event by transactionId: the import folds into the app's.
    await actUntilIdle(res, mb(2).id);
    await actUntilIdle(res, mb(3).id);
    const live = await db.prisma.appointment.findMany({
      where: { subject: 'Lost answer', deletedAt: null },
      include: { parties: true },
    });
    expect(live.map((x) => x.id)).toEqual([a.id]);
    expect(live[0]!.iCalUId).toBe(copy.iCalUId);
    expect(live[0]!.parties.find((p) => p.mailboxId === mb(3).id)?.responseStatus).toBe('Accepted');
    const links = await db.prisma.actLink.findMany({ where: { kind: 'appointment', recordId: a.id } });
    expect(links.map((l) => l.mailboxId).sort()).toEqual([mb(2).id, mb(3).id].sort());
    const folded = await db.prisma.appointment.findFirstOrThrow({
      where: { subject: 'Lost answer', id: { not: a.id } },
    });
    expect(folded.deletedAt).not.toBeNull();
    // The attendee's followed occurrences now name the one series.
    expect(await db.prisma.actOccurrence.count({ where: { recordId: folded.id } })).toBe(0);
    expect(
      await db.prisma.actOccurrence.count({ where: { recordId: a.id, mailboxId: mb(3).id } }),
    ).toBeGreaterThan(0);
    const feed = await db.prisma.appChange.findMany({ where: { recordId: folded.id } });
    expect(feed.map((c) => c.operation)).toEqual(['create', 'delete']);
    // Exchange holds one series, created once, with its cancelled occurrence gone.
    const series = (await eventsOf(2)).filter((e) => e.subject === 'Lost answer');
    expect(series).toHaveLength(1);
    const g = await graphOf(2);
    const instances = (
      (await g
        .api(`/users/${mb(2).simId}/events/${series[0]!.id}/instances`)
        .query({
          startDateTime: new Date(Date.now() + 140 * day).toISOString(),
          endDateTime: new Date(Date.now() + 180 * day).toISOString(),
        })
        .get()) as { value: GraphItem[] }
    ).value;
    expect(instances.map((i) => new Date(String(i.originalStart)).toISOString())).toEqual([
      wall.toUTC().toISO({ suppressMilliseconds: false }),
      wall.plus({ weeks: 2 }).toUTC().toISO({ suppressMilliseconds: false }),
    ]);
  });
});
