import type { GraphError } from '@microsoft/microsoft-graph-client';
import { waitFor } from '../../../../packages/testing/src/wait-for';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

/** Custom internetMessageHeaders as Exchange Online treats them (message-routes.ts cites the page). */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ mailboxes: 2 });
});
afterAll(() => h.close());

const status = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (error) {
    return (error as GraphError).statusCode;
  }
};

test('custom headers: x- names, 1 to 5, only at creation, selected only, not on the Sent Items copy', async () => {
  const mb = mailbox(h, 0);
  const to = [{ emailAddress: { address: mailbox(h, 1).address } }];
  const draft = (headers: unknown) =>
    h.graph
      .api(`/users/${mb.id}/messages`)
      .post({ subject: 's', toRecipients: to, internetMessageHeaders: headers });
  const six = Array.from({ length: 6 }, (_, i) => ({ name: `x-h${i}`, value: 'v' }));
  expect(await status(draft([]))).toBe(400);
  expect(await status(draft(six))).toBe(400);
  expect(await status(draft([{ name: 'Subject-Like', value: 'v' }]))).toBe(400);
  const created = (await draft(six.slice(0, 5))) as { id: string };
  // Settable only when the message is created.
  expect(
    await status(
      h.graph
        .api(`/users/${mb.id}/messages/${created.id}`)
        .patch({ internetMessageHeaders: [{ name: 'x-a', value: 'b' }] }),
    ),
  ).toBe(400);
  const plain = (await h.graph.api(`/users/${mb.id}/messages/${created.id}`).get()) as Record<
    string,
    unknown
  >;
  expect(plain.internetMessageHeaders).toBeUndefined();
  const selected = (await h.graph
    .api(`/users/${mb.id}/messages/${created.id}`)
    .select('internetMessageHeaders,internetMessageId')
    .get()) as { internetMessageHeaders: unknown[]; internetMessageId: string };
  expect(selected.internetMessageHeaders).toHaveLength(5);

  await h.graph.api(`/users/${mb.id}/messages/${created.id}/send`).post(null);
  await waitFor(async () => (await h.sim.admin.status()).pendingSends === 0, {
    timeoutMs: 10_000,
    intervalMs: 100,
    description: 'the send processed',
  });
  const copies = (await h.graph
    .api(`/users/${mb.id}/messages`)
    .filter(`internetMessageId eq '${selected.internetMessageId}'`)
    .select('internetMessageHeaders,isDraft,parentFolderId')
    .get()) as { value: Array<{ internetMessageHeaders: Array<{ name: string }>; isDraft: boolean }> };
  expect(copies.value).toHaveLength(1);
  expect(copies.value[0]!.isDraft).toBe(false);
  expect(copies.value[0]!.internetMessageHeaders.filter((x) => /^x-/i.test(x.name))).toEqual([]);
  // The recipient's copy carries them (they travel in the MIME message).
  const received = (await h.graph
    .api(`/users/${mailbox(h, 1).id}/messages`)
    .filter(`internetMessageId eq '${selected.internetMessageId}'`)
    .select('internetMessageHeaders')
    .get()) as { value: Array<{ internetMessageHeaders: Array<{ name: string }> }> };
  expect(received.value[0]!.internetMessageHeaders.filter((x) => /^x-h/i.test(x.name))).toHaveLength(5);
});
