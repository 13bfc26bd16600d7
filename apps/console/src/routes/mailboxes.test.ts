import { Workload } from '@syncfleet/db';
import { call, mailboxInput, profileInput, startConsole, type ConsoleHarness } from '../test-support';

let h: ConsoleHarness;
let profileId: string;
beforeAll(async () => {
  h = await startConsole('mailboxes');
  profileId = (await call(h.app, 'POST', '/api/profiles', profileInput())).json.id;
});
afterAll(() => h.close());

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
let n = 0;
/** A mailbox with a fresh address and owner. */
async function createMailbox(overrides: Record<string, unknown> = {}) {
  n += 1;
  const response = await call(
    h.app,
    'POST',
    '/api/mailboxes',
    mailboxInput(profileId, {
      address: `user${n}@contoso.com`,
      owner: { type: 'User', id: `user-${n}` },
      ...overrides,
    }),
  );
  expect(response.status).toBe(201);
  return response.json;
}

describe('mailboxes', () => {
  test('create lower-cases the address and creates three disabled, not-run workloads', async () => {
    const created = await call(h.app, 'POST', '/api/mailboxes', mailboxInput(profileId));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      address: 'alice@contoso.com',
      owner: { type: 'User', id: 'user-alice' },
      approvalState: 'Empty',
    });
    expect(created.json.workloads).toEqual([
      expect.objectContaining({
        workload: 'incoming-email',
        method: 'ServerSideSync',
        enabled: false,
        status: 'NotRun',
      }),
      expect.objectContaining({
        workload: 'outgoing-email',
        method: 'None',
        enabled: false,
        status: 'NotRun',
      }),
      expect.objectContaining({
        workload: 'act',
        method: 'ServerSideSync',
        enabled: false,
        status: 'NotRun',
      }),
    ]);
    expect(await h.db.prisma.mailboxWorkload.count({ where: { mailboxId: created.json.id } })).toBe(3);
  });

  test.each([
    [{ address: 'not-an-address' }, 'address'],
    [{ workloads: { calendar: { method: 'ServerSideSync' } } }, 'workloads.calendar'],
    [{ workloads: { act: { method: 'Outlook' } } }, 'workloads.act.method'],
    [{ owner: { type: 'Team', id: 'x' } }, 'owner.type'],
    [{ owner: { type: 'User', id: 'unmapped:123' } }, 'owner.id'],
    [{ profileId: 'nope' }, 'profileId'],
    [{ profileId: UNKNOWN }, 'profileId'],
  ])('rejects %j with a field error and stores nothing', async (bad, path) => {
    const before = await h.db.prisma.mailbox.count();
    const response = await call(
      h.app,
      'POST',
      '/api/mailboxes',
      mailboxInput(profileId, {
        address: 'rejected@contoso.com',
        owner: { type: 'User', id: 'rejected' },
        ...bad,
      }),
    );
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('ValidationError');
    expect(response.json.error.fields.map((f: { path: string }) => f.path)).toContain(path);
    expect(await h.db.prisma.mailbox.count()).toBe(before);
  });

  test('a duplicate address → 409', async () => {
    const first = await createMailbox();
    const again = await call(
      h.app,
      'POST',
      '/api/mailboxes',
      mailboxInput(profileId, {
        address: first.address.toUpperCase(),
        owner: { type: 'User', id: 'someone-new' },
      }),
    );
    expect(again.status).toBe(409);
    expect(again.json.error.message).toContain(first.address);
  });

  test('an owner maps to one mailbox: 409 unless remap, which breaks the old mapping', async () => {
    const old = await createMailbox({ owner: { type: 'Queue', id: 'support' } });
    await h.db.prisma.mailboxWorkload.updateMany({ where: { mailboxId: old.id }, data: { enabled: true } });

    const refused = await call(
      h.app,
      'POST',
      '/api/mailboxes',
      mailboxInput(profileId, { address: 'support2@contoso.com', owner: { type: 'Queue', id: 'support' } }),
    );
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain(old.address);
    expect(await h.db.prisma.mailbox.count({ where: { address: 'support2@contoso.com' } })).toBe(0);

    const remapped = await call(
      h.app,
      'POST',
      '/api/mailboxes',
      mailboxInput(profileId, {
        address: 'support2@contoso.com',
        owner: { type: 'Queue', id: 'support' },
        remap: true,
      }),
    );
    expect(remapped.status).toBe(201);
    expect(remapped.json.owner).toEqual({ type: 'Queue', id: 'support' });

    const oldNow = (await call(h.app, 'GET', `/api/mailboxes/${old.id}`)).json;
    expect(oldNow.owner).toEqual({ type: 'Queue', id: `unmapped:${old.id}` });
    expect(oldNow.workloads.every((w: { enabled: boolean }) => !w.enabled)).toBe(true);
    const alerts = (await call(h.app, 'GET', `/api/mailboxes/${old.id}/alerts`)).json.items;
    expect(alerts).toEqual([expect.objectContaining({ severity: 'Warning', code: 'OwnerRemapped' })]);
    expect(alerts[0].message).toContain('support2@contoso.com');
  });

  test('PATCH can move an owner with remap, and keeps its own owner without conflict', async () => {
    const a = await createMailbox();
    const b = await createMailbox();
    expect((await call(h.app, 'PATCH', `/api/mailboxes/${a.id}`, { owner: a.owner })).status).toBe(200);
    expect((await call(h.app, 'PATCH', `/api/mailboxes/${b.id}`, { owner: a.owner })).status).toBe(409);
    const moved = await call(h.app, 'PATCH', `/api/mailboxes/${b.id}`, { owner: a.owner, remap: true });
    expect(moved.status).toBe(200);
    expect(moved.json.owner).toEqual(a.owner);
    expect((await call(h.app, 'GET', `/api/mailboxes/${a.id}`)).json.owner.id).toBe(`unmapped:${a.id}`);
  });

  test('PATCH changes settings; a bad PATCH changes nothing', async () => {
    const m = await createMailbox();
    const bad = await call(h.app, 'PATCH', `/api/mailboxes/${m.id}`, {
      displayName: 'New',
      workloads: { x: {} },
    });
    expect(bad.status).toBe(400);
    expect((await call(h.app, 'GET', `/api/mailboxes/${m.id}`)).json.displayName).toBe('Alice');
    const ok = await call(h.app, 'PATCH', `/api/mailboxes/${m.id}`, {
      displayName: 'New',
      processEmailFrom: '2024-05-01T10:00:00+02:00',
      workloads: { 'outgoing-email': { method: 'ServerSideSync' } },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ displayName: 'New', processEmailFrom: '2024-05-01T08:00:00.000Z' });
    expect(ok.json.workloads[1]).toMatchObject({ workload: 'outgoing-email', method: 'ServerSideSync' });
  });

  test('approve and reject set the approval state', async () => {
    const m = await createMailbox();
    expect((await call(h.app, 'POST', `/api/mailboxes/${m.id}/approve`)).json.approvalState).toBe('Approved');
    expect((await call(h.app, 'POST', `/api/mailboxes/${m.id}/reject`)).json.approvalState).toBe('Rejected');
    expect((await call(h.app, 'POST', `/api/mailboxes/${UNKNOWN}/approve`)).status).toBe(404);
  });

  test('test-and-enable passes the id to deps.testAndEnable and returns its result, 200 even on failure', async () => {
    const m = await createMailbox();
    const response = await call(h.app, 'POST', `/api/mailboxes/${m.id}/test-and-enable`);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      mailboxId: m.id,
      ok: false,
      workloads: { 'incoming-email': 'failed' },
    });
    expect(response.json.checks).toContainEqual(
      expect.objectContaining({ ok: false, code: 'MailboxNotFound' }),
    );
    expect(h.testAndEnableCalls).toEqual([m.id]);
    expect((await call(h.app, 'POST', `/api/mailboxes/${UNKNOWN}/test-and-enable`)).status).toBe(404);
    expect(h.testAndEnableCalls).toEqual([m.id]);
  });

  test('disable turns off the named workloads (default all) with an Information alert', async () => {
    const m = await createMailbox();
    await h.db.prisma.mailboxWorkload.updateMany({ where: { mailboxId: m.id }, data: { enabled: true } });
    const some = await call(h.app, 'POST', `/api/mailboxes/${m.id}/disable`, { workloads: ['act'] });
    expect(some.status).toBe(200);
    expect(some.json.workloads.map((w: { enabled: boolean }) => w.enabled)).toEqual([true, true, false]);
    expect(
      (await call(h.app, 'POST', `/api/mailboxes/${m.id}/disable`, { workloads: ['calendar'] })).status,
    ).toBe(400);
    await call(h.app, 'POST', `/api/mailboxes/${m.id}/disable`);
    const rows = await h.db.prisma.mailboxWorkload.findMany({ where: { mailboxId: m.id } });
    expect(rows.every((r) => !r.enabled)).toBe(true);
    const alerts = await h.db.prisma.alert.findMany({ where: { mailboxId: m.id, code: 'DisabledByAdmin' } });
    expect(alerts).toHaveLength(2);
    expect(alerts.every((a) => a.severity === 'Information')).toBe(true);
    expect(rows.find((r) => r.workload === Workload.Act)?.enabled).toBe(false);
  });

  test('list filters by profile and approval state, paginated', async () => {
    const other = (await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'APAC' }))).json.id;
    const m = await createMailbox({ profileId: other });
    await call(h.app, 'POST', `/api/mailboxes/${m.id}/approve`);
    const byProfile = await call(h.app, 'GET', `/api/mailboxes?profileId=${other}`);
    expect(byProfile.json).toMatchObject({ total: 1, items: [expect.objectContaining({ id: m.id })] });
    const approved = await call(h.app, 'GET', `/api/mailboxes?profileId=${other}&approvalState=Approved`);
    expect(approved.json.total).toBe(1);
    const page = await call(h.app, 'GET', '/api/mailboxes?limit=2&offset=1');
    expect(page.json.items).toHaveLength(2);
    expect(page.json.total).toBeGreaterThan(3);
    expect((await call(h.app, 'GET', '/api/mailboxes?approvalState=Maybe')).status).toBe(400);
    expect((await call(h.app, 'GET', '/api/mailboxes?limit=0')).status).toBe(400);
  });

  test('delete removes the mailbox; unknown ids → 404', async () => {
    const m = await createMailbox();
    expect((await call(h.app, 'DELETE', `/api/mailboxes/${m.id}`)).status).toBe(204);
    expect((await call(h.app, 'GET', `/api/mailboxes/${m.id}`)).status).toBe(404);
    expect((await call(h.app, 'DELETE', `/api/mailboxes/${m.id}`)).status).toBe(404);
    expect((await call(h.app, 'PATCH', `/api/mailboxes/${m.id}`, { displayName: 'x' })).status).toBe(404);
  });
});
