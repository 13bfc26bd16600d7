import { ResponseType } from '@microsoft/microsoft-graph-client';
import type { GraphError } from '@microsoft/microsoft-graph-client';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

/**
 * Calendar as Microsoft documents it (calendar-model.ts, calendar-routes.ts and meetings.ts cite the
 * pages): time zones in and out, recurring series with occurrences, exceptions and cancelled
 * occurrences, calendarView delta, and meeting messages — through the official Graph client.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ mailboxes: 3 });
});
afterAll(() => h.close());

interface Ev {
  id: string;
  type: string;
  subject: string;
  seriesMasterId: string | null;
  iCalUId: string;
  start: { dateTime: string; timeZone: string };
  end: { dateTime: string; timeZone: string };
  originalStartTimeZone: string;
  isCancelled: boolean;
  isOrganizer: boolean;
  recurrence: unknown;
  responseStatus: { response: string };
  attendees: Array<{ emailAddress: { address: string }; status: { response: string } }>;
  '@removed'?: unknown;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: GraphError) => `${e.statusCode} ${e.message}`,
  );

/** All pages of a delta round from `url`; returns the entries and the deltaLink. */
async function deltaRound(url: string, prefer?: string): Promise<{ value: Ev[]; deltaLink: string }> {
  const value: Ev[] = [];
  let next = url;
  for (;;) {
    const request = h.graph.api(next);
    if (prefer) request.header('Prefer', prefer);
    const page = (await request.get()) as {
      value: Ev[];
      '@odata.nextLink'?: string;
      '@odata.deltaLink'?: string;
    };
    value.push(...page.value);
    if (page['@odata.deltaLink']) return { value, deltaLink: page['@odata.deltaLink'] };
    const link = page['@odata.nextLink'];
    if (!link) throw new Error('a delta page without nextLink or deltaLink');
    next = link;
  }
}

test('time zones: Windows or IANA names in; UTC out unless Prefer: outlook.timezone asks otherwise', async () => {
  const mb = mailbox(h, 0);
  const created = (await h.graph.api(`/users/${mb.id}/events`).post({
    subject: 'Before the EU clock change',
    start: { dateTime: '2026-03-27T09:00:00', timeZone: 'W. Europe Standard Time' },
    end: { dateTime: '2026-03-27T10:00:00', timeZone: 'Europe/Berlin' },
  })) as Ev;
  expect(created.start).toEqual({ dateTime: '2026-03-27T08:00:00.0000000', timeZone: 'UTC' });
  expect(created.originalStartTimeZone).toBe('W. Europe Standard Time');
  const raw = (await h.graph
    .api(`/users/${mb.id}/events/${created.id}`)
    .header('Prefer', 'outlook.timezone="Pacific Standard Time"')
    .responseType(ResponseType.RAW)
    .get()) as Response;
  expect(raw.headers.get('preference-applied')).toBe('outlook.timezone="Pacific Standard Time"');
  const pacific = (await raw.json()) as Ev;
  // The US changed to daylight time on 8 March 2026: 08:00 UTC is 01:00 PDT.
  expect(pacific.start).toEqual({
    dateTime: '2026-03-27T01:00:00.0000000',
    timeZone: 'Pacific Standard Time',
  });
  const tokyo = (await h.graph
    .api(`/users/${mb.id}/events/${created.id}`)
    .header('Prefer', 'outlook.timezone="Asia/Tokyo"')
    .get()) as Ev;
  expect(tokyo.end).toEqual({ dateTime: '2026-03-27T18:00:00.0000000', timeZone: 'Asia/Tokyo' });
  expect(
    await failure(
      h.graph.api(`/users/${mb.id}/events`).post({
        start: { dateTime: '2026-03-27T09:00:00', timeZone: 'Mars Standard Time' },
        end: { dateTime: '2026-03-27T10:00:00', timeZone: 'UTC' },
      }),
    ),
  ).toMatch(/^400 start\.timeZone 'Mars Standard Time' is not a supported time zone/);
  expect(
    await failure(
      h.graph.api(`/users/${mb.id}/events`).post({
        start: { dateTime: '2026-03-27T09:00:00', timeZone: 'UTC' },
        end: { dateTime: '2026-03-27T08:00:00', timeZone: 'UTC' },
      }),
    ),
  ).toMatch(/^400 The end of the event is before its start/);
});

