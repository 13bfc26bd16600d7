import { actSettingsOf, appointmentSettingsOf } from '@syncfleet/sync';
import { call, profileInput, startConsole, type ConsoleHarness, type Json } from '../test-support';

/** ACT settings of a profile through the admin API: shown with their defaults, validated, merged. */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole('profile-act');
});
afterAll(() => h.close());

const fieldPaths = (json: Json) => (json.error.fields as { path: string }[]).map((f) => f.path);
const row = (id: string) => h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id } });
let seq = 0;
async function newProfile(extra: Record<string, unknown> = {}): Promise<string> {
  const created = await call(
    h.app,
    'POST',
    '/api/profiles',
    profileInput({ name: `act-${++seq}`, ...extra }),
  );
  expect(created.status).toBe(201);
  return created.json.id as string;
}
const patch = (id: string, body: unknown) => call(h.app, 'PATCH', `/api/profiles/${id}`, body);

test('a new profile shows the effective settings the engine uses, defaults included', async () => {
  const id = await newProfile();
  const { json } = await call(h.app, 'GET', `/api/profiles/${id}`);
  expect(json).toMatchObject({
    actConflictPolicy: 'LatestWins',
    actDeletePolicy: 'Unlink',
    actInvitationPolicy: 'InternalOnly',
    actSettingsStored: {},
    actSettings: {
      filter: { categories: [], completedWithinDays: 30, contacts: true, tasks: true },
      taskListName: null,
      ownershipCheckSec: 900,
      pageSize: 100,
      maxItemsPerCycle: 2_000,
      calendarWindow: { daysBack: 30, daysAhead: 365, slideHours: 24 },
    },
  });
  // Whatever the engine's default for calendar sync is, the API shows that one.
  expect(json.actSettings.appointments).toBe(appointmentSettingsOf({ actSettings: {} }).enabled);
  expect(json.actSettings.directions.contact.notes).toBe('TwoWay');
  expect(json.actSettings.directions.task.status).toBe('TwoWay');
  expect(json.actSettings.directions.appointment.attendees).toBe('TwoWay');
  const list = await call(h.app, 'GET', '/api/profiles?limit=500');
  const listed = list.json.items.find((p: Json) => p.id === id);
  expect(listed.actSettings).toEqual(json.actSettings);
});

test('a valid PATCH round-trips and changes what the sync engine reads', async () => {
  const id = await newProfile();
  const settings = {
    directions: {
      contact: { notes: 'ToApp', categories: 'None' },
      task: { body: 'ToExchange' },
      appointment: { location: 'ToApp' },
    },
    filter: { categories: ['Sync'], completedWithinDays: 7, tasks: false },
    taskListName: 'CRM',
    ownershipCheckSec: 300,
    pageSize: 50,
    maxItemsPerCycle: 500,
    appointments: true,
    calendarWindow: { daysBack: 14, daysAhead: 90, slideHours: 6 },
  };
  const patched = await patch(id, {
    actConflictPolicy: 'AppWins',
    actDeletePolicy: 'Delete',
    actInvitationPolicy: 'None',
    actSettings: settings,
  });
  expect(patched.status).toBe(200);
  expect(patched.json).toMatchObject({
    actConflictPolicy: 'AppWins',
    actDeletePolicy: 'Delete',
    actInvitationPolicy: 'None',
    actSettingsStored: settings,
    actSettings: { ...settings, directions: expect.any(Object) },
  });
  expect((await call(h.app, 'GET', `/api/profiles/${id}`)).json).toEqual(patched.json);

  const stored = await row(id);
  const act = actSettingsOf(stored);
  expect(act).toMatchObject({
    conflictPolicy: 'AppWins',
    deletePolicy: 'Delete',
    filter: { categories: ['Sync'], completedWithinDays: 7, contacts: true, tasks: false },
    taskListName: 'CRM',
    ownershipCheckSec: 300,
    pageSize: 50,
    maxItemsPerCycle: 500,
  });
  expect(act.directions.contact).toMatchObject({ notes: 'ToApp', categories: 'None', surname: 'TwoWay' });
  expect(act.directions.task).toMatchObject({ body: 'ToExchange', subject: 'TwoWay' });
  expect(appointmentSettingsOf(stored)).toMatchObject({
    enabled: true,
    invitationPolicy: 'None',
    daysBack: 14,
    daysAhead: 90,
    slideHours: 6,
    directions: { location: 'ToApp', subject: 'TwoWay' },
  });
});

