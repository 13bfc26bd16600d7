import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@syncfleet/testing';
import { EMAIL_BODY_LIMIT } from './routes/emails';
import {
  ADMIN_TOKEN,
  AUTH,
  call,
  mailboxInput,
  profileInput,
  startConsole,
  type ConsoleHarness,
} from './test-support';
import { UploadBudget } from './upload-budget';

const MiB = 1024 * 1024;
const uploads = new UploadBudget(12 * MiB);
let h: ConsoleHarness;
let profileId: string;
let mailboxId: string;
let base: string;

beforeAll(async () => {
  h = await startConsole('security', {
    security: {
      authFailureLimit: { max: 3, windowMs: 60_000 },
      uploads,
      allowedOrigins: ['https://admin.example.org'],
    },
  });
  profileId = (await call(h.app, 'POST', '/api/profiles', profileInput())).json.id;
  mailboxId = (await call(h.app, 'POST', '/api/mailboxes', mailboxInput(profileId))).json.id;
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});
afterAll(() => h.close());

describe('NUL characters', () => {
  test.each([
    ['POST', '/api/profiles', 'name', () => profileInput({ name: 'a\u0000b' })],
    ['PATCH', '/api/profiles/:profile', 'tenantId', () => ({ tenantId: '\u0000' })],
    ['PATCH', '/api/mailboxes/:mailbox', 'owner.id', () => ({ owner: { type: 'User', id: 'u\u0000' } })],
    [
      'POST',
      '/api/emails',
      'to.0.name',
      () => ({ mailboxId, subject: 's', to: [{ address: 'a@b.c', name: 'x\u0000' }] }),
    ],
    [
      'POST',
      '/api/emails',
      'regarding.id',
      () => ({ mailboxId, subject: 's', regarding: { type: 't', id: '\u0000' } }),
    ],
    [
      'POST',
      '/api/emails',
      'attachments.0.name',
      () => ({ mailboxId, subject: 's', attachments: [{ name: '\u0000', contentBytes: 'AA==' }] }),
    ],
  ])('%s %s with NUL in %s → 400 naming the field, nothing changed', async (method, url, field, body) => {
    const before = await snapshot();
    const path = url.replace(':profile', profileId).replace(':mailbox', mailboxId);
    const response = await call(h.app, method, path, body());
    expect(response.status).toBe(400);
    expect(response.json.error.fields).toEqual([{ path: field, message: expect.stringMatching(/NUL/) }]);
    expect(await snapshot()).toEqual(before);
  });

  test('in a query parameter → 400', async () => {
    const response = await call(h.app, 'GET', '/api/mailboxes?approvalState=%00');
    expect(response.status).toBe(400);
    expect(response.json.error.fields[0].path).toBe('approvalState');
  });
});

describe('failed authentication', () => {
  test('is logged at warn and limited per address: after 3 failures even the right token gets 429', async () => {
    const from = (remoteAddress: string, authorization?: string) =>
      h.app.inject({
        method: 'GET',
        url: '/api/queues',
        remoteAddress,
        headers: authorization ? { authorization } : {},
      });
    for (let i = 0; i < 3; i++) expect((await from('10.0.0.7', 'Bearer guess-' + i)).statusCode).toBe(401);
    const blocked = await from('10.0.0.7', `Bearer ${ADMIN_TOKEN}`);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.json()).toMatchObject({ error: { code: 'TooManyFailedAttempts' } });
    // Another address is not affected.
    expect((await from('10.0.0.8', `Bearer ${ADMIN_TOKEN}`)).statusCode).toBe(200);
    const warnings = h.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'authentication failed');
    expect(warnings.length).toBeGreaterThanOrEqual(3);
    expect(warnings.every((l) => l.level === 40 && l.ip === '10.0.0.7')).toBe(true);
    expect(h.logs.text()).not.toContain('guess-');
  });
});

