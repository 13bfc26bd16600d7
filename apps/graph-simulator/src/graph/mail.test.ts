import type { Message } from '@microsoft/microsoft-graph-types';
import { waitFor } from '../../../../packages/testing/src/wait-for';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** Sending is asynchronous (transport.ts): wait until every accepted send has been processed. */
const settled = () =>
  waitFor(async () => (await h.sim.admin.status()).pendingSends === 0, {
    timeoutMs: 10_000,
    intervalMs: 100,
    description: 'accepted sends processed',
  });

const api = (path: string, address: string) => h.graph.api(path).header('X-AnchorMailbox', `UPN:${address}`);

test('If-Match with a stale etag → 412 ErrorIrresolvableConflict; changeKey changes on update', async () => {
  const mb = mailbox(h, 0);
  const draft = (await api(`/users/${mb.id}/messages`, mb.address).post({ subject: 'v1' })) as Message & {
    '@odata.etag': string;
  };
  expect(draft).toMatchObject({ isDraft: true, id: expect.any(String), changeKey: expect.any(String) });
  expect(draft.internetMessageId).toMatch(/^<.+@contoso\.test>$/);
  expect(draft['@odata.etag']).toBe(`W/"${draft.changeKey}"`);
  const updated = (await api(`/users/${mb.id}/messages/${draft.id}`, mb.address)
    .header('If-Match', draft['@odata.etag'])
    .patch({ subject: 'v2' })) as Message;
  expect(updated.changeKey).not.toBe(draft.changeKey);
  const stale = await api(`/users/${mb.id}/messages/${draft.id}`, mb.address)
    .header('If-Match', draft['@odata.etag'])
    .patch({ subject: 'v3' })
    .catch((e: unknown) => e);
  expect(stale).toMatchObject({ statusCode: 412, code: 'ErrorIrresolvableConflict' });
});

test('sendMail delivers inside the tenant with custom headers, once', async () => {
  const from = mailbox(h, 0);
  const to = mailbox(h, 1);
  await api(`/users/${from.id}/sendMail`, from.address).post({
    message: {
      subject: 'Order 42',
      body: { contentType: 'text', content: 'Hello' },
      toRecipients: [{ emailAddress: { address: to.address } }],
      internetMessageHeaders: [{ name: 'x-syncfleet-outbox-id', value: 'ob-42' }],
      attachments: [
        {
          '@odata.type': '#microsoft.graph.fileAttachment',
          name: 'a.txt',
          contentType: 'text/plain',
          contentBytes: Buffer.from('hi').toString('base64'),
        },
      ],
    },
  });
  // 202 before processing: no Sent Items copy, nothing delivered yet.
  const early = (await api(`/users/${from.id}/mailFolders/sentitems/messages`, from.address).get()) as {
    value: Message[];
  };
  expect(early.value).toHaveLength(0);
  await settled();
  const sent = (await api(`/users/${from.id}/mailFolders/sentitems/messages`, from.address).get()) as {
    value: Message[];
  };
  expect(sent.value).toHaveLength(1);
  const imid = sent.value[0]?.internetMessageId ?? '';
  const inbox = (await api(`/users/${to.id}/mailFolders/inbox/messages`, to.address)
    .filter(`internetMessageId eq '${imid}'`)
    .select('subject,internetMessageId,internetMessageHeaders,conversationId,hasAttachments')
    .get()) as { value: Message[] };
  expect(inbox.value).toHaveLength(1);
  const received = inbox.value[0];
  expect(received).toMatchObject({ subject: 'Order 42', internetMessageId: imid, hasAttachments: true });
  expect(received?.internetMessageHeaders).toEqual(
    expect.arrayContaining([{ name: 'x-syncfleet-outbox-id', value: 'ob-42' }]),
  );
  // Custom headers only come back when selected.
  const plain = (await api(`/users/${to.id}/messages/${received?.id}`, to.address).get()) as Message;
  expect(plain.internetMessageHeaders).toBeUndefined();
  const attachments = (await api(
    `/users/${to.id}/messages/${received?.id}/attachments`,
    to.address,
  ).get()) as {
    value: Array<{ name: string; contentBytes: string }>;
  };
  expect(attachments.value[0]).toMatchObject({
    name: 'a.txt',
    contentBytes: Buffer.from('hi').toString('base64'),
  });
  const log = (await h.sim.admin.deliveries()).filter((d) => d.internetMessageId === imid);
  expect(log).toHaveLength(1);
  expect(log[0]).toMatchObject({
    via: 'sendMail',
    from: from.address,
    to: [to.address],
    deliveredTo: [to.id],
  });
  expect(log[0]?.headers['x-syncfleet-outbox-id']).toBe('ob-42');
});

