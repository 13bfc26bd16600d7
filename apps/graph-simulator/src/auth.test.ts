import { ConfidentialClientApplication } from '@azure/msal-node';
import { authorityMetadataFor } from './index';
import { createMsalNetworkClient, createTrustingFetch } from './client-tls';
import { startHarness } from './testing/harness';
import type { Harness } from './testing/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function msal(secret: string, clientId = h.clientId) {
  return new ConfidentialClientApplication({
    auth: {
      clientId,
      clientSecret: secret,
      authority: `${h.sim.url}/${h.tenantId}`,
      knownAuthorities: [new URL(h.sim.url).host],
      authorityMetadata: authorityMetadataFor(h.sim.url, h.tenantId),
    },
    system: { networkClient: createMsalNetworkClient(h.sim.caPem) },
  });
}

test('msal-node acquires a client-credentials token over verified TLS', async () => {
  const result = await msal(h.clientSecret).acquireTokenByClientCredential({
    scopes: ['https://graph.microsoft.com/.default'],
  });
  expect(result?.accessToken.split('.')).toHaveLength(3);
  expect(result?.tokenType).toBe('Bearer');
  const claims = JSON.parse(
    Buffer.from(result?.accessToken.split('.')[1] ?? '', 'base64url').toString(),
  ) as Record<string, unknown>;
  expect(claims).toMatchObject({ tid: h.tenantId, appid: h.clientId });
});

test('a wrong client secret is rejected with an AAD error', async () => {
  await expect(
    msal('wrong-secret').acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }),
  ).rejects.toMatchObject({
    errorCode: 'invalid_client',
    errorMessage: expect.stringContaining('AADSTS7000215'),
  });
});

test('an expired client secret: AADSTS7000222 with Entra-formatted trace and correlation ids, then fixed', async () => {
  const { clientId, clientSecret } = await h.sim.admin.createApp(h.tenantId, {
    secretExpiresAt: '2026-01-01T00:00:00Z',
  });
  const error = (await msal(clientSecret, clientId)
    .acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] })
    .catch((e: unknown) => e)) as { errorCode: string; errorMessage: string; errorNo?: string };
  expect(error.errorCode).toBe('invalid_client');
  expect(error.errorMessage).toMatch(
    /^Error\(s\): 7000222 - .*AADSTS7000222: The provided client secret keys for app '[^']+' are expired\. .*https:\/\/aka\.ms\/NewClientSecret.* Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/,
  );
  // A new expiry (a new secret, in real life) makes it work again.
  await h.sim.admin.expireSecret(h.tenantId, clientId, null);
  const ok = await msal(clientSecret, clientId).acquireTokenByClientCredential({
    scopes: ['https://graph.microsoft.com/.default'],
  });
  expect(ok?.accessToken).toBeTruthy();
});

test('the Graph client is authenticated and trusts the simulator CA', async () => {
  const me = (await h.graph.api(`/users/${h.mailboxes[0]?.userPrincipalName}`).get()) as { id: string };
  expect(me.id).toBe(h.mailboxes[0]?.id);
});

test('missing, garbage and expired tokens get 401 InvalidAuthenticationToken', async () => {
  const fetch = createTrustingFetch(h.sim.caPem);
  const url = `${h.sim.graphBaseUrl}/users/${h.mailboxes[0]?.id}/mailFolders/inbox`;
  const expired = await h.sim.admin.mintToken({
    tenantId: h.tenantId,
    clientId: h.clientId,
    expiresInSeconds: -10,
  });
  for (const auth of [undefined, 'Bearer garbage', `Bearer ${expired.access_token}`]) {
    const res = await fetch(url, {
      headers: auth ? { authorization: auth, 'client-request-id': 'abc' } : {},
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; innerError: Record<string, string> } };
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.innerError['request-id']).toBeTruthy();
  }
  fetch.agent.destroy();
});

test('admin API requires the admin key', async () => {
  const fetch = createTrustingFetch(h.sim.caPem);
  const res = await fetch(`${h.sim.url}/_sim/metrics`, { headers: { 'x-sim-admin-key': 'nope' } });
  expect(res.status).toBe(401);
  const bad = await fetch(`${h.sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'x-sim-admin-key': h.sim.adminKey, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'x' }),
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('status');
  fetch.agent.destroy();
});
