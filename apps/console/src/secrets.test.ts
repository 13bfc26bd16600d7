import { generateSecretKey, SecretBox } from '@syncfleet/config';
import {
  ADMIN_TOKEN,
  call,
  mailboxInput,
  profileInput,
  startConsole,
  type ConsoleHarness,
} from './test-support';

/**
 * The client secret and the admin token must never leave the process: not in a response body or
 * header, not in a log line — whatever the endpoint, success or failure.
 */
const SECRET = 'S3cr3t-Zebra-Lighthouse-7781';
const NEW_SECRET = 'S3cr3t-Rotated-Quokka-4412';

let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole('secrets');
});
afterAll(() => h.close());

test('no endpoint returns or logs the client secret or the admin token', async () => {
  const seen: string[] = [];
  const hit = async (method: string, url: string, payload?: unknown) => {
    const response = await call(h.app, method, url, payload);
    seen.push(response.body, JSON.stringify(response.headers));
    return response;
  };

  const profile = await hit(
    'POST',
    '/api/profiles',
    profileInput({ name: 'secretive', clientSecret: SECRET }),
  );
  expect(profile.status).toBe(201);
  const pid = profile.json.id as string;
  // Failures carrying the secret in their payload: validation, unknown field, conflict.
  expect(
    (await hit('POST', '/api/profiles', profileInput({ clientSecret: SECRET, maxConcurrentConnections: 0 })))
      .status,
  ).toBe(400);
  expect((await hit('POST', '/api/profiles', { clientSecret: SECRET, secret: SECRET })).status).toBe(400);
  expect(
    (await hit('POST', '/api/profiles', profileInput({ name: 'secretive', clientSecret: SECRET }))).status,
  ).toBe(409);
  expect((await hit('POST', '/api/profiles', `{"clientSecret": "${SECRET}"`)).status).toBe(400);
  await hit('GET', '/api/profiles');
  await hit('GET', `/api/profiles/${pid}`);
  await hit('PATCH', `/api/profiles/${pid}`, { clientSecret: NEW_SECRET });
  await hit('PATCH', `/api/profiles/${pid}`, { clientSecret: SECRET, graphBaseUrl: 'http://insecure' });
  await hit('GET', `/api/profiles/${pid}/alerts`);

  const mailbox = await hit('POST', '/api/mailboxes', mailboxInput(pid));
  const mid = mailbox.json.id as string;
  await hit('GET', '/api/mailboxes');
  await hit('GET', `/api/mailboxes/${mid}`);
  await hit('PATCH', `/api/mailboxes/${mid}`, { displayName: 'Alice A.' });
  await hit('POST', `/api/mailboxes/${mid}/approve`);
  await hit('POST', `/api/mailboxes/${mid}/test-and-enable`);
  await hit('POST', `/api/mailboxes/${mid}/disable`, {});
  await hit('GET', `/api/mailboxes/${mid}/details`);
  await hit('GET', `/api/mailboxes/${mid}/details?format=text`);
  const alerts = await hit('GET', `/api/mailboxes/${mid}/alerts`);
  await hit('POST', `/api/alerts/${alerts.json.items[0].id}/acknowledge`);
  await hit('POST', `/api/mailboxes/${mid}/reject`);
  await hit('GET', '/api/queues');
  await hit('GET', '/api/openapi.json');
  await hit('DELETE', `/api/profiles/${pid}`);
  await hit('DELETE', `/api/mailboxes/${mid}`);
  await hit('DELETE', `/api/profiles/${pid}`);
  // Wrong credentials of both kinds, and Basic with the right token.
  for (const authorization of [
    `Bearer ${SECRET}`,
    `Basic ${Buffer.from(`a:${ADMIN_TOKEN}`).toString('base64')}`,
  ]) {
    const response = await h.app.inject({
      method: 'GET',
      url: '/queues/api/queues',
      headers: { authorization },
    });
    seen.push(response.body);
  }

  const logs = h.logs.text();
  expect(logs).toContain('incoming request'); // the requests were logged
  const forbidden = [SECRET, NEW_SECRET, ADMIN_TOKEN, Buffer.from(`a:${ADMIN_TOKEN}`).toString('base64')];
  for (const value of forbidden) {
    expect(logs).not.toContain(value);
    for (const body of seen) expect(body).not.toContain(value);
  }
  expect(seen.join('\n')).not.toMatch(/clientSecretCiphertext|clientSecretKeyId/);
});

test('the database holds ciphertext that SecretBox opens', async () => {
  const created = await call(
    h.app,
    'POST',
    '/api/profiles',
    profileInput({ name: 'sealed', clientSecret: SECRET }),
  );
  const row = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: created.json.id } });
  expect(JSON.stringify(row)).not.toContain(SECRET);
  expect(row.clientSecretCiphertext).toMatch(/^v1\./);
  expect(row.clientSecretKeyId).toBe('k1');
  expect(h.secretBox.open({ keyId: row.clientSecretKeyId, ciphertext: row.clientSecretCiphertext })).toBe(
    SECRET,
  );
});

test('POST /api/secrets/rotate reports what it re-sealed and what it cannot open, never a secret', async () => {
  const orphan = new SecretBox([generateSecretKey('retired')]).seal(SECRET);
  const { id } = await h.db.prisma.emailServerProfile.create({
    data: {
      name: 'orphan',
      tenantId: 't',
      clientId: 'c',
      clientSecretCiphertext: orphan.ciphertext,
      clientSecretKeyId: 'retired',
    },
  });
  const response = await call(h.app, 'POST', '/api/secrets/rotate');
  expect(response.status).toBe(200);
  expect(response.json).toMatchObject({ currentKeyId: 'k1', rotated: 0 });
  expect(response.json.unreadable).toContainEqual({ profileId: id, keyId: 'retired' });
  expect(response.body).not.toContain(SECRET);
  expect(h.logs.text()).not.toContain(SECRET);
});
