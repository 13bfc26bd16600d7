import { call, profileInput, startConsole, type ConsoleHarness } from '../test-support';

/** A profile's secret goes to its authority, its tokens to its Graph URL: both are guarded. */
let h: ConsoleHarness;
beforeAll(async () => {
  h = await startConsole('profile-endpoints', { graphAllowedHosts: ['127.0.0.1:4443'] });
});
afterAll(() => h.close());

describe('profile endpoints', () => {
  test.each([
    ['authorityUrl', 'https://login.evil.example'],
    ['authorityUrl', 'https://login.microsoftonline.com.evil.example'],
    ['authorityUrl', 'https://login.microsoftonline.com:8443'],
    ['graphBaseUrl', 'https://graph.evil.example'],
    ['graphBaseUrl', 'https://127.0.0.1:4444'],
    ['graphBaseUrl', 'https://user:pw@graph.microsoft.com'],
  ])('%s=%s is refused with 400 naming the field', async (field, url) => {
    const response = await call(h.app, 'POST', '/api/profiles', profileInput({ name: url, [field]: url }));
    expect(response.status).toBe(400);
    expect(response.json.error.fields).toEqual([{ path: field, message: expect.any(String) }]);
    expect(await h.db.prisma.emailServerProfile.count({ where: { name: url } })).toBe(0);
  });

  test.each([
    ['global', 'https://login.microsoftonline.com', 'https://graph.microsoft.com'],
    ['US Gov L4', 'https://login.microsoftonline.us', 'https://graph.microsoft.us'],
    ['US Gov L5', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us'],
    ['China', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn'],
    [
      'China (partner)',
      'https://login.partner.microsoftonline.cn',
      'https://microsoftgraph.chinacloudapi.cn',
    ],
    ['an allowed host (GRAPH_ALLOWED_HOSTS)', 'https://127.0.0.1:4443', 'https://127.0.0.1:4443'],
  ])('%s endpoints are accepted', async (name, authorityUrl, graphBaseUrl) => {
    const response = await call(
      h.app,
      'POST',
      '/api/profiles',
      profileInput({ name, authorityUrl, graphBaseUrl }),
    );
    expect(response.status).toBe(201);
  });

  test('changing tenant, client id, authority or Graph URL requires the secret again', async () => {
    const { id } = (await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'retarget' }))).json;
    const before = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id } });
    for (const change of [
      { tenantId: 'another-tenant' },
      { clientId: 'another-app' },
      { authorityUrl: 'https://login.microsoftonline.us' },
      { graphBaseUrl: 'https://graph.microsoft.us' },
      { graphBaseUrl: 'https://127.0.0.1:4443', ownerEmail: 'owner@example.org' },
    ]) {
      const response = await call(h.app, 'PATCH', `/api/profiles/${id}`, change);
      expect(response.status).toBe(400);
      expect(response.json.error.fields).toEqual([
        { path: 'clientSecret', message: expect.stringContaining(Object.keys(change)[0]!) },
      ]);
    }
    expect(await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id } })).toEqual(before);
    // The same values again, or other settings, need no secret; a retarget with the secret passes.
    expect((await call(h.app, 'PATCH', `/api/profiles/${id}`, { tenantId: before.tenantId })).status).toBe(
      200,
    );
    expect((await call(h.app, 'PATCH', `/api/profiles/${id}`, { connectionTimeoutSec: 9 })).status).toBe(200);
    const moved = await call(h.app, 'PATCH', `/api/profiles/${id}`, {
      authorityUrl: 'https://login.microsoftonline.us',
      graphBaseUrl: 'https://graph.microsoft.us',
      clientSecret: 'the-gov-secret',
    });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ authorityUrl: 'https://login.microsoftonline.us' });
  });
});