describe('cross-site requests', () => {
  const basic = { authorization: `Basic ${Buffer.from(`x:${ADMIN_TOKEN}`).toString('base64')}` };

  test.each([
    ['text/plain', JSON.stringify(profileInput({ name: 'csrf-1' }))],
    ['application/x-www-form-urlencoded', 'name=csrf-2&tenantId=t&clientId=c&clientSecret=s'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\ncsrf-3\r\n--x--',
    ],
  ])('a %s body with cached Basic credentials → 415, nothing stored', async (contentType, payload) => {
    const before = await snapshot();
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/profiles',
      headers: { ...basic, 'content-type': contentType },
      payload,
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.message).toContain('application/json');
    expect(await snapshot()).toEqual(before);
  });

  test('a foreign Origin is refused (403) even without a body; the own and allowed origins pass', async () => {
    const post = (origin: string) =>
      h.app.inject({
        method: 'POST',
        url: `/api/mailboxes/${mailboxId}/reject`,
        headers: { ...basic, origin, host: 'console.example.org' },
      });
    for (const origin of ['https://evil.example', 'null', 'http://console.example.org.evil.example']) {
      const response = await post(origin);
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('CrossOriginRefused');
    }
    expect(
      (await h.db.prisma.mailbox.findUniqueOrThrow({ where: { id: mailboxId } })).approvalState,
    ).not.toBe('Rejected');
    expect((await post('http://console.example.org')).statusCode).toBe(200);
    expect((await post('https://admin.example.org')).statusCode).toBe(200);
  });
});

describe('security headers', () => {
  test.each(['/queues', '/api/queues', '/healthz', '/api/nowhere'])('%s', async (url) => {
    const response = await h.app.inject({ method: 'GET', url, headers: AUTH });
    expect(response.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(response.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
  });
});

describe('body limits', () => {
  test('a profile body over 64 KiB → 413 before parsing', async () => {
    const response = await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'x'.repeat(70_000) }));
    expect(response.status).toBe(413);
  });

  test('an email body over the route limit → 413', async () => {
    const response = await call(h.app, 'POST', '/api/emails', {
      mailboxId,
      subject: 'x'.repeat(EMAIL_BODY_LIMIT),
    });
    expect(response.status).toBe(413);
  });

  test('concurrent large uploads stay within the budget: the rest get 429, never a 5xx', async () => {
    const size = 5 * MiB;
    const held = [openUpload(size), openUpload(size)];
    await waitFor(() => uploads.used === 2 * size, { description: 'two uploads reserved' });
    const rest = await Promise.all(Array.from({ length: 4 }, () => postUpload(size)));
    expect(rest.map((r) => r.status)).toEqual([429, 429, 429, 429]);
    expect(rest[0]!.body).toContain('UploadBudgetExhausted');
    const finished = await Promise.all(held.map((upload) => upload.finish()));
    // 2 MB of bodyText is over its own limit: a clean 400 naming the field.
    expect(finished.map((r) => r.status)).toEqual([400, 400]);
    expect(finished[0]!.body).toContain('bodyText');
    await waitFor(() => uploads.used === 0, { description: 'budget released' });
    expect((await postUpload(size)).status).toBe(400);
  });
});

async function snapshot() {
  const [profiles, mailboxes, emails] = await Promise.all([
    h.db.prisma.emailServerProfile.findMany({ orderBy: { id: 'asc' } }),
    h.db.prisma.mailbox.findMany({ orderBy: { id: 'asc' } }),
    h.db.prisma.emailActivity.count(),
  ]);
  return { profiles, mailboxes, emails };
}

/** A JSON email body of exactly `size` bytes (bodyText padded). */
function emailBody(size: number): Buffer {
  const head = JSON.stringify({ mailboxId, subject: 'big', bodyText: '' }).slice(0, -2);
  return Buffer.from(`${head}${'a'.repeat(size - head.length - 2)}"}`);
}

function postUpload(size: number) {
  return fetch(`${base}/api/emails`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: emailBody(size),
  }).then(async (r) => ({ status: r.status, body: await r.text() }));
}

/** Starts an upload and sends only its first bytes; finish() sends the rest and reads the answer. */
function openUpload(size: number) {
  const body = emailBody(size);
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = httpRequest(
      `${base}/api/emails`,
      { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json', 'content-length': size } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
  });
  req.write(body.subarray(0, 64 * 1024));
  return {
    finish() {
      req.end(body.subarray(64 * 1024));
      return answer;
    },
  };
}
