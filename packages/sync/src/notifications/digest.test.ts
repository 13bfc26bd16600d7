import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertSeverity, Workload } from '@syncfleet/db';
import { createLogger } from '@syncfleet/telemetry';
import { raiseAlert } from '../engine/alerts';
import { createOutgoingEmailHandler } from '../outgoing-email/processor';
import { cycleContext, deliveriesByEmail, TEST_SETTINGS } from '../outgoing-email/test-support';
import { useEngineHarness } from '../testing/engine-harness';
import { DigestNotifier, SIGNATURE_HEADER, signWebhookBody } from './digest';

/**
 * A burst of 20 mailboxes disabled by a permanent failure: the owner gets ONE digest email (sent by
 * the outgoing workload from the notification mailbox: one delivery in the simulator's log) and ONE
 * signed webhook; a failing webhook endpoint is retried with the same delivery id.
 */
const h = useEngineHarness('digest', { mailboxes: 21, workloads: ['outgoing-email', 'incoming-email'] });
const OWNER = 'fleet-owner@fabrikam.test';
const SECRET = 'webhook-signing-secret-0123456789';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
let server: Server;
let received: Received[] = [];
let answers: number[] = [];
let webhookUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/syncfleet`;
  const sealed = h.fx.secretBox.seal(SECRET);
  await h.db.prisma.emailServerProfile.update({
    where: { id: h.fx.profileId },
    data: {
      ownerEmail: OWNER,
      notificationMailboxId: h.fx.mailboxes[0]!.id,
      webhookUrl,
      webhookSecretCiphertext: sealed.ciphertext,
      webhookSecretKeyId: sealed.keyId,
      digestQuietSec: 5,
    },
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** What the error policy does to a mailbox on a permanent failure: workload disabled, one Error alert. */
async function disableByPermanentFailure(mailboxId: string, address: string) {
  await h.db.prisma.$transaction(async (tx) => {
    await tx.mailboxWorkload.update({
      where: { mailboxId_workload: { mailboxId, workload: Workload.IncomingEmail } },
      data: { enabled: false, status: 'Failure', lastErrorCode: 'MissingPermission' },
    });
    await raiseAlert(
      tx,
      {
        severity: AlertSeverity.Error,
        code: 'MissingPermission',
        message: `The application lacks Mail.ReadWrite for ${address}; incoming email was disabled.`,
        workload: Workload.IncomingEmail,
        mailboxId,
        profileId: h.fx.profileId,
      },
      { dedupe: true },
    );
  });
}

function notifier(at: () => Date) {
  return new DigestNotifier({
    prisma: h.db.prisma,
    secretBox: h.fx.secretBox,
    logger: createLogger({ name: 'digest-test', level: 'silent' }),
    clock: at,
    webhookBackoffMs: 1_000,
  });
}

describe('owner notifications', () => {
  test('a burst of 20 disabled mailboxes: one digest email delivered and one signed webhook', async () => {
    const burst = h.fx.mailboxes.slice(1);
    await Promise.all(burst.map((m) => disableByPermanentFailure(m.id, m.address)));
    let now = new Date();
    const digests = notifier(() => now);

    // The burst has not ended yet (its last alert is not digestQuietSec old): nothing is sent.
    await digests.tick();
    expect(await h.db.prisma.notificationDigest.count()).toBe(0);
    expect(received).toHaveLength(0);

    now = new Date(Date.now() + 6_000);
    await digests.tick();
    await digests.tick(); // nothing new: still one digest
    const [digest, ...others] = await h.db.prisma.notificationDigest.findMany();
    expect(others).toHaveLength(0);
    expect(digest).toMatchObject({ alertCount: 20, webhookState: 'Delivered', webhookAttempts: 1 });
    expect(digest!.subject).toContain('20 mailboxes need attention');
    expect(
      await h.db.prisma.alert.count({ where: { digestId: digest!.id, notifiedAt: { not: null } } }),
    ).toBe(20);

    // One webhook, signed with HMAC-SHA256 of its exact body under the profile's secret.
    expect(received).toHaveLength(1);
    const hook = received[0]!;
    expect(hook.headers[SIGNATURE_HEADER]).toBe(signWebhookBody(SECRET, hook.body));
    expect(hook.headers[SIGNATURE_HEADER]).not.toBe(signWebhookBody('another-secret-0123456789', hook.body));
    expect(hook.headers['x-syncfleet-delivery']).toBe(digest!.id);
    const payload = JSON.parse(hook.body);
    expect(payload).toMatchObject({
      type: 'syncfleet.owner-digest',
      id: digest!.id,
      profile: { id: h.fx.profileId },
    });
    expect(payload.alerts).toHaveLength(20);
    expect(new Set(payload.alerts.map((a: { mailboxAddress: string }) => a.mailboxAddress))).toEqual(
      new Set(burst.map((m) => m.address)),
    );
    expect(hook.body).not.toContain(SECRET);

    // One email, from the notification mailbox to the owner, sent by the outgoing workload.
    const email = await h.db.prisma.emailActivity.findUniqueOrThrow({
      where: { id: digest!.emailId! },
      include: { parties: true },
    });
    expect(email).toMatchObject({ status: 'PendingSend', ownerMailboxId: h.fx.mailboxes[0]!.id });
    const sender = createOutgoingEmailHandler(TEST_SETTINGS);
    await sender.run(await cycleContext(h.res, h.db.prisma, h.fx.mailboxes[0]!.id));
    expect((await deliveriesByEmail(h.fx)).get(email.id)).toBe(1);
    const deliveries = (await h.fx.sim.admin.deliveries()).filter((d) => d.to.includes(OWNER));
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.subject).toContain('20 mailboxes need attention');
    expect(deliveries[0]!.from).toBe(h.fx.mailboxes[0]!.address);
  });

  test('a failing webhook endpoint is retried with backoff, with the same delivery id', async () => {
    received = [];
    answers = [503];
    await h.db.prisma.alert.create({
      data: {
        severity: 'Error',
        code: 'ProfileAuth',
        message: 'The client secret was rejected by Entra ID.',
        profileId: h.fx.profileId,
        createdAt: new Date(Date.now() - 60_000),
      },
    });
    let now = new Date();
    const digests = notifier(() => now);
    await digests.tick();
    const digest = await h.db.prisma.notificationDigest.findFirstOrThrow({ where: { alertCount: 1 } });
    expect(digest).toMatchObject({
      webhookState: 'Pending',
      webhookAttempts: 1,
      webhookLastError: 'HTTP 503',
    });
    await digests.tick(); // the backoff has not passed
    expect(received).toHaveLength(1);
    now = new Date(Date.now() + 1_500);
    await digests.tick();
    expect(received).toHaveLength(2);
    expect(received.map((r) => r.headers['x-syncfleet-delivery'])).toEqual([digest.id, digest.id]);
    expect(received[1]!.headers[SIGNATURE_HEADER]).toBe(signWebhookBody(SECRET, received[1]!.body));
    expect(
      await h.db.prisma.notificationDigest.findUniqueOrThrow({ where: { id: digest.id } }),
    ).toMatchObject({
      webhookState: 'Delivered',
      webhookAttempts: 2,
    });
  });
});
