import { AUTH, call, mailboxInput, profileInput, startConsole, type ConsoleHarness } from '../test-support';

let h: ConsoleHarness;
let mailboxId: string;
const owner = { type: 'User', id: 'user-alice' };

beforeAll(async () => {
  h = await startConsole('act-rest');
  const profile = (await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'act' }))).json;
  mailboxId = (await call(h.app, 'POST', '/api/mailboxes', mailboxInput(profile.id))).json.id;
  // Enabled and approved as after a successful Test & Enable: app writes then queue a cycle.
  await h.db.prisma.mailbox.update({ where: { id: mailboxId }, data: { approvalState: 'Approved' } });
  await h.db.prisma.mailboxWorkload.update({
    where: { mailboxId_workload: { mailboxId, workload: 'Act' } },
    data: { enabled: true, nextDueAt: new Date(Date.now() + 3_600_000) },
  });
});
afterAll(() => h.close());

async function patch(url: string, body: unknown, ifMatch?: string) {
  const res = await h.app.inject({
    method: 'PATCH',
    url,
    headers: { ...AUTH, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
    payload: body as object,
  });
  return { status: res.statusCode, json: res.json(), headers: res.headers };
}

describe('contacts', () => {
  test('create, read with ETag, list by mailbox, and a write queues an ACT cycle at once', async () => {
    const created = await call(h.app, 'POST', '/api/contacts', {
      owner,
      givenName: 'Nora',
      surname: 'Quinn',
      displayName: 'Nora Quinn',
      emailAddresses: [{ address: 'Nora@Fabrikam.test', name: 'Nora' }],
      businessPhones: ['+1 555 0100'],
      businessAddress: { city: 'Lisbon' },
      categories: ['Customer'],
    });
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    expect(created.json).toMatchObject({
      version: 1,
      displayName: 'Nora Quinn',
      emailAddresses: [{ address: 'nora@fabrikam.test', name: 'Nora' }],
      businessAddress: { city: 'Lisbon', street: null },
      exchange: [],
    });
    const listed = await call(h.app, 'GET', `/api/contacts?mailboxId=${mailboxId}`);
    expect(listed.json.contacts.map((c: { id: string }) => c.id)).toContain(created.json.id);
    // The owner's mailbox is due now and its job is queued (requestCycles).
    const w = await h.db.prisma.mailboxWorkload.findUniqueOrThrow({
      where: { mailboxId_workload: { mailboxId, workload: 'Act' } },
    });
    expect(w.nextDueAt.getTime()).toBeLessThanOrEqual(Date.now());
    const jobs = await h.queues.act.getJobs(['waiting', 'prioritized', 'delayed']);
    expect(jobs.some((j) => j.data.mailboxId === mailboxId)).toBe(true);
  });

  test('400 names the field and stores nothing; a stale If-Match is 412 and changes nothing', async () => {
    const before = await h.db.prisma.contact.count();
    const bad = await call(h.app, 'POST', '/api/contacts', {
      owner,
      displayName: 'Too many',
      emailAddresses: [1, 2, 3, 4].map((i) => ({ address: `a${i}@x.test` })),
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields).toEqual([expect.objectContaining({ path: 'emailAddresses' })]);
    const badEmail = await call(h.app, 'POST', '/api/contacts', {
      owner,
      emailAddresses: [{ address: 'not-an-address' }],
    });
    expect(badEmail.json.error.fields[0].path).toBe('emailAddresses.0.address');
    expect(await h.db.prisma.contact.count()).toBe(before);

    const c = (await call(h.app, 'POST', '/api/contacts', { owner, displayName: 'Versioned' })).json;
    const ok = await patch(`/api/contacts/${c.id}`, { jobTitle: 'CFO' }, '"1"');
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ version: 2, jobTitle: 'CFO' });
    const stale = await patch(`/api/contacts/${c.id}`, { jobTitle: 'CEO' }, '"1"');
    expect(stale.status).toBe(412);
    const badHeader = await patch(`/api/contacts/${c.id}`, { jobTitle: 'CEO' }, 'yesterday');
    expect(badHeader.status).toBe(400);
    expect(badHeader.json.error.fields[0].path).toBe('If-Match');
    const badField = await patch(`/api/contacts/${c.id}`, { jobTitel: 'CEO' }, '"2"');
    expect(badField.json.error.fields[0]).toEqual({ path: 'jobTitel', message: 'unknown field' });
    const now = (await call(h.app, 'GET', `/api/contacts/${c.id}`)).json;
    expect(now).toMatchObject({ version: 2, jobTitle: 'CFO' });
  });

  test('delete hides the record; its change is in the feed', async () => {
    const c = (await call(h.app, 'POST', '/api/contacts', { owner, displayName: 'Gone soon' })).json;
    const del = await h.app.inject({ method: 'DELETE', url: `/api/contacts/${c.id}`, headers: AUTH });
    expect(del.statusCode).toBe(204);
    expect((await call(h.app, 'GET', `/api/contacts/${c.id}`)).status).toBe(404);
    const feed = await call(h.app, 'GET', '/api/changes?kind=contact&limit=1000');
    const mine = feed.json.changes.filter((x: { id: string }) => x.id === c.id);
    expect(mine.map((x: { operation: string }) => x.operation)).toEqual(['create', 'delete']);
  });
});

describe('tasks and the change feed', () => {
  test('completing stamps completedAt; reopening clears it; the feed pages in sequence order', async () => {
    const start = (await call(h.app, 'GET', '/api/changes?limit=1000')).json.cursor as string;
    const t = await call(h.app, 'POST', '/api/tasks', {
      owner,
      subject: 'Call back',
      dueAt: '2030-01-02T09:00:00Z',
      importance: 'High',
    });
    expect(t.status).toBe(201);
    expect(t.json).toMatchObject({
      status: 'NotStarted',
      completedAt: null,
      dueAt: '2030-01-02T09:00:00.000Z',
    });
    const done = await patch(`/api/tasks/${t.json.id}`, { status: 'Completed' }, '"1"');
    expect(done.json.completedAt).not.toBeNull();
    const reopened = await patch(`/api/tasks/${t.json.id}`, { status: 'InProgress' });
    expect(reopened.json).toMatchObject({ status: 'InProgress', completedAt: null, version: 3 });

    const bad = await call(h.app, 'POST', '/api/tasks', { owner, subject: 'x', status: 'Finished' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields[0].path).toBe('status');
    const badDate = await call(h.app, 'POST', '/api/tasks', { owner, subject: 'x', dueAt: 'tomorrow' });
    expect(badDate.json.error.fields[0].path).toBe('dueAt');

    const page1 = (await call(h.app, 'GET', `/api/changes?after=${start}&limit=2`)).json;
    const page2 = (await call(h.app, 'GET', `/api/changes?after=${page1.cursor}&limit=10`)).json;
    const all = [...page1.changes, ...page2.changes];
    expect(all.map((c: { operation: string }) => c.operation)).toEqual(['create', 'update', 'update']);
    expect(all.every((c: { id: string; kind: string }) => c.id === t.json.id && c.kind === 'task')).toBe(
      true,
    );
    const seqs = all.map((c: { sequence: string }) => BigInt(c.sequence));
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect((await call(h.app, 'GET', '/api/changes?after=abc')).json.error.fields[0].path).toBe('after');
  });
});