test('draft + send, and a reply threads by In-Reply-To / conversationId', async () => {
  const a = mailbox(h, 0);
  const b = mailbox(h, 2);
  const draft = (await api(`/users/${a.id}/messages`, a.address).post({
    subject: 'Thread',
    toRecipients: [{ emailAddress: { address: b.address } }],
  })) as Message;
  await api(`/users/${a.id}/messages/${draft.id}/send`, a.address).post({});
  // In flight: still a draft in Drafts, not delivered.
  const inFlight = (await api(`/users/${a.id}/messages/${draft.id}`, a.address).get()) as Message;
  expect(inFlight).toMatchObject({ isDraft: true, parentFolderId: draft.parentFolderId });
  await settled();
  const inbox = (await api(`/users/${b.id}/mailFolders/inbox/messages`, b.address).get()) as {
    value: Message[];
  };
  const got = inbox.value.find((m) => m.internetMessageId === draft.internetMessageId);
  expect(got?.conversationId).toBe(draft.conversationId);
  await api(`/users/${b.id}/messages/${got?.id}/reply`, b.address).post({ comment: 'ack' });
  await settled();
  const back = (await api(`/users/${a.id}/mailFolders/inbox/messages`, a.address)
    .select('subject,conversationId,internetMessageHeaders')
    .get()) as { value: Message[] };
  const reply = back.value.find((m) => m.subject === 'RE: Thread');
  expect(reply?.conversationId).toBe(draft.conversationId);
  expect(reply?.internetMessageHeaders).toEqual(
    expect.arrayContaining([{ name: 'In-Reply-To', value: draft.internetMessageId }]),
  );
  const drafts = (await api(`/users/${a.id}/mailFolders/drafts/messages`, a.address).get()) as {
    value: Message[];
  };
  expect(drafts.value.find((m) => m.id === draft.id)).toBeUndefined();
});

test('move: id changes unless Prefer: IdType="ImmutableId"', async () => {
  const mb = mailbox(h, 1);
  const { id } = await h.sim.admin.inbound(mb.address, {
    from: 'x@fabrikam.test',
    subject: 'move me',
    body: '',
  });
  const archive = (await api(`/users/${mb.id}/mailFolders/archive`, mb.address).get()) as { id: string };
  const moved = (await api(`/users/${mb.id}/messages/${id}/move`, mb.address).post({
    destinationId: 'archive',
  })) as Message;
  expect(moved.id).not.toBe(id);
  expect(moved.parentFolderId).toBe(archive.id);
  const back = (await api(`/users/${mb.id}/messages/${moved.id}/move`, mb.address)
    .header('Prefer', 'IdType="ImmutableId"')
    .post({ destinationId: 'inbox' })) as Message;
  expect(back.id).toBe(moved.id);
});

test('events, contacts and To Do tasks: CRUD with etags', async () => {
  const mb = mailbox(h, 2);
  const ev = (await api(`/users/${mb.id}/events`, mb.address).post({
    subject: 'Planning',
    start: { dateTime: '2025-04-01T10:00:00', timeZone: 'UTC' },
    end: { dateTime: '2025-04-01T11:00:00', timeZone: 'UTC' },
  })) as { id: string; isCancelled: boolean; organizer: { emailAddress: { address: string } } };
  expect(ev).toMatchObject({ isCancelled: false, organizer: { emailAddress: { address: mb.address } } });
  await api(`/users/${mb.id}/calendar/events/${ev.id}`, mb.address).patch({ isCancelled: true });
  const contact = (await api(`/users/${mb.id}/contacts`, mb.address).post({
    givenName: 'Ann',
    surname: 'Lee',
  })) as { id: string; displayName: string };
  expect(contact.displayName).toBe('Ann Lee');
  await api(`/users/${mb.id}/contacts/${contact.id}`, mb.address).delete();
  const lists = (await api(`/users/${mb.id}/todo/lists`, mb.address).get()) as {
    value: Array<{ id: string }>;
  };
  const listId = lists.value[0]?.id ?? '';
  const task = (await api(`/users/${mb.id}/todo/lists/${listId}/tasks`, mb.address).post({
    title: 'Do it',
  })) as { id: string; status: string };
  expect(task.status).toBe('notStarted');
  const done = (await api(`/users/${mb.id}/todo/lists/${listId}/tasks/${task.id}`, mb.address).patch({
    status: 'completed',
  })) as {
    completedDateTime: { dateTime: string } | null;
  };
  expect(done.completedDateTime?.dateTime).toBeTruthy();
  const bad = await api(`/users/${mb.id}/todo/lists/${listId}/tasks/${task.id}`, mb.address)
    .patch({ status: 'finished' })
    .catch((e: { statusCode: number }) => e.statusCode);
  expect(bad).toBe(400);
});
