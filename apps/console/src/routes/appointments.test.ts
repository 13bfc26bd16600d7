import { AUTH, call, mailboxInput, profileInput, startConsole, type ConsoleHarness } from '../test-support';

let h: ConsoleHarness;
let alice: string;
let bob: string;
const owner = { type: 'User', id: 'user-alice' };

beforeAll(async () => {
  h = await startConsole('appointments-rest');
  const profile = (await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'appts' }))).json;
  alice = (await call(h.app, 'POST', '/api/mailboxes', mailboxInput(profile.id))).json.id;
  bob = (
    await call(
      h.app,
      'POST',
      '/api/mailboxes',
      mailboxInput(profile.id, {
        address: 'bob@contoso.com',
        displayName: 'Bob',
        owner: { type: 'User', id: 'user-bob' },
      }),
    )
  ).json.id;
  for (const id of [alice, bob]) {
    await h.db.prisma.mailbox.update({ where: { id }, data: { approvalState: 'Approved' } });
    await h.db.prisma.mailboxWorkload.update({
      where: { mailboxId_workload: { mailboxId: id, workload: 'Act' } },
      data: { enabled: true, nextDueAt: new Date(Date.now() + 3_600_000) },
    });
  }
  await call(h.app, 'POST', '/api/contacts', {
    owner,
    displayName: 'Nora Quinn',
    emailAddresses: [{ address: 'nora@fabrikam.test' }],
  });
});
afterAll(() => h.close());