test('a partial PATCH changes only what it names; null resets a key to its default', async () => {
  const id = await newProfile({
    actSettings: {
      directions: { contact: { notes: 'ToApp' }, task: { body: 'None' } },
      filter: { categories: ['A'], completedWithinDays: 10 },
      pageSize: 20,
      calendarWindow: { daysBack: 10, daysAhead: 20 },
    },
  });
  // A key set outside this API (SQL, an older version) is kept by a merge that does not name it.
  await h.db.prisma.emailServerProfile.update({
    where: { id },
    data: { actSettings: { ...((await row(id)).actSettings as object), legacyNote: 'kept' } },
  });

  const merged = await patch(id, {
    actSettings: {
      directions: { contact: { jobTitle: 'ToExchange' } },
      filter: { completedWithinDays: 3 },
      calendarWindow: { slideHours: 12 },
    },
  });
  expect(merged.status).toBe(200);
  expect((await row(id)).actSettings).toEqual({
    directions: { contact: { notes: 'ToApp', jobTitle: 'ToExchange' }, task: { body: 'None' } },
    filter: { categories: ['A'], completedWithinDays: 3 },
    pageSize: 20,
    calendarWindow: { daysBack: 10, daysAhead: 20, slideHours: 12 },
    legacyNote: 'kept',
  });
  expect(merged.json.actConflictPolicy).toBe('LatestWins');

  const reset = await patch(id, {
    actSettings: { directions: { task: null, contact: { notes: null } }, pageSize: null, filter: null },
  });
  expect(reset.status).toBe(200);
  expect((await row(id)).actSettings).toEqual({
    directions: { contact: { jobTitle: 'ToExchange' } },
    calendarWindow: { daysBack: 10, daysAhead: 20, slideHours: 12 },
    legacyNote: 'kept',
  });
  expect(reset.json.actSettings).toMatchObject({
    pageSize: 100,
    filter: { categories: [], completedWithinDays: 30 },
  });
  expect(reset.json.actSettings.directions.contact.notes).toBe('TwoWay');
  expect(reset.json.actSettings.directions.task.body).toBe('TwoWay');

  // Changing only a policy leaves the JSON alone.
  const before = (await row(id)).actSettings;
  expect((await patch(id, { actInvitationPolicy: 'All' })).status).toBe(200);
  expect((await row(id)).actSettings).toEqual(before);
});

