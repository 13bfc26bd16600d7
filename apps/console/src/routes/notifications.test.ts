import { call, mailboxInput, profileInput, startConsole, type ConsoleHarness } from '../test-support';

let h: ConsoleHarness;
let profileId: string;
let mailboxId: string;
beforeAll(async () => {
  h = await startConsole('notifications');
  profileId = (await call(h.app, 'POST', '/api/profiles', profileInput())).json.id;
  mailboxId = (await call(h.app, 'POST', '/api/mailboxes', mailboxInput(profileId))).json.id;
});
afterAll(() => h.close());

describe('owner-notification settings', () => {
  test('a webhook needs a signing secret, https (http only to localhost) and the sender mailbox must exist', async () => {
    const noSecret = await call(h.app, 'PATCH', `/api/profiles/${profileId}`, {
      webhookUrl: 'https://hooks.example.com/syncfleet',
    });
    expect(noSecret.status).toBe(400);
    expect(noSecret.json.error.fields).toEqual([expect.objectContaining({ path: 'webhookSecret' })]);
    const plainHttp = await call(h.app, 'PATCH', `/api/profiles/${profileId}`, {
      webhookUrl: 'http://hooks.example.com/syncfleet',
      webhookSecret: 'a-long-enough-signing-secret',
    });
    expect(plainHttp.status).toBe(400);
    expect(plainHttp.json.error.fields[0].path).toBe('webhookUrl');
    const unknownMailbox = await call(h.app, 'PATCH', `/api/profiles/${profileId}`, {
      notificationMailboxId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknownMailbox.status).toBe(400);
    expect(unknownMailbox.json.error.fields[0].path).toBe('notificationMailboxId');
    const unchanged = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: profileId } });
    expect(unchanged).toMatchObject({
      webhookUrl: null,
      notificationMailboxId: null,
      webhookSecretCiphertext: null,
    });
  });

  test('the webhook secret is sealed and never returned; digests are listed', async () => {
    const secret = 'a-long-enough-signing-secret';
    const saved = await call(h.app, 'PATCH', `/api/profiles/${profileId}`, {
      ownerEmail: 'owner@contoso.com',
      notificationMailboxId: mailboxId,
      webhookUrl: 'https://hooks.example.com/syncfleet',
      webhookSecret: secret,
      digestQuietSec: 60,
    });
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({
      notificationMailboxId: mailboxId,
      webhookUrl: 'https://hooks.example.com/syncfleet',
      hasWebhookSecret: true,
      digestQuietSec: 60,
    });
    expect(saved.body).not.toContain(secret);
    const row = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: profileId } });
    expect(row.webhookSecretCiphertext).not.toContain(secret);
    expect(
      h.secretBox.open({ ciphertext: row.webhookSecretCiphertext!, keyId: row.webhookSecretKeyId! }),
    ).toBe(secret);
    // Changing the URL later keeps the stored secret.
    const moved = await call(h.app, 'PATCH', `/api/profiles/${profileId}`, {
      webhookUrl: 'https://hooks.example.com/v2',
    });
    expect(moved.status).toBe(200);
    expect(h.logs.text()).not.toContain(secret);

    await h.db.prisma.notificationDigest.create({
      data: {
        profileId,
        alertCount: 3,
        subject: 'Syncfleet: 3 error alerts',
        body: '…',
        webhookState: 'Delivered',
        webhookAttempts: 1,
      },
    });
    const digests = await call(h.app, 'GET', `/api/profiles/${profileId}/digests`);
    expect(digests.json.items).toEqual([
      expect.objectContaining({
        alertCount: 3,
        email: null,
        webhook: expect.objectContaining({ state: 'Delivered' }),
      }),
    ]);
  });
});
