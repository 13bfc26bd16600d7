import type { Message } from '@microsoft/microsoft-graph-types';
import { waitFor } from '../../../../packages/testing/src/wait-for';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

/** Asynchronous sending and non-delivery reports (graph/transport.ts cites the pages). */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ mailboxes: 3 });
});
afterAll(() => h.close());

const settled = () =>
  waitFor(async () => (await h.sim.admin.status()).pendingSends === 0, {
    timeoutMs: 10_000,
    intervalMs: 100,
    description: 'accepted sends processed',
  });

test('202 first; the Sent Items copy, delivery and an NDR for an unknown recipient come later', async () => {
  const a = mailbox(h, 0);
  const draft = (await h.graph.api(`/users/${a.id}/messages`).post({
    subject: 'Quote',
    toRecipients: [
      { emailAddress: { address: mailbox(h, 1).address } },
      { emailAddress: { address: 'nobody@contoso.test' } },
      { emailAddress: { address: 'x@example.invalid' } },
    ],
  })) as Message;
  await h.graph.api(`/users/${a.id}/messages/${draft.id}/send`).post(null);
  expect(await h.sim.admin.deliveries()).toEqual([]);
  const sentEarly = (await h.graph.api(`/users/${a.id}/mailFolders/sentitems/messages`).get()) as {
    value: Message[];
  };
  expect(sentEarly.value).toEqual([]);
  await settled();
  expect((await h.sim.admin.deliveries()).map((d) => d.internetMessageId)).toEqual([draft.internetMessageId]);
  const sent = (await h.graph.api(`/users/${a.id}/mailFolders/sentitems/messages`).get()) as {
    value: Message[];
  };
  expect(sent.value.map((m) => m.internetMessageId)).toEqual([draft.internetMessageId]);
  const inbox = (await h.graph
    .api(`/users/${a.id}/mailFolders/inbox/messages`)
    .select('subject,from,internetMessageHeaders')
    .get()) as { value: Message[] };
  expect(inbox.value).toHaveLength(1);
  const ndr = inbox.value[0]!;
  expect(ndr.subject).toBe('Undeliverable: Quote');
  const headers = Object.fromEntries((ndr.internetMessageHeaders ?? []).map((x) => [x.name, x.value]));
  expect(headers['In-Reply-To']).toBe(draft.internetMessageId);
  expect(headers['Content-Type']).toMatch(/^multipart\/report; report-type=delivery-status/);
});

test('sending a draft again while the first send is in flight sends it twice (never do that)', async () => {
  const a = mailbox(h, 2);
  const draft = (await h.graph.api(`/users/${a.id}/messages`).post({
    subject: 'Twice',
    toRecipients: [{ emailAddress: { address: mailbox(h, 1).address } }],
  })) as Message;
  await h.graph.api(`/users/${a.id}/messages/${draft.id}/send`).post(null);
  await h.graph.api(`/users/${a.id}/messages/${draft.id}/send`).post(null);
  await settled();
  const delivered = (await h.sim.admin.deliveries()).filter(
    (d) => d.internetMessageId === draft.internetMessageId,
  );
  expect(delivered).toHaveLength(2);
});

test('sendMail with saveToSentItems=false leaves no Sent Items copy, also after processing', async () => {
  const a = mailbox(h, 1);
  await h.graph.api(`/users/${a.id}/sendMail`).post({
    message: { subject: 'no copy', toRecipients: [{ emailAddress: { address: mailbox(h, 0).address } }] },
    saveToSentItems: false,
  });
  await settled();
  const sent = (await h.graph.api(`/users/${a.id}/mailFolders/sentitems/messages`).get()) as {
    value: Message[];
  };
  expect(sent.value.filter((m) => m.subject === 'no copy')).toEqual([]);
});
