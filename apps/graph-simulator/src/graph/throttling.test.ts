import { RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import type { GraphError } from '@microsoft/microsoft-graph-client';
import type { Message } from '@microsoft/microsoft-graph-types';
import { createTrustingFetch } from '../client-tls';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

let h: Harness;
let fetch: ReturnType<typeof createTrustingFetch>;
let token: string;
beforeAll(async () => {
  h = await startHarness({ mailboxes: 4 });
  fetch = createTrustingFetch(h.sim.caPem);
  token = (await h.sim.admin.mintToken({ tenantId: h.tenantId, clientId: h.clientId })).access_token;
});
afterAll(async () => {
  fetch.agent.destroy();
  await h.close();
});
beforeEach(async () => {
  await h.sim.admin.clearFaults();
  await h.sim.admin.reset();
});

interface BatchResponse {
  responses: Array<{
    id: string;
    status: number;
    headers?: Record<string, string>;
    body?: { id?: string; error?: { code: string } };
  }>;
}

test('$batch: dependsOn chain with a failed dependency (424) and an inner 429 with Retry-After', async () => {
  const mb = mailbox(h, 0);
  await h.sim.admin.addFault({
    scope: { mailbox: mb.id },
    status: 429,
    retryAfterSeconds: 1,
    count: 1,
    routes: '/mailFolders/inbox$',
  });
  const json = { 'Content-Type': 'application/json' };
  const res = (await h.graph.api('/$batch').post({
    requests: [
      { id: '1', method: 'POST', url: `/users/${mb.id}/messages`, headers: json, body: { subject: 'draft' } },
      { id: '2', method: 'GET', url: `/users/${mb.id}/mailFolders/drafts`, dependsOn: ['1'] },
      { id: '3', method: 'GET', url: `/users/${mb.id}/messages/does-not-exist`, dependsOn: ['2'] },
      { id: '4', method: 'GET', url: `/users/${mb.id}/mailFolders/sentitems`, dependsOn: ['3'] },
      { id: '5', method: 'GET', url: `/users/${mb.id}/mailFolders/inbox` },
    ],
  })) as BatchResponse;
  // json-batching: responses may come in another order than the requests; correlate by id.
  expect(res.responses.map((r) => r.id)).not.toEqual(['1', '2', '3', '4', '5']);
  const byId = new Map(res.responses.map((r) => [r.id, r]));
  expect(byId.get('1')?.status).toBe(201);
  expect(byId.get('2')?.status).toBe(200);
  expect(byId.get('3')?.status).toBe(404);
  expect(byId.get('3')?.body?.error?.code).toBe('ErrorItemNotFound');
  expect(byId.get('4')?.status).toBe(424);
  expect(byId.get('5')?.status).toBe(429);
  expect(byId.get('5')?.headers?.['Retry-After']).toBe('1');
});

test('$batch validation: more than 20 requests, duplicate ids, body without Content-Type → 400', async () => {
  const mb = mailbox(h, 0);
  const get = (id: string) => ({ id, method: 'GET', url: `/users/${mb.id}/mailFolders/inbox` });
  const post = async (body: unknown) => {
    const res = await fetch(`${h.sim.graphBaseUrl}/$batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return res.status;
  };
  expect(await post({ requests: Array.from({ length: 21 }, (_, i) => get(String(i))) })).toBe(400);
  expect(await post({ requests: [get('a'), get('a')] })).toBe(400);
  // Ids are not case-sensitive (json-batching): 'A' and 'a' collide; dependsOn matches either case.
  expect(await post({ requests: [get('A'), get('a')] })).toBe(400);
  expect(await post({ requests: [get('First'), { ...get('second'), dependsOn: ['FIRST'] }] })).toBe(200);
  expect(await post({ requests: [{ ...get('a'), method: 'POST', body: {} }] })).toBe(400);
});

test('429 + Retry-After: the official RetryHandler waits, and no request arrives early', async () => {
  const mb = mailbox(h, 1);
  await h.sim.admin.addFault({ scope: { mailbox: mb.id }, status: 429, retryAfterSeconds: 1, count: 1 });
  const started = Date.now();
  const folder = (await h.graph
    .api(`/users/${mb.id}/mailFolders/inbox`)
    .header('X-AnchorMailbox', mb.address)
    .get()) as {
    displayName: string;
  };
  expect(folder.displayName).toBe('Inbox');
  expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  const metrics = await h.sim.admin.metrics();
  expect(metrics.throttled429).toBe(1);
  expect(metrics.earlyRequests).toBe(0);
  expect(metrics.byStatus['429']).toBe(1);
});

test('a request before Retry-After elapsed is counted as early', async () => {
  const mb = mailbox(h, 1);
  await h.sim.admin.addFault({ scope: { mailbox: mb.id }, status: 503, retryAfterSeconds: 30, count: 1 });
  const url = `${h.sim.graphBaseUrl}/users/${mb.id}/mailFolders/inbox`;
  const first = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  expect(first.status).toBe(503);
  expect(first.headers.get('retry-after')).toBe('30');
  await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const metrics = await h.sim.admin.metrics();
  expect(metrics.earlyRequestsByMailbox[mb.id]).toBe(1);
  expect(metrics.missingAnchorByMailbox[mb.id]).toBe(2);
});

test('4 concurrent requests per app and mailbox: the 5th+ get 429 MailboxConcurrency', async () => {
  const mb = mailbox(h, 2);
  await h.sim.admin.addFault({ scope: { mailbox: mb.id }, latencyMs: 300 });
  const url = `${h.sim.graphBaseUrl}/users/${mb.id}/mailFolders/inbox`;
  const results = await Promise.all(
    Array.from({ length: 8 }, () =>
      fetch(url, { headers: { authorization: `Bearer ${token}`, 'x-anchormailbox': mb.address } }).then(
        async (r) => ({
          status: r.status,
          retryAfter: r.headers.get('retry-after'),
          body: (await r.json()) as { error?: { code: string; message: string } },
        }),
      ),
    ),
  );
  const throttled = results.filter((r) => r.status === 429);
  expect(results.filter((r) => r.status === 200)).toHaveLength(4);
  expect(throttled).toHaveLength(4);
  expect(throttled[0]?.retryAfter).toBe('1');
  expect(throttled[0]?.body.error?.message).toMatch(/MailboxConcurrency/);
  const metrics = await h.sim.admin.metrics();
  // Rejections are immediate, so at least 4 held + 1 being rejected were in flight together.
  expect(metrics.maxConcurrencyByMailbox[mb.id]).toBeGreaterThanOrEqual(5);
  expect(metrics.maxConcurrencyByApp[`${h.tenantId}:${h.clientId}`]).toBeGreaterThanOrEqual(5);
  expect(metrics.throttledByMailbox[mb.id]).toBe(4);
});

test('X-AnchorMailbox naming another mailbox → 400 ErrorIncorrectRoutingHint; matching forms are accepted', async () => {
  const mb = mailbox(h, 3);
  const other = mailbox(h, 0);
  const get = (anchor: string) =>
    h.graph
      .api(`/users/${mb.id}/messages`)
      .header('X-AnchorMailbox', anchor)
      .get()
      .then(
        () => 200,
        (e: { statusCode: number; code: string }) => `${e.statusCode} ${e.code}`,
      );
  expect(await get(`UPN:${other.address}`)).toBe('400 ErrorIncorrectRoutingHint');
  expect(await get(`UPN:${mb.address.toUpperCase()}`)).toBe(200);
  expect(await get(mb.address)).toBe(200);
  expect(await get(`SMTP:${mb.address}`)).toBe(200);
  expect(await get(mb.id)).toBe(200);
});

test('injected faults: 404 MailboxNotEnabledForRESTAPI, dropped connection, malformed JSON', async () => {
  const mb = mailbox(h, 3);
  const url = `${h.sim.graphBaseUrl}/users/${mb.id}/messages`;
  const auth = { authorization: `Bearer ${token}` };
  await h.sim.admin.addFault({
    scope: { mailbox: mb.address },
    status: 404,
    code: 'MailboxNotEnabledForRESTAPI',
    count: 1,
  });
  const notEnabled = await fetch(url, { headers: auth });
  expect(notEnabled.status).toBe(404);
  expect(((await notEnabled.json()) as { error: { code: string } }).error.code).toBe(
    'MailboxNotEnabledForRESTAPI',
  );
  await h.sim.admin.addFault({ scope: { mailbox: mb.address }, dropConnection: true, count: 1 });
  await expect(fetch(url, { headers: auth })).rejects.toThrow();
  await h.sim.admin.addFault({ scope: { mailbox: mb.address }, malformedJson: true, count: 1 });
  const malformed = await fetch(url, { headers: auth });
  await expect(malformed.json()).rejects.toThrow();
  const value = ((await (await fetch(url, { headers: auth })).json()) as { value: Message[] }).value;
  expect(value).toEqual([]);
});

test('uploads: PATCH/POST/PUT bytes per app and mailbox in a sliding 5 minutes → 429 with Retry-After', async () => {
  const mb = mailbox(h, 3);
  await h.sim.admin.patchConfig({ mailboxUploadBytesPer5Min: 20_000 });
  try {
    const noRetry = [new RetryHandlerOptions(0, 0)];
    const draft = () =>
      h.graph
        .api(`/users/${mb.id}/messages`)
        .middlewareOptions(noRetry)
        .post({ subject: 'big', body: { contentType: 'text', content: 'x'.repeat(8_000) } });
    await draft();
    await draft();
    const error = (await draft().catch((e: unknown) => e)) as GraphError;
    expect(error.statusCode).toBe(429);
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThan(200); // the window is 5 minutes
    // Reads are not uploads: the mailbox is still served.
    const folder = (await h.graph
      .api(`/users/${mb.id}/mailFolders/inbox`)
      .middlewareOptions(noRetry)
      .get()) as {
      displayName: string;
    };
    expect(folder.displayName).toBe('Inbox');
  } finally {
    await h.sim.admin.patchConfig({ mailboxUploadBytesPer5Min: 150 * 1024 * 1024 });
  }
});
