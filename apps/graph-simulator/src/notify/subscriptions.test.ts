import https from 'node:https';
import type { AddressInfo } from 'node:net';
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
      res.writeHead(202);
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
    subscriptionId: sub.id,
    subscriptionExpirationDateTime: sub.expirationDateTime,
    clientState: 'secret-state',
    changeType: 'created',
    tenantId: h.tenantId,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.Message',
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
