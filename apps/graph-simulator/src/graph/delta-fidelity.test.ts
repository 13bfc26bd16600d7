import type { GraphError } from '@microsoft/microsoft-graph-client';
import { waitFor } from '../../../../packages/testing/src/wait-for';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

/**
 * Where Microsoft 365 is less forgiving than a naive delta engine: partial updates, the $filter
 * rules and cap, and short-lived sync state (each behaviour cites its page in graph/delta.ts).
 */
interface DeltaPage {
  value: Array<Record<string, unknown>>;
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ mailboxes: 6 });
});
afterAll(() => h.close());

const get = (url: string, pageSize = 5) =>
  h.graph.api(url).header('Prefer', `odata.maxpagesize=${pageSize}`).get() as Promise<DeltaPage>;

async function round(url: string, pageSize = 5): Promise<{ items: DeltaPage['value']; deltaLink: string }> {
  const items: DeltaPage['value'] = [];
  let next = url;
  for (;;) {
    const page = await get(next, pageSize);
    items.push(...page.value);
    if (page['@odata.deltaLink']) return { items, deltaLink: page['@odata.deltaLink'] };
    next = page['@odata.nextLink']!;
  }
}

async function errorOf(p: Promise<unknown>): Promise<GraphError> {
  try {
    await p;
  } catch (error) {
    return error as GraphError;
  }
  throw new Error('expected the request to fail');
}

async function fill(i: number, n: number, receivedDateTime?: (k: number) => string): Promise<string[]> {
  const ids: string[] = [];
  for (let k = 0; k < n; k++) {
    const r = await h.sim.admin.inbound(mailbox(h, i).address, {
      from: 'a@fabrikam.test',
      subject: `m${k}`,
      body: 'x',
      receivedDateTime: receivedDateTime?.(k),
    });
    ids.push(r.id);
  }
  return ids;
}

const deltaUrl = (i: number, query = '$select=subject,internetMessageId,receivedDateTime') =>
  `/users/${mailbox(h, i).id}/mailFolders/inbox/messages/delta?${query}`;

