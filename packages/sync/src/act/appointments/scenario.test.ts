import { Redis } from 'ioredis';
import {
  createTestDatabase,
  startPrivateRedis,
  waitFor,
  type PrivateRedis,
  type TestDatabase,
} from '@syncfleet/testing';
import { stopAll } from '@syncfleet/testing/processes';
import { actScenarioFleet } from '../scenario-fleet';
import type { EngineResources } from '../../engine/types';
import { testEngineResources } from '../../testing/engine-resources';
import { createFleetFixture, type FleetFixture } from '../../testing/fleet-fixture';
import { ORGANIZER_NOT_SYNCED } from './push';
import { createAppointment, deleteAppointment, updateAppointment } from './records';
import { ianaZone } from './time';
import { DateTime } from 'luxon';

/**
 * Appointments acceptance (docs/act-sync.md#appointments): 10 mailboxes; APPT_SCENARIO_ITEMS appointments (default 200, the size),
 * half created in the app, half by users in Outlook: singles in three time zones (one across the US
 * DST change of March 2027), all-day events, internal meetings with 3 synced attendees, meetings
 * with an external attendee, weekly series (the app's with an exception and a cancelled
 * occurrence), and appointments whose organizer has no mailbox; then edits and deletes on both
 * sides; workers as OS processes, three killed with -9 mid-sync, the delta state evicted once. The
 * end state must be exactly the expected one, and under InternalOnly no meeting message may go to
 * an external address (the simulator's delivery log).
 */
const MAILBOXES = 10;
const ITEMS = Number(process.env.APPT_SCENARIO_ITEMS ?? 200);
const LOCK_MS = 3_000;
const DAY = 86_400_000;
const EXTERNAL = /@fabrikam\.test$/;

let db: TestDatabase;
let redisServer: PrivateRedis;
let redis: Redis;
let fx: FleetFixture;
let res: EngineResources;
const { processes, startWorker, startScheduler, killOneWorkerMidSync } = actScenarioFleet({
  prefix: 'apptscenario',
  lockMs: LOCK_MS,
  stores: () => ({ db, redisUrl: redisServer.url, fx }),
});

const owner = (i: number) => ({ ownerType: 'User' as const, ownerId: `user-${i}` });
type Item = { id: string } & Record<string, unknown>;
const sim = (i: number) => fx.mailboxes[i]!.simId;
const address = (i: number) => fx.mailboxes[i % MAILBOXES]!.address.toLowerCase();

async function graphOf(i: number) {
  const m = await db.prisma.mailbox.findUniqueOrThrow({
    where: { id: fx.mailboxes[i]!.id },
    include: { profile: true },
  });
  return res.graph.forMailbox(m.profile, { id: m.id, address: m.address });
}
/** The meetings a mailbox organizes (singles and series masters), as `/events` lists them. */
async function organizedIn(i: number): Promise<Item[]> {
  const g = await graphOf(i);
  const out: Item[] = [];
  let url: string | undefined = `/users/${sim(i)}/events`;
  while (url) {
    const page = (await g.api(url).top(999).get()) as { value: Item[]; '@odata.nextLink'?: string };
    out.push(...page.value);
    url = page['@odata.nextLink'];
  }
  return out.filter((e) => e.isOrganizer === true);
}

async function settled(): Promise<boolean> {
  return (await db.prisma.appointment.count({ where: { pushPending: true } })) === 0;
}

