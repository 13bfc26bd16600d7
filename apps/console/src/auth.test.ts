import { ADMIN_TOKEN, AUTH, startConsole, type ConsoleHarness } from './test-support';

let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole('auth');
});
afterAll(() => h.close());

const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
const WRONG = 'wrong-token-0123456789abcdefghij';

describe('authentication', () => {
  test.each(['/api/profiles', '/api/mailboxes', '/api/queues', '/api/openapi.json', '/api/nowhere'])(
    '%s without or with a wrong token → 401 JSON',
    async (url) => {
      for (const headers of [{}, { authorization: `Bearer ${WRONG}` }, { authorization: basic(WRONG) }]) {
        const response = await h.app.inject({ method: 'GET', url, headers });
        expect(response.statusCode).toBe(401);
        expect(response.json()).toMatchObject({ error: { code: 'Unauthorized' } });
      }
    },
  );

  test('mutations are refused without a token and change nothing', async () => {
    const response = await h.app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'x' } });
    expect(response.statusCode).toBe(401);
    expect(await h.db.prisma.emailServerProfile.count()).toBe(0);
  });

  test.each(['/queues', '/queues/', '/queues/api/queues', '/queues/static/favicon-32x32.png'])(
    '%s without or with a wrong token → 401 with a Basic challenge',
    async (url) => {
      for (const headers of [{}, { authorization: `Bearer ${WRONG}` }, { authorization: basic(WRONG) }]) {
        const response = await h.app.inject({ method: 'GET', url, headers });
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Basic realm="syncfleet"');
      }
    },
  );

  test('Bearer and Basic (token as password) are both accepted', async () => {
    for (const authorization of [`Bearer ${ADMIN_TOKEN}`, basic(ADMIN_TOKEN)]) {
      const response = await h.app.inject({ method: 'GET', url: '/api/queues', headers: { authorization } });
      expect(response.statusCode).toBe(200);
    }
  });

  test('a token that only shares a prefix is refused', async () => {
    const response = await h.app.inject({
      method: 'GET',
      url: '/api/queues',
      headers: { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
    });
    expect(response.statusCode).toBe(401);
  });

  test('healthz and readyz are public', async () => {
    const health = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });
});

describe('Bull Board and queues', () => {
  test('Bull Board serves its UI and lists the three workload queues', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/queues', headers: AUTH });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');

    const api = await h.app.inject({
      method: 'GET',
      url: '/queues/api/queues',
      headers: { authorization: basic(ADMIN_TOKEN) },
    });
    expect(api.statusCode).toBe(200);
    const names = (api.json() as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['act', 'incoming-email', 'outgoing-email']);
  });

  test('GET /api/queues counts jobs per queue', async () => {
    await h.queues.act.add(
      'act',
      {
        mailboxId: '00000000-0000-4000-8000-000000000001',
        workload: 'act',
        dueAt: new Date().toISOString(),
      },
      { delay: 60_000 },
    );
    const response = await h.app.inject({ method: 'GET', url: '/api/queues', headers: AUTH });
    expect(response.statusCode).toBe(200);
    const queues = (response.json() as { queues: { name: string; counts: Record<string, number> }[] }).queues;
    expect(queues.map((q) => q.name)).toEqual(['incoming-email', 'outgoing-email', 'act']);
    expect(queues.find((q) => q.name === 'act')?.counts).toEqual({
      waiting: 0,
      active: 0,
      delayed: 1,
      failed: 0,
      completed: 0,
    });
  });

  test('the OpenAPI document describes the API from the zod schemas', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/api/openapi.json', headers: AUTH });
    expect(response.statusCode).toBe(200);
    const doc = response.json() as { openapi: string; paths: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(doc.openapi).toMatch(/^3\./);
    const create = doc.paths['/api/profiles'].post.requestBody.content['application/json'].schema;
    expect(create.properties.maxConcurrentConnections).toMatchObject({ minimum: 1, maximum: 300 });
    expect(create.required).toEqual(expect.arrayContaining(['name', 'tenantId', 'clientId', 'clientSecret']));
    expect(doc.paths['/api/mailboxes/{id}/test-and-enable'].post).toBeDefined();
  });
});