test('a daily series across a DST change: occurrences in calendarView delta, master via /events/{id}; exception and cancelled occurrence', async () => {
  const mb = mailbox(h, 1);
  const master = (await h.graph.api(`/users/${mb.id}/events`).post({
    subject: 'Stand-up',
    start: { dateTime: '2026-03-27T09:00:00', timeZone: 'W. Europe Standard Time' },
    end: { dateTime: '2026-03-27T09:15:00', timeZone: 'W. Europe Standard Time' },
    recurrence: {
      pattern: { type: 'daily', interval: 1 },
      range: { type: 'numbered', startDate: '2026-03-27', numberOfOccurrences: 4 },
    },
  })) as Ev;
  expect(master.type).toBe('seriesMaster');
  const window = 'startDateTime=2026-03-20T00:00:00Z&endDateTime=2026-04-10T00:00:00Z';
  const first = await deltaRound(`/users/${mb.id}/calendarView/delta?${window}`);
  expect(first.value.map((e) => [e.type, e.seriesMasterId, e.start.dateTime])).toEqual([
    ['occurrence', master.id, '2026-03-27T08:00:00.0000000'],
    ['occurrence', master.id, '2026-03-28T08:00:00.0000000'],
    // Europe moved to summer time on 29 March: still 09:00 in Berlin, an hour earlier in UTC.
    ['occurrence', master.id, '2026-03-29T07:00:00.0000000'],
    ['occurrence', master.id, '2026-03-30T07:00:00.0000000'],
  ]);
  expect(first.value.every((e) => e.iCalUId === master.iCalUId)).toBe(true);
  // In the series' own zone, every occurrence is at 09:00.
  const berlin = await deltaRound(
    `/users/${mb.id}/calendarView/delta?${window}`,
    'outlook.timezone="W. Europe Standard Time"',
  );
  expect(berlin.value.map((e) => e.start.dateTime.slice(11, 16))).toEqual([
    '09:00',
    '09:00',
    '09:00',
    '09:00',
  ]);
  // The master is reached by id, with its recurrence; /events lists it, not its occurrences.
  const got = (await h.graph.api(`/users/${mb.id}/events/${master.id}`).get()) as Ev;
  expect(got).toMatchObject({ type: 'seriesMaster', recurrence: { pattern: { type: 'daily' } } });
  const listed = (await h.graph.api(`/users/${mb.id}/events`).get()) as { value: Ev[] };
  expect(listed.value.map((e) => e.id)).toEqual([master.id]);

  // An occurrence edited on its own becomes an exception; a deleted one is cancelled.
  const [, second, third] = first.value;
  const moved = (await h.graph.api(`/users/${mb.id}/events/${second!.id}`).patch({
    subject: 'Stand-up (moved)',
    start: { dateTime: '2026-03-28T10:00:00', timeZone: 'Europe/Berlin' },
    end: { dateTime: '2026-03-28T10:15:00', timeZone: 'Europe/Berlin' },
  })) as Ev;
  expect(moved).toMatchObject({ type: 'exception', seriesMasterId: master.id });
  await h.graph.api(`/users/${mb.id}/events/${third!.id}`).delete();
  const second_round = await deltaRound(first.deltaLink);
  expect(second_round.value).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ id: second!.id, type: 'exception', subject: 'Stand-up (moved)' }),
      expect.objectContaining({ id: third!.id, '@removed': { reason: 'deleted' } }),
    ]),
  );
  expect(second_round.value).toHaveLength(2);
  const instances = (await h.graph.api(`/users/${mb.id}/events/${master.id}/instances?${window}`).get()) as {
    value: Ev[];
  };
  expect(instances.value.map((e) => e.type)).toEqual(['occurrence', 'exception', 'occurrence']);
  // Changing the master's subject reaches its occurrences (not the exception's own subject).
  await h.graph.api(`/users/${mb.id}/events/${master.id}`).patch({ subject: 'Daily stand-up' });
  const third_round = await deltaRound(second_round.deltaLink);
  expect(third_round.value.map((e) => e.subject).sort()).toEqual(['Daily stand-up', 'Daily stand-up']);
});

