import { runCli, type CliIo } from './cli-commands';
import { ADMIN_TOKEN, startConsole, type ConsoleHarness } from './test-support';

const SECRET = 'Cli-Secret-Pelican-9931';
let h: ConsoleHarness;
let baseUrl: string;
beforeAll(async () => {
  h = await startConsole('cli');
  baseUrl = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

async function cli(
  argv: string[],
  { stdin = '', token = ADMIN_TOKEN }: { stdin?: string; token?: string } = {},
) {
  let out = '';
  let err = '';
  const io: CliIo = {
    baseUrl,
    token,
    readStdin: async () => stdin,
    out: (t) => (out += t),
    err: (t) => (err += t),
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

test('profiles and mailboxes over HTTP; the secret comes from stdin and is never printed', async () => {
  const created = await cli(
    [
      'profiles',
      'create',
      '--name',
      'cli',
      '--tenant',
      't1',
      '--client-id',
      'c1',
      '--client-secret-stdin',
      '--json',
    ],
    { stdin: `${SECRET}\n` },
  );
  expect(created.code).toBe(0);
  const profile = JSON.parse(created.out);
  expect(profile).toMatchObject({ name: 'cli', hasClientSecret: true });
  const row = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: profile.id } });
  expect(h.secretBox.open({ keyId: row.clientSecretKeyId, ciphertext: row.clientSecretCiphertext })).toBe(
    SECRET,
  );

  const list = await cli(['profiles', 'list']);
  expect(list.out.split('\n')[0]).toMatch(/^id\s+name\s+tenantId/);
  expect(list.out).toContain('cli');

  const mailbox = await cli([
    'mailboxes',
    'create',
    '--address',
    'Frank@Contoso.com',
    '--owner-type',
    'User',
    '--owner-id',
    'frank',
    '--profile',
    profile.id,
    '--incoming',
    'ServerSideSync',
    '--json',
  ]);
  expect(mailbox.code).toBe(0);
  const id = JSON.parse(mailbox.out).id as string;
  expect((await cli(['mailboxes', 'approve', id])).out).toContain('Approved');
  const enable = await cli(['mailboxes', 'test-enable', id]);
  expect(enable.code).toBe(3);
  expect(enable.out).toContain('MailboxNotFound');
  expect((await cli(['mailboxes', 'disable', id, '--workloads', 'act'])).code).toBe(0);
  expect((await cli(['mailboxes', 'details', id, '--text'])).out).toContain(
    'Syncfleet mailbox details: frank@contoso.com',
  );
  expect((await cli(['alerts', id])).out).toContain('DisabledByAdmin');
  expect((await cli(['alerts', '--profile', profile.id])).out).toContain('EmailApproved');
  expect((await cli(['queues'])).out).toMatch(/incoming-email\s+0/);

  const all = [created, list, mailbox, enable].map((r) => r.out + r.err).join('\n');
  expect(all).not.toContain(SECRET);
  expect(h.logs.text()).not.toContain(SECRET);
});

test('failures exit non-zero with the API message', async () => {
  const bad = await cli(
    [
      'profiles',
      'create',
      '--name',
      'x',
      '--tenant',
      't',
      '--client-id',
      'c',
      '--client-secret-stdin',
      '--max-connections',
      '0',
    ],
    { stdin: 's' },
  );
  expect(bad.code).toBe(1);
  expect(bad.err).toContain('maxConcurrentConnections');
  expect(
    (await cli(['profiles', 'create', '--name', 'x', '--tenant', 't', '--client-id', 'c'])).err,
  ).toContain('stdin');
  const unauthorized = await cli(['queues'], { token: 'nope-nope-nope-nope-nope-nope' });
  expect(unauthorized).toMatchObject({ code: 1 });
  expect(unauthorized.err).toContain('401');
  expect((await cli(['mailboxes', 'details', '00000000-0000-4000-8000-000000000000'])).err).toContain('404');
  expect((await cli(['nonsense'])).code).toBe(1);
});

test('bulk operations follow their progress and end with a summary table; settings per mailbox', async () => {
  const profile = await h.db.prisma.emailServerProfile.create({
    data: {
      name: 'cli-bulk',
      tenantId: 't',
      clientId: 'c',
      clientSecretCiphertext: 'x',
      clientSecretKeyId: 'k1',
    },
  });
  for (let i = 0; i < 12; i++)
    await h.db.prisma.mailbox.create({
      data: {
        address: `bulk${i}@cli.test`,
        ownerType: 'User',
        ownerId: `cli-bulk-${i}`,
        profileId: profile.id,
        workloads: { create: [{ workload: 'IncomingEmail', method: 'ServerSideSync' }] },
      },
    });
  const updates: number[] = [];
  let stopped = false;
  let out = '';
  const io: CliIo = {
    baseUrl,
    token: ADMIN_TOKEN,
    readStdin: async () => '',
    out: (t) => (out += t),
    err: () => {},
    pollMs: 20,
    progress: (total) => {
      expect(total).toBe(12);
      return { update: (done) => updates.push(done), stop: () => (stopped = true) };
    },
  };
  expect(await runCli(['mailboxes', 'bulk', 'approve', '--q', '@cli.test'], io)).toBe(0);
  expect(updates.at(-1)).toBe(12);
  expect(stopped).toBe(true);
  expect(out).toMatch(/approve\s+12\s+12\s+0\s+Finished/);
  expect(
    await h.db.prisma.mailbox.count({ where: { profileId: profile.id, approvalState: 'Approved' } }),
  ).toBe(12);

  // The harness's Test & Enable fails every mailbox: exit 3 and the failures listed.
  out = '';
  expect(await runCli(['mailboxes', 'bulk', 'test-and-enable', '--profile', profile.id], io)).toBe(3);
  expect(out).toMatch(/test-and-enable\s+12\s+0\s+12\s+Finished/);
  expect(out).toContain('bulk11@cli.test');
  expect(out).toContain('no such mailbox in the tenant');

  const one = await h.db.prisma.mailbox.findFirstOrThrow({ where: { address: 'bulk0@cli.test' } });
  const set = await cli([
    'mailboxes',
    'set',
    one.id,
    '--incoming-filter',
    'FromKnownContacts',
    '--tracked-folders',
    'archive,projects',
  ]);
  expect(set.code).toBe(0);
  expect(set.out).toContain('FromKnownContacts');
  expect(set.out).toContain('archive,projects');
  const listed = await cli(['mailboxes', 'list', '--q', 'bulk1', '--sort', 'address']);
  expect(listed.out).toContain('3 mailbox(es) match'); // bulk1, bulk10, bulk11
});

test("profiles set and show: ACT's policies and settings, merged, validated by the API", async () => {
  const profile = await h.db.prisma.emailServerProfile.create({
    data: {
      name: 'cli-act',
      tenantId: 't',
      clientId: 'c',
      clientSecretCiphertext: 'x',
      clientSecretKeyId: 'k1',
      actSettings: { pageSize: 25 },
    },
  });
  const set = await cli([
    'profiles',
    'set',
    profile.id,
    '--act-invitation-policy',
    'All',
    '--act-conflict-policy',
    'ExchangeWins',
    '--act-appointments',
    'on',
    '--act-settings',
    '{"calendarWindow":{"daysAhead":90},"directions":{"contact":{"notes":"ToApp"}}}',
  ]);
  expect(set).toMatchObject({ code: 0, err: '' });
  expect(set.out).toMatch(/actInvitationPolicy\s+All/);
  expect(set.out).toMatch(/actSettings\.calendarWindow\.daysAhead\s+90\s+\*/);
  expect(set.out).toMatch(/actSettings\.calendarWindow\.daysBack\s+30\s*\n/); // a default: no star
  expect(set.out).toMatch(/actSettings\.directions\.contact\.notes\s+ToApp\s+\*/);
  const row = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: profile.id } });
  expect(row).toMatchObject({ actInvitationPolicy: 'All', actConflictPolicy: 'ExchangeWins' });
  expect(row.actSettings).toEqual({
    pageSize: 25,
    appointments: true,
    calendarWindow: { daysAhead: 90 },
    directions: { contact: { notes: 'ToApp' } },
  });

  const shown = await cli(['profiles', 'show', profile.id, '--json']);
  expect(JSON.parse(shown.out).actSettings).toMatchObject({ pageSize: 25, appointments: true });

  // Bad input: the API's 400 names the field; the CLI refuses what it cannot map; nothing changes.
  const bad = await cli([
    'profiles',
    'set',
    profile.id,
    '--act-settings',
    '{"directions":{"task":{"status":"Both"}}}',
  ]);
  expect(bad.code).toBe(1);
  expect(bad.err).toContain('400');
  expect(bad.err).toContain('actSettings.directions.task.status');
  expect((await cli(['profiles', 'set', profile.id, '--act-settings', '{pageSize: 5}'])).err).toContain(
    'not JSON',
  );
  expect((await cli(['profiles', 'set', profile.id, '--act-appointments', 'yes'])).err).toContain(
    'on, off or default',
  );
  expect((await cli(['profiles', 'set', profile.id])).err).toContain('nothing to change');
  const after = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: profile.id } });
  expect(after.actSettings).toEqual(row.actSettings);
});
