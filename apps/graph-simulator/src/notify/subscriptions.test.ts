import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ResponseType } from '@microsoft/microsoft-graph-client';
import { waitFor } from '@syncfleet/testing';
import { issueServerCertificate } from '../index';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

interface Received {
  path: string;
  body: { value: Array<Record<string, unknown>> };
}

let h: Harness;
let receiver: https.Server;
let receiverUrl: string;
const received: Received[] = [];
let echoValidation = true;

beforeAll(async () => {
  h = await startHarness();
  // The receiver's certificate is issued by the simulator's CA, which its notification client trusts.
  const cert = issueServerCertificate(h.dataDir, ['127.0.0.1']);
  receiver = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const token = url.searchParams.get('validationToken');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (token !== null) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(echoValidation ? token : 'wrong');
        return;
      }
      received.push({
        path: url.pathname,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'],
      });
      res.writeHead(url.pathname === '/fail' ? 500 : 202);
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await h.close();
});

const inOneHour = () => new Date(Date.now() + 60 * 60 * 1000).toISOString();

test('validation handshake, change notification, and a `missed` lifecycle event', async () => {
  const mb = mailbox(h, 0);
  const sub = (await h.graph.api('/subscriptions').post({
    changeType: 'created,updated',
    notificationUrl: `${receiverUrl}/notify`,
    lifecycleNotificationUrl: `${receiverUrl}/lifecycle`,
    resource: `/users/${mb.id}/mailFolders('inbox')/messages`,
    expirationDateTime: inOneHour(),
    clientState: 'secret-state',
  })) as { id: string; expirationDateTime: string };
  expect(sub.id).toBeTruthy();

  const { id } = await h.sim.admin.inbound(mb.address, {
    from: 'x@fabrikam.test',
    subject: 'ping',
    body: '',
  });
  const note = await waitFor(() => received.find((r) => r.path === '/notify'), {
    timeoutMs: 5000,
    description: 'notification',
  });
  expect(note.body.value[0]).toMatchObject({
    id: expect.stringMatching(/^[\w-]{8,}$/),
    resource: `users/${mb.id}@${h.tenantId}/messages/${id}`,
    subscriptionId: sub.id,
    subscriptionExpirationDateTime: sub.expirationDateTime,
    clientState: 'secret-state',
    changeType: 'created',
    tenantId: h.tenantId,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.Message',
      '@odata.id': `Users/${mb.id}@${h.tenantId}/Messages/${id}`,
      id,
      '@odata.etag': expect.stringMatching(/^W\//),
    },
  });

  await h.sim.admin.triggerLifecycle(sub.id, 'missed');
  const lifecycle = await waitFor(() => received.find((r) => r.path === '/lifecycle'), {
    timeoutMs: 5000,
    description: 'lifecycle notification',
  });
  expect(lifecycle.body.value[0]).toEqual({
    subscriptionId: sub.id,
    subscriptionExpirationDateTime: sub.expirationDateTime,
    tenantId: h.tenantId,
    clientState: 'secret-state',
    lifecycleEvent: 'missed',
  });
  await h.graph.api(`/subscriptions/${sub.id}`).delete();
});

test('a receiver that does not echo the validation token → 400; lifetime beyond the maximum → 400', async () => {
  const mb = mailbox(h, 1);
  const base = {
    changeType: 'created',
    notificationUrl: `${receiverUrl}/notify`,
    resource: `/users/${mb.id}/messages`,
    clientState: 'state',
  };
  echoValidation = false;
  const failed = await h.graph
    .api('/subscriptions')
    .post({ ...base, expirationDateTime: inOneHour() })
    .catch((e: { statusCode: number; code: string }) => `${e.statusCode} ${e.code}`);
  echoValidation = true;
  expect(failed).toBe('400 ValidationError');
  const tooLong = await h.graph
    .api('/subscriptions')
    .post({ ...base, expirationDateTime: new Date(Date.now() + 5000 * 60_000).toISOString() })
    .catch((e: { statusCode: number }) => e.statusCode);
  expect(tooLong).toBe(400);
});

const subscribe = (mb: { id: string }, extra: Record<string, unknown> = {}) =>
  h.graph.api('/subscriptions').post({
    changeType: 'created,updated',
    notificationUrl: `${receiverUrl}/notify`,
    lifecycleNotificationUrl: `${receiverUrl}/lifecycle`,
    resource: `/users/${mb.id}/mailFolders('inbox')/messages`,
    expirationDateTime: inOneHour(),
    clientState: 'secret-state',
    ...extra,
  }) as Promise<{ id: string; expirationDateTime: string }>;
const errorOf = (e: { statusCode: number; code: string }) => `${e.statusCode} ${e.code}`;
const forSub = (subId: string, path: string) =>
  received
    .filter((r) => r.path === path)
    .flatMap((r) => r.body.value)
    .filter((n) => n.subscriptionId === subId);

test('clientState is required', async () => {
  const failed = await subscribe(mailbox(h, 1), { clientState: undefined }).catch(errorOf);
  expect(failed).toBe('400 InvalidRequest');
});