test('meetings: requests, a response, an update and a cancellation, inside the tenant and out', async () => {
  const [organizer, attendee] = [mailbox(h, 0), mailbox(h, 2)];
  const before = (await h.sim.admin.deliveries()).length;
  const meeting = (await h.graph.api(`/users/${organizer.id}/events`).post({
    subject: 'Quarterly review',
    start: { dateTime: '2026-06-01T14:00:00', timeZone: 'Eastern Standard Time' },
    end: { dateTime: '2026-06-01T15:00:00', timeZone: 'Eastern Standard Time' },
    attendees: [
      { type: 'required', emailAddress: { address: attendee.address, name: 'Attendee' } },
      { type: 'optional', emailAddress: { address: 'partner@fabrikam.test', name: 'Partner' } },
    ],
  })) as Ev;
  // The internal attendee: a meeting request in the Inbox, a tentative copy with the same iCalUId.
  const inbox = (await h.graph.api(`/users/${attendee.id}/mailFolders/inbox/messages`).get()) as {
    value: Array<Record<string, unknown>>;
  };
  expect(inbox.value).toEqual([
    expect.objectContaining({
      '@odata.type': '#microsoft.graph.eventMessageRequest',
      meetingMessageType: 'meetingRequest',
      subject: 'Quarterly review',
    }),
  ]);
  const copies = (await h.graph.api(`/users/${attendee.id}/events`).get()) as { value: Ev[] };
  expect(copies.value).toEqual([
    expect.objectContaining({
      iCalUId: meeting.iCalUId,
      isOrganizer: false,
      responseStatus: expect.objectContaining({ response: 'notResponded' }),
      start: { dateTime: '2026-06-01T18:00:00.0000000', timeZone: 'UTC' },
    }),
  ]);
  // The external attendee: in the delivery log, as a meeting request.
  const requests = (await h.sim.admin.deliveries()).slice(before);
  expect(requests).toEqual([
    expect.objectContaining({
      via: 'meetingRequest',
      to: [attendee.address, 'partner@fabrikam.test'],
      deliveredTo: [attendee.id],
    }),
  ]);

  // The attendee accepts: the organizer's Inbox gets the response, the attendee status follows.
  await h.graph
    .api(`/users/${attendee.id}/events/${copies.value[0]!.id}/accept`)
    .post({ sendResponse: true });
  const answered = (await h.graph.api(`/users/${organizer.id}/events/${meeting.id}`).get()) as Ev;
  expect(answered.attendees.map((a) => a.status.response)).toEqual(['accepted', 'none']);
  const organizerInbox = (await h.graph.api(`/users/${organizer.id}/mailFolders/inbox/messages`).get()) as {
    value: Array<Record<string, unknown>>;
  };
  expect(organizerInbox.value).toEqual([
    expect.objectContaining({
      '@odata.type': '#microsoft.graph.eventMessageResponse',
      meetingMessageType: 'meetingAccepted',
      responseType: 'accepted',
    }),
  ]);

  // The organizer moves it: an update to every attendee, the external one included.
  await h.graph.api(`/users/${organizer.id}/events/${meeting.id}`).patch({
    start: { dateTime: '2026-06-01T16:00:00', timeZone: 'Eastern Standard Time' },
    end: { dateTime: '2026-06-01T17:00:00', timeZone: 'Eastern Standard Time' },
  });
  const moved = (await h.graph.api(`/users/${attendee.id}/events/${copies.value[0]!.id}`).get()) as Ev;
  expect(moved.start.dateTime).toBe('2026-06-01T20:00:00.0000000');
  // Then cancels it: the attendee's copy is cancelled, a cancellation reaches both.
  await h.graph.api(`/users/${organizer.id}/events/${meeting.id}/cancel`).post({ comment: 'Moved to July' });
  const cancelled = (await h.graph.api(`/users/${attendee.id}/events/${copies.value[0]!.id}`).get()) as Ev;
  expect(cancelled.isCancelled).toBe(true);
  expect(await failure(h.graph.api(`/users/${organizer.id}/events/${meeting.id}`).get())).toMatch(/^404/);
  const log = (await h.sim.admin.deliveries())
    .slice(before)
    .map((d) => [d.via, d.to.includes('partner@fabrikam.test')]);
  expect(log).toEqual([
    ['meetingRequest', true],
    ['meetingResponse', false],
    ['meetingRequest', true],
    ['meetingCancellation', true],
  ]);
  // In the attendee's message delta, meeting messages are eventMessages (the fleet skips them).
  const delta = (await h.graph
    .api(`/users/${attendee.id}/mailFolders/inbox/messages/delta`)
    .select('subject')
    .get()) as { value: Array<Record<string, unknown>> };
  expect(delta.value.map((m) => [m['@odata.type'], m.subject])).toEqual([
    ['#microsoft.graph.eventMessageRequest', 'Quarterly review'],
    ['#microsoft.graph.eventMessageRequest', 'Quarterly review'],
    ['#microsoft.graph.eventMessage', 'Canceled: Quarterly review'],
  ]);
});

