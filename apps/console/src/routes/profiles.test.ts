import {
  ADMIN_TOKEN,
  call,
  mailboxInput,
  profileInput,
  startConsole,
  type ConsoleHarness,
  type Json,
} from '../test-support';

let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole('profiles');
});
afterAll(() => h.close());

const fieldPaths = (json: Json) => (json.error.fields as { path: string }[]).map((f) => f.path);

describe('profiles', () => {
  test('creates with defaults, never returns the secret, stores it sealed', async () => {
    const created = await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'defaults' }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'defaults',
      hasClientSecret: true,
      maxConcurrentConnections: 10,
      graphBaseUrl: 'https://graph.microsoft.com',
    });
    expect(created.body).not.toContain('not-the-real-secret');
    expect(created.json).not.toHaveProperty('clientSecretCiphertext');
    const row = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: created.json.id } });
    expect(row.clientSecretCiphertext).not.toContain('not-the-real-secret');
    expect(h.secretBox.open({ keyId: row.clientSecretKeyId, ciphertext: row.clientSecretCiphertext })).toBe(
      'not-the-real-secret',
    );
  });

  test.each([
    [{ maxConcurrentConnections: 0 }, 'maxConcurrentConnections'],
    [{ maxConcurrentConnections: 301 }, 'maxConcurrentConnections'],
    [{ maxConcurrentConnections: 2.5 }, 'maxConcurrentConnections'],
    [{ graphBaseUrl: 'http://graph.microsoft.com' }, 'graphBaseUrl'],
    [{ authorityUrl: 'not a url' }, 'authorityUrl'],
    [{ processEmailFrom: 'yesterday' }, 'processEmailFrom'],
    [{ ownerEmail: 'nobody' }, 'ownerEmail'],
    [{ name: '' }, 'name'],
    [{ colour: 'blue' }, 'colour'],
  ])('rejects %j with a field error and stores nothing', async (bad, path) => {
    const response = await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'rejected', ...bad }));
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('ValidationError');
    expect(fieldPaths(response.json)).toContain(path);
    expect(await h.db.prisma.emailServerProfile.count({ where: { name: 'rejected' } })).toBe(0);
  });

  test('missing required fields are all named', async () => {
    const response = await call(h.app, 'POST', '/api/profiles', {});
    expect(response.status).toBe(400);
    expect(fieldPaths(response.json)).toEqual(
      expect.arrayContaining(['name', 'tenantId', 'clientId', 'clientSecret']),
    );
  });

  test('duplicate name → 409; bad PATCH changes nothing', async () => {
    const first = await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'dup' }));
    const again = await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'dup' }));
    expect(again.status).toBe(409);
    expect(again.json.error.message).toContain('"dup"');

    const id = first.json.id as string;
    const bad = await call(h.app, 'PATCH', `/api/profiles/${id}`, {
      maxConcurrentConnections: 301,
      name: 'x',
    });
    expect(bad.status).toBe(400);
    expect((await call(h.app, 'GET', `/api/profiles/${id}`)).json).toMatchObject({
      name: 'dup',
      maxConcurrentConnections: 10,
    });
    const other = await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'other' }));
    const clash = await call(h.app, 'PATCH', `/api/profiles/${other.json.id}`, { name: 'dup' });
    expect(clash.status).toBe(409);
  });

  test('PATCH updates fields and re-seals a new secret', async () => {
    const created = await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'patch-me' }));
    const id = created.json.id as string;
    const before = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id } });
    const patched = await call(h.app, 'PATCH', `/api/profiles/${id}`, {
      maxConcurrentConnections: 300,
      processEmailFrom: '2024-03-01',
      clientSecret: 'second-secret-value',
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      maxConcurrentConnections: 300,
      processEmailFrom: '2024-03-01T00:00:00.000Z',
    });
    expect(patched.body).not.toContain('second-secret-value');
    const after = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id } });
    expect(after.clientSecretCiphertext).not.toBe(before.clientSecretCiphertext);
    expect(
      h.secretBox.open({ keyId: after.clientSecretKeyId, ciphertext: after.clientSecretCiphertext }),
    ).toBe('second-secret-value');
  });

  test('unknown and malformed ids → 404 / 400', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await call(h.app, 'GET', `/api/profiles/${unknown}`)).status).toBe(404);
    expect((await call(h.app, 'PATCH', `/api/profiles/${unknown}`, { name: 'n' })).status).toBe(404);
    expect((await call(h.app, 'DELETE', `/api/profiles/${unknown}`)).status).toBe(404);
    expect((await call(h.app, 'GET', '/api/profiles/not-a-uuid')).status).toBe(400);
  });

  test('DELETE is refused while a mailbox uses the profile', async () => {
    const profile = await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'in-use' }));
    const mailbox = await call(h.app, 'POST', '/api/mailboxes', mailboxInput(profile.json.id));
    expect(mailbox.status).toBe(201);
    const refused = await call(h.app, 'DELETE', `/api/profiles/${profile.json.id}`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('1 mailbox');
    expect((await call(h.app, 'DELETE', `/api/mailboxes/${mailbox.json.id}`)).status).toBe(204);
    expect((await call(h.app, 'DELETE', `/api/profiles/${profile.json.id}`)).status).toBe(204);
    expect((await call(h.app, 'GET', `/api/profiles/${profile.json.id}`)).status).toBe(404);
  });

  test('list is paginated and never carries secrets', async () => {
    const page = await call(h.app, 'GET', '/api/profiles?limit=2&offset=0');
    expect(page.status).toBe(200);
    expect(page.json.items).toHaveLength(2);
    expect(page.json.total).toBeGreaterThanOrEqual(3);
    expect(page.body).not.toMatch(/clientSecretCiphertext|not-the-real-secret/);
    expect(h.logs.text()).not.toContain(ADMIN_TOKEN);
  });
});