test.each([
  [{ actSettings: { colour: 'blue' } }, 'actSettings.colour'],
  [{ actSettings: { filter: { owner: 'me' } } }, 'actSettings.filter.owner'],
  [{ actSettings: { calendarWindow: { weeksBack: 2 } } }, 'actSettings.calendarWindow.weeksBack'],
  [{ actSettings: { directions: { email: {} } } }, 'actSettings.directions.email'],
  [
    { actSettings: { directions: { contact: { nickname: 'ToApp' } } } },
    'actSettings.directions.contact.nickname',
  ],
  [{ actSettings: { directions: { task: { status: 'OneWay' } } } }, 'actSettings.directions.task.status'],
  [
    { actSettings: { directions: { appointment: { start: 'twoway' } } } },
    'actSettings.directions.appointment.start',
  ],
  [{ actSettings: { pageSize: 1000 } }, 'actSettings.pageSize'],
  [{ actSettings: { pageSize: 0 } }, 'actSettings.pageSize'],
  [{ actSettings: { maxItemsPerCycle: 2.5 } }, 'actSettings.maxItemsPerCycle'],
  [{ actSettings: { ownershipCheckSec: -1 } }, 'actSettings.ownershipCheckSec'],
  [{ actSettings: { calendarWindow: { daysBack: 0 } } }, 'actSettings.calendarWindow.daysBack'],
  [{ actSettings: { calendarWindow: { daysBack: 366 } } }, 'actSettings.calendarWindow.daysBack'],
  [{ actSettings: { calendarWindow: { daysAhead: 731 } } }, 'actSettings.calendarWindow.daysAhead'],
  [{ actSettings: { calendarWindow: { slideHours: 169 } } }, 'actSettings.calendarWindow.slideHours'],
  [{ actSettings: { appointments: 'yes' } }, 'actSettings.appointments'],
  [{ actSettings: { filter: { categories: 'Sync' } } }, 'actSettings.filter.categories'],
  [{ actSettings: { filter: { categories: [''] } } }, 'actSettings.filter.categories.0'],
  [{ actSettings: { taskListName: '' } }, 'actSettings.taskListName'],
  [{ actSettings: 'pageSize=5' }, 'actSettings'],
  [{ actConflictPolicy: 'NewestWins' }, 'actConflictPolicy'],
  [{ actDeletePolicy: 'Archive' }, 'actDeletePolicy'],
  [{ actInvitationPolicy: 'ExternalOnly' }, 'actInvitationPolicy'],
])('PATCH %j → 400 naming %s; nothing stored changes', async (bad, path) => {
  const id = await newProfile({ actSettings: { pageSize: 42, directions: { task: { body: 'ToApp' } } } });
  const before = await row(id);
  // A valid change in the same body is not applied either.
  const response = await patch(id, { maxConcurrentConnections: 7, actDeletePolicy: 'Delete', ...bad });
  expect(response.status).toBe(400);
  expect(response.json.error.code).toBe('ValidationError');
  expect(fieldPaths(response.json)).toContain(path);
  expect(response.json.error.message).toContain(path);
  expect(await row(id)).toEqual(before);
});

test('POST validates actSettings the same way and stores nothing on a 400', async () => {
  const bad = await call(
    h.app,
    'POST',
    '/api/profiles',
    profileInput({ name: 'act-bad', actSettings: { directions: { contact: { notes: 'Sideways' } } } }),
  );
  expect(bad.status).toBe(400);
  expect(fieldPaths(bad.json)).toContain('actSettings.directions.contact.notes');
  expect(await h.db.prisma.emailServerProfile.count({ where: { name: 'act-bad' } })).toBe(0);
});

test('concurrent partial PATCHes of different keys all keep their change', async () => {
  const id = await newProfile();
  const fields = ['displayName', 'givenName', 'surname', 'notes', 'jobTitle', 'department', 'companyName'];
  const answers = await Promise.all(
    fields.map((field) => patch(id, { actSettings: { directions: { contact: { [field]: 'ToApp' } } } })),
  );
  expect(answers.map((a) => a.status)).toEqual(fields.map(() => 200));
  const stored = (await row(id)).actSettings as Json;
  expect(stored.directions.contact).toEqual(Object.fromEntries(fields.map((f) => [f, 'ToApp'])));
});

test('the OpenAPI document says that actSettings merges', async () => {
  const doc = (await call(h.app, 'GET', '/api/openapi.json')).json;
  const op = doc.paths['/api/profiles/{id}'].patch;
  expect(op.summary).toMatch(/MERGED/);
  const schema = op.requestBody.content['application/json'].schema.properties.actSettings;
  expect(JSON.stringify(schema)).toContain('changes only the keys it names');
  expect(JSON.stringify(schema)).toContain('"TwoWay"');
});