test('responses and cancellations are refused to the wrong party', async () => {
  const mb = mailbox(h, 1);
  const own = (await h.graph.api(`/users/${mb.id}/events`).post({
    subject: 'Mine',
    start: { dateTime: '2026-05-01T09:00:00', timeZone: 'UTC' },
    end: { dateTime: '2026-05-01T10:00:00', timeZone: 'UTC' },
  })) as Ev;
  expect(await failure(h.graph.api(`/users/${mb.id}/events/${own.id}/accept`).post({}))).toMatch(
    /^400 .*respond to a meeting you organized/,
  );
  expect(
    await failure(
      h.graph.api(`/users/${mb.id}/events`).post({
        start: { dateTime: '2026-05-01T09:00:00', timeZone: 'UTC' },
        end: { dateTime: '2026-05-01T10:00:00', timeZone: 'UTC' },
        recurrence: {
          pattern: { type: 'weekly', interval: 1 },
          range: { type: 'noEnd', startDate: '2026-05-01' },
        },
      }),
    ),
  ).toMatch(/^400 recurrence\.pattern\.daysOfWeek is required/);
});

test('a recurring meeting: the attendee gets the series; an edited and a cancelled occurrence follow', async () => {
  const [organizer, attendee] = [mailbox(h, 1), mailbox(h, 2)];
  const before = (await h.sim.admin.deliveries()).length;
  const series = (await h.graph.api(`/users/${organizer.id}/events`).post({
    subject: 'Weekly sync',
    start: { dateTime: '2026-10-19T15:00:00', timeZone: 'Pacific Standard Time' },
    end: { dateTime: '2026-10-19T15:30:00', timeZone: 'Pacific Standard Time' },
    recurrence: {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
      range: { type: 'endDate', startDate: '2026-10-19', endDate: '2026-11-09' },
    },
    attendees: [{ emailAddress: { address: attendee.address } }],
  })) as Ev;
  const window = 'startDateTime=2026-10-01T00:00:00Z&endDateTime=2026-12-01T00:00:00Z';
  const view = async (id: string) =>
    (
      (await h.graph.api(`/users/${id}/calendarView?${window}`).top(50).get()) as { value: Ev[] }
    ).value.filter((e) => e.iCalUId === series.iCalUId);
  const organizerView = await view(organizer.id);
  // 19 and 26 October in PDT (UTC−7), 2 and 9 November in PST (UTC−8): always 15:00 in Seattle.
  expect(organizerView.map((e) => e.start.dateTime)).toEqual([
    '2026-10-19T22:00:00.0000000',
    '2026-10-26T22:00:00.0000000',
    '2026-11-02T23:00:00.0000000',
    '2026-11-09T23:00:00.0000000',
  ]);
  expect((await view(attendee.id)).map((e) => [e.type, e.start.dateTime])).toEqual(
    organizerView.map((e) => ['occurrence', e.start.dateTime]),
  );
  // The organizer moves the second occurrence and cancels the third.
  await h.graph.api(`/users/${organizer.id}/events/${organizerView[1]!.id}`).patch({
    start: { dateTime: '2026-10-27T09:00:00', timeZone: 'Pacific Standard Time' },
    end: { dateTime: '2026-10-27T09:30:00', timeZone: 'Pacific Standard Time' },
  });
  await h.graph.api(`/users/${organizer.id}/events/${organizerView[2]!.id}`).delete();
  const copy = await view(attendee.id);
  expect(copy.map((e) => [e.type, e.start.dateTime, e.isCancelled])).toEqual([
    ['occurrence', '2026-10-19T22:00:00.0000000', false],
    ['exception', '2026-10-27T16:00:00.0000000', false],
    ['exception', '2026-11-02T23:00:00.0000000', true],
    ['occurrence', '2026-11-09T23:00:00.0000000', false],
  ]);
  expect((await view(organizer.id)).map((e) => e.type)).toEqual(['occurrence', 'exception', 'occurrence']);
  const log = (await h.sim.admin.deliveries()).slice(before).map((d) => [d.via, d.deliveredTo]);
  expect(log).toEqual([
    ['meetingRequest', [attendee.id]],
    ['meetingRequest', [attendee.id]],
    ['meetingCancellation', [attendee.id]],
  ]);
});