test('an updated message comes back with its id and only the changed properties, whatever $select asked', async () => {
  const [id] = await fill(0, 3);
  const first = await round(deltaUrl(0));
  expect(first.items[0]).toMatchObject({ subject: 'm0', internetMessageId: expect.any(String) });
  await h.sim.admin.updateMessage(mailbox(h, 0).address, id!, { isRead: true });
  const second = await round(first.deltaLink);
  expect(second.items).toEqual([
    {
      '@odata.type': '#microsoft.graph.message',
      '@odata.etag': expect.stringMatching(/^W\/"/),
      id,
      changeKey: expect.any(String),
      parentFolderId: expect.any(String),
      isRead: true,
    },
  ]);
  // A message created after the deltaLink comes in full; so does everything when switched off.
  await h.sim.admin.patchConfig({ deltaPartialUpdates: false });
  await h.sim.admin.updateMessage(mailbox(h, 0).address, id!, { isRead: false });
  const third = await round(second.deltaLink);
  expect(third.items[0]).toMatchObject({ id, subject: 'm0', internetMessageId: expect.any(String) });
  await h.sim.admin.patchConfig({ deltaPartialUpdates: true });
});

test('$filter: only receivedDateTime ge|gt, $orderby only receivedDateTime desc; a filtered round stops at the cap', async () => {
  const bad = [
    "$filter=subject eq 'x'",
    '$filter=receivedDateTime lt 2026-01-01T00:00:00Z',
    '$filter=receivedDateTime ge 2026-01-01T00:00:00Z and isRead eq false',
    '$orderby=receivedDateTime asc',
    '$search="hello"',
  ];
  for (const query of bad) {
    const e = await errorOf(get(deltaUrl(1, query)));
    expect(e.statusCode).toBe(400);
  }
  expect((await h.sim.admin.getConfig()).filteredDeltaMaxItems).toBe(5000);
  const base = Date.parse('2026-06-01T00:00:00Z');
  await fill(1, 12, (k) => new Date(base + k * 60_000).toISOString());
  await h.sim.admin.patchConfig({ filteredDeltaMaxItems: 7 });
  try {
    const filtered = await round(deltaUrl(1, '$filter=receivedDateTime ge 2026-05-01T00:00:00Z'));
    expect(filtered.items).toHaveLength(7);
    const unfiltered = await round(deltaUrl(1, '$select=subject'));
    expect(unfiltered.items).toHaveLength(12);
    const desc = await round(
      deltaUrl(1, '$filter=receivedDateTime gt 2026-06-01T00:05:00Z&$orderby=receivedDateTime desc'),
    );
    expect(desc.items).toHaveLength(6);
  } finally {
    await h.sim.admin.patchConfig({ filteredDeltaMaxItems: 5000 });
  }
});

test('sync state is short-lived: old skiptokens, a full mailbox cache and old tokens answer 410', async () => {
  await fill(2, 20);
  // Skiptokens: the two newest nextLinks of a round stay valid, older ones are gone.
  const p1 = await get(deltaUrl(2));
  const p2 = await get(p1['@odata.nextLink']!);
  await get(p2['@odata.nextLink']!);
  expect(await get(p2['@odata.nextLink']!)).toMatchObject({ value: expect.any(Array) });
  const stale = await errorOf(get(p1['@odata.nextLink']!));
  expect(stale).toMatchObject({ statusCode: 410, code: 'SyncStateNotFound' });

  // The mailbox's cache holds deltaStatesPerMailbox states: older deltaLinks drop out.
  await h.sim.admin.patchConfig({ deltaStatesPerMailbox: 3 });
  try {
    const a = await round(deltaUrl(2), 50);
    await round(deltaUrl(2), 50);
    await round(deltaUrl(2), 50);
    expect(await errorOf(get(a.deltaLink))).toMatchObject({ statusCode: 410 });
  } finally {
    await h.sim.admin.patchConfig({ deltaStatesPerMailbox: 200 });
  }

  // Age: a state older than deltaStateMaxAgeSeconds is gone.
  await h.sim.admin.patchConfig({ deltaStateMaxAgeSeconds: 0.3 });
  try {
    const b = await round(deltaUrl(2), 50);
    await waitFor(async () => (await errorOf(get(b.deltaLink)).catch(() => null))?.statusCode === 410, {
      timeoutMs: 5_000,
      intervalMs: 400,
      description: 'the deltaLink to expire',
    });
  } finally {
    await h.sim.admin.patchConfig({ deltaStateMaxAgeSeconds: 24 * 3600 });
  }
});

test('a synchronization reset: 410 resyncRequired with a Location header naming the initial query', async () => {
  await fill(3, 4);
  const first = await round(deltaUrl(3));
  await h.sim.admin.resetDelta(mailbox(h, 3).id);
  const e = await errorOf(get(first.deltaLink));
  expect(e).toMatchObject({ statusCode: 410, code: 'resyncRequired' });
  const location = e.headers?.get('location');
  expect(location).toMatch(/\$select=subject%2CinternetMessageId%2CreceivedDateTime&\$deltatoken=$/);
  const again = await round(location!);
  expect(again.items).toHaveLength(4);
  expect(again.items[0]).toMatchObject({ subject: 'm0' });
});

test('a deleted folder: its delta links answer 404; distinguished folders cannot be deleted', async () => {
  const mb = mailbox(h, 4);
  const folder = (await h.graph.api(`/users/${mb.id}/mailFolders`).post({ displayName: 'Projects' })) as {
    id: string;
  };
  const first = await round(`/users/${mb.id}/mailFolders/${folder.id}/messages/delta`);
  await h.graph.api(`/users/${mb.id}/mailFolders/${folder.id}`).delete();
  expect(await errorOf(get(first.deltaLink))).toMatchObject({ statusCode: 404, code: 'ErrorItemNotFound' });
  const inbox = await errorOf(h.graph.api(`/users/${mb.id}/mailFolders/inbox`).delete());
  expect(inbox.statusCode).toBe(403);
});