test('changes made together arrive batched in one POST, each notification with its own id', async () => {
  const mb = mailbox(h, 2);
  const sub = await subscribe(mb);
  await h.sim.admin.inboundBulk(mb.address, {
    count: 5,
    from: 'x@fabrikam.test',
    receivedFrom: new Date().toISOString(),
  });
  await waitFor(() => forSub(sub.id, '/notify').length >= 5 || undefined, {
    timeoutMs: 5000,
    description: 'five notifications',
  });
  const posts = received.filter((r) => r.body.value.some((n) => n.subscriptionId === sub.id));
  expect(posts.length).toBeLessThan(5);
  const ids = forSub(sub.id, '/notify').map((n) => n.id);
  expect(new Set(ids).size).toBe(5);
  await h.graph.api(`/subscriptions/${sub.id}`).delete();
});

test('reauthorizationRequired: delivery pauses after the grace until /reauthorize (204)', async () => {
  const mb = mailbox(h, 0);
  const sub = await subscribe(mb);
  await h.sim.admin.patchConfig({ reauthorizationGraceMs: 0 });
  try {
    await h.sim.admin.triggerLifecycle(sub.id, 'reauthorizationRequired');
    await waitFor(
      () => forSub(sub.id, '/lifecycle').find((n) => n.lifecycleEvent === 'reauthorizationRequired'),
      { timeoutMs: 5000, description: 'challenge' },
    );
    const before = (await h.sim.admin.metrics()).notificationsDropped;
    await h.sim.admin.inbound(mb.address, { from: 'x@fabrikam.test', subject: 'paused', body: '' });
    expect((await h.sim.admin.metrics()).notificationsDropped).toBe(before + 1);

    const res = (await h.graph
      .api(`/subscriptions/${sub.id}/reauthorize`)
      .responseType(ResponseType.RAW)
      .post(undefined)) as Response;
    expect(res.status).toBe(204);
    const { id } = await h.sim.admin.inbound(mb.address, {
      from: 'x@fabrikam.test',
      subject: 'on',
      body: '',
    });
    await waitFor(() => forSub(sub.id, '/notify').find((n) => (n.resourceData as { id: string }).id === id), {
      timeoutMs: 5000,
      description: 'notification after reauthorize',
    });
  } finally {
    await h.sim.admin.patchConfig({ reauthorizationGraceMs: 600_000 });
    await h.graph.api(`/subscriptions/${sub.id}`).delete();
  }
});

test('the drop fault loses notifications and Graph says so with one coalesced `missed` event', async () => {
  const mb = mailbox(h, 1);
  const sub = await subscribe(mb);
  await h.sim.admin.patchConfig({ notificationDropRate: 1 });
  try {
    await h.sim.admin.inboundBulk(mb.address, {
      count: 3,
      from: 'x@fabrikam.test',
      receivedFrom: new Date().toISOString(),
    });
    const missed = await waitFor(
      () => forSub(sub.id, '/lifecycle').find((n) => n.lifecycleEvent === 'missed'),
      { timeoutMs: 5000, description: 'missed event' },
    );
    expect(missed).toMatchObject({ tenantId: h.tenantId, clientState: 'secret-state' });
    expect(forSub(sub.id, '/notify')).toHaveLength(0);
    expect(forSub(sub.id, '/lifecycle').filter((n) => n.lifecycleEvent === 'missed')).toHaveLength(1);
  } finally {
    await h.sim.admin.patchConfig({ notificationDropRate: 0 });
    await h.graph.api(`/subscriptions/${sub.id}`).delete();
  }
});

test('undeliverable notifications are retried, then given up on with a `missed` event', async () => {
  const mb = mailbox(h, 2);
  const sub = await subscribe(mb, { notificationUrl: `${receiverUrl}/fail` });
  await h.sim.admin.patchConfig({ notificationRetryBaseMs: 50, notificationGiveUpMs: 300 });
  try {
    await h.sim.admin.inbound(mb.address, { from: 'x@fabrikam.test', subject: 'lost', body: '' });
    await waitFor(() => forSub(sub.id, '/lifecycle').find((n) => n.lifecycleEvent === 'missed'), {
      timeoutMs: 5000,
      description: 'missed after giving up',
    });
    expect(forSub(sub.id, '/fail').length).toBeGreaterThan(1);
  } finally {
    await h.sim.admin.patchConfig({ notificationRetryBaseMs: 1000, notificationGiveUpMs: 4 * 3600_000 });
    await h.graph.api(`/subscriptions/${sub.id}`).delete();
  }
});

test('per-mailbox cap → 403; an expired subscription is deleted', async () => {
  const mb = mailbox(h, 0);
  await h.sim.admin.patchConfig({ maxSubscriptionsPerMailbox: 1 });
  const first = await subscribe(mb);
  try {
    expect(await subscribe(mb).catch(errorOf)).toBe('403 ExtensionError');
  } finally {
    await h.sim.admin.patchConfig({ maxSubscriptionsPerMailbox: 1000 });
  }
  const short = await subscribe(mb, { expirationDateTime: new Date(Date.now() + 1500).toISOString() });
  await waitFor(
    () =>
      h.graph
        .api(`/subscriptions/${short.id}`)
        .get()
        .then(
          () => undefined,
          (e: { statusCode: number }) => e.statusCode === 404 || undefined,
        ),
    { timeoutMs: 10_000, description: 'expired subscription gone' },
  );
  await h.graph.api(`/subscriptions/${first.id}`).delete();
});
