import { call, mailboxInput, profileInput, startConsole, type ConsoleHarness } from '../test-support';

let h: ConsoleHarness;
let mailboxId: string;
let incomingOnlyId: string;

beforeAll(async () => {
  h = await startConsole('emails');
  const profile = (await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'emails' }))).json;
  const sender = await call(
    h.app,
    'POST',
    '/api/mailboxes',
    mailboxInput(profile.id, { workloads: { 'outgoing-email': { method: 'ServerSideSync' } } }),
  );
  mailboxId = sender.json.id;
  // Enabled as after a successful Test & Enable.
  await h.db.prisma.mailboxWorkload.update({
    where: { mailboxId_workload: { mailboxId, workload: 'OutgoingEmail' } },
    data: { enabled: true, nextDueAt: new Date(Date.now() + 3_600_000) },
  });
  await h.db.prisma.mailbox.update({ where: { id: mailboxId }, data: { approvalState: 'Approved' } });
  const other = await call(
    h.app,
    'POST',
    '/api/mailboxes',
    mailboxInput(profile.id, { address: 'bob@contoso.com', owner: { type: 'User', id: 'user-bob' } }),
  );
  incomingOnlyId = other.json.id;
});
afterAll(() => h.close());

const body = (overrides: Record<string, unknown> = {}) => ({
  mailboxId,
  subject: 'Your quote',
  bodyHtml: '<p>Attached.</p>',
  to: ['Customer@Fabrikam.test'],
  cc: [{ address: 'boss@fabrikam.test', name: 'The Boss' }],
  regarding: { type: 'opportunity', id: 'opp-42' },
  ...overrides,
});

describe('POST /api/emails', () => {
  test("queues the mailbox's outgoing cycle at once, one job for a burst", async () => {
    const jobsOfMailbox = async () =>
      (await h.queues['outgoing-email'].getJobs(['waiting', 'delayed', 'active', 'prioritized'])).filter(
        (j) => j.data.mailboxId === mailboxId,
      );
    expect(await jobsOfMailbox()).toHaveLength(0);
    for (let i = 0; i < 5; i++) {
      expect((await call(h.app, 'POST', '/api/emails', body({ subject: `burst ${i}` }))).status).toBe(201);
    }
    expect(await jobsOfMailbox()).toHaveLength(1);
    const workload = await h.db.prisma.mailboxWorkload.findUniqueOrThrow({
      where: { mailboxId_workload: { mailboxId, workload: 'OutgoingEmail' } },
    });
    expect(workload.nextDueAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(workload.wakeRequestedAt).not.toBeNull();
  });

  test('creates a PendingSend email owned by the mailbox; GET returns it', async () => {
    const created = await call(
      h.app,
      'POST',
      '/api/emails',
      body({
        attachments: [
          { name: 'q.txt', contentType: 'text/plain', contentBytes: Buffer.from('quote').toString('base64') },
        ],
      }),
    );
    expect(created.status).toBe(201);
    // The application change sequence lists it (GET /api/changes).
    const changes = await call(h.app, 'GET', '/api/changes?kind=email');
    expect(changes.status).toBe(200);
    expect((changes.json as { changes: unknown[] }).changes).toContainEqual(
      expect.objectContaining({
        kind: 'email',
        id: (created.json as { id: string }).id,
        operation: 'create',
        source: 'app',
      }),
    );
    expect(created.json).toMatchObject({
      status: 'PendingSend',
      direction: 'Outgoing',
      mailboxId,
      to: [{ address: 'customer@fabrikam.test', name: null }],
      cc: [{ address: 'boss@fabrikam.test', name: 'The Boss' }],
      regarding: { type: 'opportunity', id: 'opp-42' },
      attachments: [{ name: 'q.txt', contentType: 'text/plain', size: 5 }],
    });
    const fetched = await call(h.app, 'GET', `/api/emails/${created.json.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json).toEqual(created.json);
  });

  test.each([
    ['no recipients', { to: [], cc: [] }, 'to', /at least one recipient/],
    ['a bad address', { to: ['not-an-address'] }, 'to.0', /not a valid email address/],
    [
      'an unknown mailbox',
      { mailboxId: '00000000-0000-4000-8000-000000000000' },
      'mailboxId',
      /does not exist/,
    ],
    [
      'a mailbox not enabled for outgoing',
      { mailboxId: 'INCOMING' },
      'mailboxId',
      /not enabled for outgoing email/,
    ],
    [
      'an attachment over 3 MB',
      {
        attachments: [
          { name: 'big.bin', contentBytes: Buffer.alloc(3 * 1024 * 1024 + 1).toString('base64') },
        ],
      },
      'attachments.0.contentBytes',
      /limited to 3 MB.*upload session/,
    ],
  ])('400 naming the problem for %s, nothing stored', async (_name, overrides, path, message) => {
    const before = await h.db.prisma.emailActivity.count();
    const input = body(overrides);
    if (input.mailboxId === 'INCOMING') input.mailboxId = incomingOnlyId;
    const response = await call(h.app, 'POST', '/api/emails', input);
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('ValidationError');
    expect(response.json.error.fields).toEqual(
      expect.arrayContaining([{ path, message: expect.stringMatching(message) }]),
    );
    expect(await h.db.prisma.emailActivity.count()).toBe(before);
  });

  test('unknown fields are 400; an unknown id is 404; the OpenAPI document lists the routes', async () => {
    expect((await call(h.app, 'POST', '/api/emails', body({ priority: 'high' }))).status).toBe(400);
    expect((await call(h.app, 'GET', '/api/emails/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const doc = (await call(h.app, 'GET', '/api/openapi.json')).json;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/emails', '/api/emails/{id}']));
  });
});