async function send(method: 'PATCH' | 'DELETE', url: string, body?: unknown, ifMatch?: string) {
  const res = await h.app.inject({
    method,
    url,
    headers: { ...AUTH, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: res.statusCode, json: res.body ? res.json() : {}, headers: res.headers };
}

const meeting = (overrides: Record<string, unknown> = {}) => ({
  owner,
  subject: 'Quarterly review',
  // 1 a.m. Pacific on the day US DST starts (8 March 2026): PST (UTC-8); ends after the change (PDT).
  start: { dateTime: '2026-03-08T01:00:00', timeZone: 'Pacific Standard Time' },
  end: { dateTime: '2026-03-08T04:00:00', timeZone: 'America/Los_Angeles' },
  ...overrides,
});

describe('appointments', () => {
  test('times keep their zones and are the right instants across a DST change; parties are matched; a write queues the organizer cycle and enters the feed', async () => {
    const cursor = (await call(h.app, 'GET', '/api/changes?limit=1000')).json.cursor as string;
    const created = await call(
      h.app,
      'POST',
      '/api/appointments',
      meeting({
        location: 'Room 4',
        showAs: 'Tentative',
        sensitivity: 'Private',
        importance: 'High',
        categories: ['Board'],
        reminderMinutesBeforeStart: 30,
        regarding: { type: 'account', id: 'acc-1' },
        attendees: [
          { address: 'Bob@Contoso.com', name: 'Bob' },
          { address: 'nora@fabrikam.test', type: 'optional' },
          { address: 'guest@elsewhere.test', type: 'resource' },
        ],
      }),
    );
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const a = created.json;
    // 01:00 PST = 09:00Z; 04:00 PDT (clocks jumped 02:00 → 03:00) = 11:00Z: a two-hour meeting.
    expect(a.start).toEqual({
      dateTime: '2026-03-08T01:00:00.0000000',
      timeZone: 'Pacific Standard Time',
      utc: '2026-03-08T09:00:00.000Z',
    });
    expect(a.end.utc).toBe('2026-03-08T11:00:00.000Z');
    expect(a).toMatchObject({
      type: 'SingleInstance',
      showAs: 'Tentative',
      sensitivity: 'Private',
      importance: 'High',
      reminderMinutesBeforeStart: 30,
      isOnlineMeeting: false,
      isCancelled: false,
      regarding: { type: 'account', id: 'acc-1' },
      organizer: { address: 'alice@contoso.com', match: { mailboxId: alice } },
    });
    expect(a.attendees).toEqual([
      expect.objectContaining({
        address: 'bob@contoso.com',
        type: 'required',
        match: { mailboxId: bob, owner: { type: 'User', id: 'user-bob' } },
        responseStatus: 'None',
      }),
      expect.objectContaining({
        address: 'nora@fabrikam.test',
        type: 'optional',
        match: { contactId: expect.any(String) },
      }),
      expect.objectContaining({ address: 'guest@elsewhere.test', type: 'resource', match: null }),
    ]);
    // The organizer's mailbox is due now with its job queued; the attendee's is not touched.
    const due = async (mailboxId: string) =>
      (
        await h.db.prisma.mailboxWorkload.findUniqueOrThrow({
          where: { mailboxId_workload: { mailboxId, workload: 'Act' } },
        })
      ).nextDueAt.getTime() <= Date.now();
    expect(await due(alice)).toBe(true);
    expect(await due(bob)).toBe(false);
    const jobs = await h.queues.act.getJobs(['waiting', 'prioritized', 'delayed']);
    expect(jobs.some((j) => j.data.mailboxId === alice)).toBe(true);

    // The same instant seen in another zone: moving the end to Berlin time keeps the meeting 2h.
    const moved = await send(
      'PATCH',
      `/api/appointments/${a.id}`,
      { end: { dateTime: '2026-03-08T12:00:00', timeZone: 'W. Europe Standard Time' } },
      '"1"',
    );
    expect(moved.status).toBe(200);
    expect(moved.json.end).toMatchObject({
      utc: '2026-03-08T11:00:00.000Z',
      timeZone: 'W. Europe Standard Time',
    });
    expect(moved.json.attendees).toHaveLength(3);

    const feed = (await call(h.app, 'GET', `/api/changes?after=${cursor}&kind=appointment`)).json;
    expect(feed.changes.map((c: { operation: string; id: string }) => [c.operation, c.id])).toEqual([
      ['create', a.id],
      ['update', a.id],
    ]);
  });

  test('400 names the field and stores nothing; a stale If-Match is 412 and changes nothing', async () => {
    const before = await h.db.prisma.appointment.count();
    const cases: Array<[Record<string, unknown>, string]> = [
      [meeting({ end: { dateTime: '2026-03-08T00:30:00', timeZone: 'Pacific Standard Time' } }), 'end'],
      [meeting({ start: { dateTime: '2026-03-08T01:00:00', timeZone: 'Mars/Olympus' } }), 'start.timeZone'],
      [meeting({ start: { dateTime: 'next tuesday' } }), 'start.dateTime'],
      [meeting({ isAllDay: true }), 'start'],
      [
        meeting({
          recurrence: {
            pattern: { type: 'weekly', interval: 1 },
            range: { type: 'noEnd', startDate: '2026-03-08' },
          },
        }),
        'recurrence.pattern.daysOfWeek',
      ],
      [
        meeting({
          recurrence: {
            pattern: { type: 'daily', interval: 1 },
            range: { type: 'endDate', startDate: '2026-03-08' },
          },
        }),
        'recurrence.range.endDate',
      ],
      [meeting({ attendees: [{ address: 'not-an-address' }] }), 'attendees.0.address'],
      [meeting({ showAs: 'Away' }), 'showAs'],
      [meeting({ isOnlineMeeting: true }), 'isOnlineMeeting'],
      [
        meeting({
          seriesMasterId: '00000000-0000-4000-8000-000000000000',
          originalStart: '2026-03-08T09:00:00Z',
        }),
        'seriesMasterId',
      ],
    ];
    for (const [body, path] of cases) {
      const res = await call(h.app, 'POST', '/api/appointments', body);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.json.error.fields.map((f: { path: string }) => f.path)).toContain(path);
    }
    expect(await h.db.prisma.appointment.count()).toBe(before);

    const a = (await call(h.app, 'POST', '/api/appointments', meeting({ subject: 'Versioned' }))).json;
    expect((await send('PATCH', `/api/appointments/${a.id}`, { subject: 'v2' }, '"1"')).status).toBe(200);
    const stale = await send('PATCH', `/api/appointments/${a.id}`, { subject: 'v3' }, '"1"');
    expect(stale.status).toBe(412);
    const badEnd = await send('PATCH', `/api/appointments/${a.id}`, {
      end: { dateTime: '2026-03-07T00:00:00Z' },
    });
    expect(badEnd.json.error.fields[0].path).toBe('end');
    expect((await send('DELETE', `/api/appointments/${a.id}`, undefined, '"1"')).status).toBe(412);
    const now = (await call(h.app, 'GET', `/api/appointments/${a.id}`)).json;
    expect(now).toMatchObject({ version: 2, subject: 'v2', end: { utc: '2026-03-08T11:00:00.000Z' } });
  });

  test('a series stays one master: an exception replaces one occurrence, deleting it cancels that occurrence; range and mailbox lists', async () => {
    const series = await call(h.app, 'POST', '/api/appointments', {
      owner,
      subject: 'Stand-up',
      start: { dateTime: '2026-04-06T09:00:00', timeZone: 'Tokyo Standard Time' },
      end: { dateTime: '2026-04-06T09:15:00', timeZone: 'Tokyo Standard Time' },
      attendees: [{ address: 'bob@contoso.com' }],
      recurrence: {
        pattern: {
          type: 'weekly',
          interval: 1,
          daysOfWeek: ['monday', 'wednesday'],
          firstDayOfWeek: 'sunday',
        },
        range: {
          type: 'endDate',
          startDate: '2026-04-06',
          endDate: '2026-06-29',
          recurrenceTimeZone: 'Tokyo Standard Time',
        },
      },
    });
    expect(series.status).toBe(201);
    expect(series.json).toMatchObject({ type: 'SeriesMaster', start: { utc: '2026-04-06T00:00:00.000Z' } });
    const master = series.json.id as string;

    const exception = await call(h.app, 'POST', '/api/appointments', {
      owner,
      subject: 'Stand-up (moved)',
      seriesMasterId: master,
      originalStart: '2026-04-08T00:00:00Z',
      start: { dateTime: '2026-04-08T10:00:00', timeZone: 'Tokyo Standard Time' },
      end: { dateTime: '2026-04-08T10:15:00', timeZone: 'Tokyo Standard Time' },
    });
    expect(exception.status).toBe(201);
    expect(exception.json).toMatchObject({
      type: 'Exception',
      seriesMasterId: master,
      originalStart: '2026-04-08T00:00:00.000Z',
      organizer: { address: 'alice@contoso.com' },
      attendees: [expect.objectContaining({ address: 'bob@contoso.com' })],
    });
    const twice = await call(h.app, 'POST', '/api/appointments', {
      owner,
      subject: 'again',
      seriesMasterId: master,
      originalStart: '2026-04-08T00:00:00Z',
      start: { dateTime: '2026-04-08T11:00:00Z' },
      end: { dateTime: '2026-04-08T11:15:00Z' },
    });
    expect(twice.json.error.fields[0].path).toBe('originalStart');

    expect((await send('DELETE', `/api/appointments/${exception.json.id}`)).status).toBe(204);
    const after = (await call(h.app, 'GET', `/api/appointments/${master}`)).json;
    expect(after).toMatchObject({ version: 2, cancelledOccurrences: ['2026-04-08T00:00:00.000Z'] });

    // Range: the series overlaps May (its range ends 29 June); June 30 onwards it does not.
    const ids = async (qs: string) =>
      (await call(h.app, 'GET', `/api/appointments?${qs}&limit=500`)).json.appointments.map(
        (x: { id: string }) => x.id,
      );
    expect(await ids('start=2026-05-01T00:00:00Z&end=2026-05-02T00:00:00Z')).toContain(master);
    expect(await ids('start=2026-06-30T00:00:00Z&end=2026-07-30T00:00:00Z')).not.toContain(master);
    // Bob's mailbox lists the meetings he attends; an unknown mailbox is a 400 naming it.
    expect(await ids(`mailboxId=${bob}`)).toContain(master);
    expect(await ids(`ownerId=user-bob`)).not.toContain(master);
    const bad = await call(h.app, 'GET', '/api/appointments?mailboxId=00000000-0000-4000-8000-000000000000');
    expect(bad.json.error.fields[0].path).toBe('mailboxId');

    // Deleting the series deletes it whole; the feed says so.
    expect((await send('DELETE', `/api/appointments/${master}`)).status).toBe(204);
    expect((await call(h.app, 'GET', `/api/appointments/${master}`)).status).toBe(404);
    const feed = (await call(h.app, 'GET', '/api/changes?kind=appointment&limit=1000')).json.changes;
    const mine = feed.filter((c: { id: string }) => c.id === master || c.id === exception.json.id);
    expect(
      mine.map((c: { operation: string; id: string }) => `${c.id === master ? 'M' : 'E'}:${c.operation}`),
    ).toEqual(['M:create', 'E:create', 'E:delete', 'M:update', 'M:delete']);
  });
});