/** Waits until nothing is left to push; on time-out the error lists what is still pending. */
async function waitSettled(description: string) {
  try {
    await waitFor(settled, { timeoutMs: 180_000, intervalMs: 250, description });
  } catch (error) {
    const left = await db.prisma.appointment.findMany({ where: { pushPending: true }, take: 5 });
    const links = await db.prisma.actLink.findMany({ where: { recordId: { in: left.map((a) => a.id) } } });
    const runs = await db.prisma.syncRun.findMany({
      where: { outcome: { not: 'Success' } },
      orderBy: { startedAt: 'desc' },
      take: 3,
    });
    console.error(JSON.stringify(runs, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    // The fleet's own account of failed cycles (the error and its SQLSTATE or Graph code).
    for (const p of processes)
      for (const line of p.output().split('\n'))
        if (line.includes('"msg":"cycle failed"')) console.error(`[${p.name}] ${line.slice(0, 2_000)}`);
    throw new Error(
      `${(error as Error).message}: ${JSON.stringify(left.map((a) => [a.subject, a.type, a.ownerId]))} ${JSON.stringify(links.map((l) => [l.syncState, l.lastError, l.graphItemId]))}`,
      { cause: error },
    );
  }
}

async function setAct(enabled: boolean) {
  await db.prisma.mailboxWorkload.updateMany({
    where: { workload: 'Act' },
    data: enabled ? { enabled: true, nextDueAt: new Date() } : { enabled: false },
  });
  if (!enabled) {
    await waitFor(
      async () => (await db.prisma.mailboxWorkload.count({ where: { processingState: 'Processing' } })) === 0,
      { timeoutMs: 30_000, description: 'running cycles finished' },
    );
  }
}

async function fullCycleEverywhereAfter(at: Date) {
  await waitFor(
    async () =>
      (
        await db.prisma.syncRun.groupBy({
          by: ['mailboxId'],
          where: { outcome: 'Success', startedAt: { gt: at } },
        })
      ).length === MAILBOXES,
    { timeoutMs: 60_000, intervalMs: 200, description: 'a full ACT cycle everywhere' },
  );
}

/** A wall time N days from now (the window is 30 days back, 365 ahead of the real clock). */
const inDays = (n: number, hour = 10) => {
  const d = new Date(Date.now() + n * DAY);
  return `${d.toISOString().slice(0, 10)}T${String(hour).padStart(2, '0')}:00:00`;
};
const ZONES = ['Pacific Standard Time', 'W. Europe Standard Time', 'Tokyo Standard Time'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

beforeAll(async () => {
  [db, redisServer] = await Promise.all([createTestDatabase('apptscenario'), startPrivateRedis()]);
  fx = await createFleetFixture(db.prisma, {
    mailboxes: MAILBOXES,
    maxConcurrentConnections: 10,
    workloads: ['act'],
    simConfig: { defaultLatencyMs: 5 },
  });
  await db.prisma.emailServerProfile.update({
    where: { id: fx.profileId },
    data: {
      actSettings: { appointments: true, pageSize: 20, maxItemsPerCycle: 60 },
      actInvitationPolicy: 'InternalOnly',
    },
  });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  res = testEngineResources(fx, { prisma: db.prisma, redis, prefix: 'apptscenario-test' });
}, 60_000);

afterAll(async () => {
  await stopAll(processes);
  redis?.disconnect();
  await fx?.close();
  await Promise.all([db?.drop(), redisServer?.stop()]);
});

interface Want {
  organizer: number | null;
  /** Mailboxes whose calendars hold it (organizer + synced internal attendees). */
  holders: number[];
  subject: string;
  type: 'SingleInstance' | 'SeriesMaster';
  cancelled?: boolean;
  appId?: string;
}

it(`syncs ${ITEMS} appointments both ways exactly, through three kill -9s and an eviction`, async () => {
  const want = new Map<string, Want>(); // by subject
  const outlook = new Map<string, { mailbox: number; id: string }>();
  let svc = 0;
  for (let n = 0; n < ITEMS; n++) {
    const m = n % MAILBOXES;
    const zone = ZONES[n % 3]!;
    const subject = `a${n}`;
    const day = 2 + (n % 200);
    const variant = Math.floor(n / MAILBOXES) % 6;
    if (n % 2 === 0) {
      // From the application.
      if (variant === 0 && n % 4 === 0) {
        // The seed's service account: an organizer without a mailbox. Never synced; one alert.
        await createAppointment(db.prisma, owner(m), {
          subject,
          organizer: { address: `svc-${n}@contoso.test` },
          start: { dateTime: inDays(day), timeZone: zone },
          end: { dateTime: inDays(day, 11), timeZone: zone },
          attendees: [{ address: address(m) }],
        });
        svc += 1;
        continue;
      }
      const input =
        variant === 1
          ? {
              // All day in its zone.
              isAllDay: true,
              start: { dateTime: `${inDays(day).slice(0, 10)}T00:00:00`, timeZone: zone },
              end: { dateTime: `${inDays(day + 1).slice(0, 10)}T00:00:00`, timeZone: zone },
            }
          : variant === 2
            ? {
                // Across the US DST change (14 March 2027, 2 a.m. → 3 a.m.).
                start: { dateTime: '2027-03-14T01:00:00', timeZone: 'Pacific Standard Time' },
                end: { dateTime: '2027-03-14T04:00:00', timeZone: 'Pacific Standard Time' },
              }
            : {
                start: { dateTime: inDays(day), timeZone: zone },
                end: { dateTime: inDays(day, 11), timeZone: zone },
              };
      const attendees =
        variant === 3
          ? [1, 2, 3].map((k) => ({ address: address(m + k) }))
          : variant === 4
            ? [{ address: `guest${n}@fabrikam.test` }, { address: address(m + 1) }]
            : [];
      const recurrence =
        variant === 5
          ? {
              pattern: {
                type: 'weekly' as const,
                interval: 1,
                daysOfWeek: [DAYS[new Date(`${inDays(day)}Z`).getUTCDay()]!],
              },
              range: {
                type: 'numbered' as const,
                startDate: inDays(day).slice(0, 10),
                numberOfOccurrences: 4,
              },
            }
          : undefined;
      const a = await createAppointment(db.prisma, owner(m), {
        subject,
        ...input,
        attendees,
        ...(recurrence ? { recurrence } : {}),
      });
      want.set(subject, {
        organizer: m,
        holders: [
          m,
          ...(variant === 3
            ? [1, 2, 3].map((k) => (m + k) % MAILBOXES)
            : variant === 4
              ? [(m + 1) % MAILBOXES]
              : []),
        ],
        subject,
        type: recurrence ? 'SeriesMaster' : 'SingleInstance',
        appId: a.id,
      });
      if (recurrence) {
        // An edited and a cancelled occurrence.
        // Occurrences keep their wall time in the series' zone (across a DST change too).
        const wall = DateTime.fromJSDate(a.startAt, { zone: ianaZone(zone)! });
        const nth = (weeks: number, hours = 0) => wall.plus({ weeks, hours }).toUTC().toISO()!;
        await createAppointment(db.prisma, owner(m), {
          subject: `${subject}-moved`,
          seriesMasterId: a.id,
          originalStart: nth(1),
          start: { dateTime: nth(1, 1) },
          end: { dateTime: nth(1, 2) },
        });
        await updateAppointment(db.prisma, a.id, { cancelledOccurrences: [nth(2)] });
      }
    } else {
      // From Outlook: singles, all-day, internal meetings, series.
      const event: Record<string, unknown> = {
        subject,
        start: { dateTime: inDays(day), timeZone: zone },
        end: { dateTime: inDays(day, 11), timeZone: zone },
      };
      if (variant === 1) {
        event.isAllDay = true;
        event.start = { dateTime: `${inDays(day).slice(0, 10)}T00:00:00`, timeZone: zone };
        event.end = { dateTime: `${inDays(day + 1).slice(0, 10)}T00:00:00`, timeZone: zone };
      }
      if (variant === 3)
        event.attendees = [1, 2, 3].map((k) => ({
          emailAddress: { address: address(m + k) },
          type: 'required',
        }));
      if (variant === 5)
        event.recurrence = {
          pattern: { type: 'daily', interval: 1 },
          range: { type: 'numbered', startDate: inDays(day).slice(0, 10), numberOfOccurrences: 3 },
        };
      const created = await fx.sim.admin.createEvent(sim(m), event);
      outlook.set(subject, { mailbox: m, id: String(created.id) });
      want.set(subject, {
        organizer: m,
        holders: [m, ...(variant === 3 ? [1, 2, 3].map((k) => (m + k) % MAILBOXES) : [])],
        subject,
        type: variant === 5 ? 'SeriesMaster' : 'SingleInstance',
      });
    }
  }

  startScheduler();
  startWorker();
  startWorker();
  await killOneWorkerMidSync();
  await waitSettled('initial backfill');
  await fullCycleEverywhereAfter(new Date());

  // Edits and deletes on both sides while sync is paused.
  await setAct(false);
  // Outlook series: the organizer moves one occurrence (an exception) and deletes another (a
  // cancelled occurrence of the series, for everyone).
  const seriesEdits: { subject: string; cancelled: string; moved: string }[] = [];
  for (const [subject, { mailbox, id }] of outlook) {
    if (want.get(subject)?.type !== 'SeriesMaster') continue;
    const g = await graphOf(mailbox);
    const instances = (
      (await g
        .api(`/users/${sim(mailbox)}/events/${id}/instances`)
        .query({
          startDateTime: new Date(Date.now() - DAY).toISOString(),
          endDateTime: new Date(Date.now() + 400 * DAY).toISOString(),
        })
        .get()) as { value: Item[] }
    ).value;
    await fx.sim.admin.updateEvent(sim(mailbox), instances[0]!.id, { subject: `${subject}-moved` });
    await fx.sim.admin.deleteEvent(sim(mailbox), instances[1]!.id);
    seriesEdits.push({
      subject,
      moved: new Date(String(instances[0]!.originalStart)).toISOString(),
      cancelled: new Date(String(instances[1]!.originalStart)).toISOString(),
    });
  }
  const subjects = [...want.keys()];
  for (const [k, subject] of subjects.entries()) {
    const w = want.get(subject)!;
    if (w.type !== 'SingleInstance') continue;
    const record = await db.prisma.appointment.findFirstOrThrow({
      where: { subject, type: 'SingleInstance' },
    });
    if (k % 7 === 0) {
      await updateAppointment(db.prisma, record.id, { subject: `${subject}-app` });
      want.delete(subject);
      want.set(`${subject}-app`, { ...w, subject: `${subject}-app` });
    } else if (k % 7 === 1) {
      await deleteAppointment(db.prisma, record.id);
      want.delete(subject);
    } else if (k % 7 === 2) {
      const link = await db.prisma.actLink.findFirstOrThrow({
        where: { recordId: record.id, mailboxId: fx.mailboxes[w.organizer!]!.id },
      });
      await fx.sim.admin.updateEvent(sim(w.organizer!), link.graphItemId!, { subject: `${subject}-ol` });
      want.delete(subject);
      want.set(`${subject}-ol`, { ...w, subject: `${subject}-ol` });
    } else if (k % 7 === 3) {
      // The organizer deletes it in Outlook: cancelled for everyone (Unlink policy keeps the record).
      const link = await db.prisma.actLink.findFirstOrThrow({
        where: { recordId: record.id, mailboxId: fx.mailboxes[w.organizer!]!.id },
      });
      await fx.sim.admin.deleteEvent(sim(w.organizer!), link.graphItemId!);
      // Attendees keep their copies, which Exchange marks cancelled; the organizer's is gone.
      w.cancelled = true;
      w.holders = w.holders.filter((h) => h !== w.organizer);
    }
  }
  await setAct(true);
  await killOneWorkerMidSync();
  for (let i = 0; i < MAILBOXES; i++) await fx.sim.admin.evictDelta(sim(i));
  await killOneWorkerMidSync();
  await waitSettled('edits synced');
  await fullCycleEverywhereAfter(new Date());
  await fullCycleEverywhereAfter(new Date());

  // One appointment per meeting: exactly the expected set (plus the service-account ones).
  const live = await db.prisma.appointment.findMany({
    where: { deletedAt: null, type: { not: 'Exception' } },
    include: { parties: true },
  });
  expect(live.length).toBe(want.size + svc);
  for (const a of live) {
    if (a.subject && a.parties.some((p) => p.role === 'Organizer' && p.address.startsWith('svc-'))) continue;
    const w = want.get(a.subject);
    expect({ subject: a.subject, known: !!w }).toEqual({ subject: a.subject, known: true });
    expect({ subject: a.subject, type: a.type, cancelled: a.isCancelled }).toEqual({
      subject: a.subject,
      type: w!.type,
      cancelled: w!.cancelled ?? false,
    });
    // Linked to every mailbox that holds it, nothing else.
    const links = await db.prisma.actLink.findMany({ where: { recordId: a.id, graphItemId: { not: null } } });
    const holders = links.map((l) => fx.mailboxes.findIndex((mb) => mb.id === l.mailboxId)).sort();
    expect({ subject: a.subject, holders }).toEqual({ subject: a.subject, holders: [...w!.holders].sort() });
  }
  // Outlook's series edits: one exception, one cancelled occurrence, each once.
  expect(seriesEdits.length).toBeGreaterThan(0);
  for (const e of seriesEdits) {
    const series = live.find((a) => a.subject === e.subject)!;
    const exceptions = await db.prisma.appointment.findMany({
      where: { seriesMasterId: series.id, deletedAt: null },
    });
    expect({
      subject: e.subject,
      cancelled: series.cancelledOccurrences,
      exceptions: exceptions.map((x) => [x.subject, x.originalStartAt?.toISOString()]),
    }).toEqual({
      subject: e.subject,
      cancelled: [e.cancelled],
      exceptions: [[`${e.subject}-moved`, e.moved]],
    });
  }
  // Exchange: each organizer holds exactly its meetings, once, at the same instants.
  for (let i = 0; i < MAILBOXES; i++) {
    const events = await organizedIn(i);
    const expected = [...want.values()]
      .filter((w) => w.organizer === i && !w.cancelled)
      .map((w) => w.subject);
    expect(events.map((e) => String(e.subject)).sort()).toEqual(expected.sort());
    for (const e of events) {
      const a = live.find((x) => x.iCalUId === e.iCalUId)!;
      expect(a).toBeDefined();
      if (e.isAllDay !== true)
        expect(Date.parse(`${String((e.start as { dateTime: string }).dateTime).slice(0, 23)}Z`)).toBe(
          a.startAt.getTime(),
        );
    }
  }
  // Every attendee's copy, read in another time zone (Prefer: outlook.timezone), starts at the
  // appointment's instant.
  let copies = 0;
  for (const a of live) {
    if (a.isAllDay || a.isCancelled) continue;
    const organizerMailbox = a.parties.find((p) => p.role === 'Organizer')?.mailboxId;
    const links = await db.prisma.actLink.findMany({
      where: {
        recordId: a.id,
        graphItemId: { not: null },
        mailboxId: { not: organizerMailbox ?? undefined },
      },
    });
    for (const link of links) {
      const i = fx.mailboxes.findIndex((mb) => mb.id === link.mailboxId);
      const zone = ZONES[(copies += 1) % ZONES.length]!;
      const copy = (await (
        await graphOf(i)
      )
        .api(`/users/${sim(i)}/events/${link.graphItemId}`)
        .header('Prefer', `outlook.timezone="${zone}"`)
        .get()) as { start: { dateTime: string; timeZone: string } };
      expect(copy.start.timeZone).toBe(zone);
      expect({
        subject: a.subject,
        start: DateTime.fromISO(copy.start.dateTime, { zone: ianaZone(zone)! }).toMillis(),
      }).toEqual({ subject: a.subject, start: a.startAt.getTime() });
    }
  }
  expect(copies).toBeGreaterThan(0);
  // The DST meeting is three wall-clock hours but two real hours.
  const dst = live.find((a) => a.startAt.toISOString() === '2027-03-14T09:00:00.000Z');
  if (dst) expect(dst.endAt.toISOString()).toBe('2027-03-14T11:00:00.000Z');
  // Under InternalOnly nothing was ever sent to an external address.
  const meetings = (await fx.sim.admin.deliveries()).filter((d) => d.via.startsWith('meeting'));
  expect(meetings.length).toBeGreaterThan(0);
  expect(meetings.flatMap((d) => d.to).filter((to) => EXTERNAL.test(to))).toEqual([]);
  // One Warning per service-account appointment.
  expect(await db.prisma.alert.count({ where: { code: ORGANIZER_NOT_SYNCED } })).toBe(svc);
  expect((await fx.sim.admin.metrics()).earlyRequests).toBe(0);
  // No cycle lost to a database conflict: meetings shared by several mailboxes' cycles take turns
  // (meeting.ts), and the change sequence is stamped last in each transaction (changes.ts).
  const conflicts = await db.prisma.syncRun.findMany({
    where: { errorCode: { in: ['23505', '40P01', '40001', 'P2002', 'P2034'] } },
    select: { errorCode: true },
  });
  expect(conflicts).toEqual([]);
}, 480_000);
