import { GraphError, PageIterator } from '@microsoft/microsoft-graph-client';
import type { Message } from '@microsoft/microsoft-graph-types';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

interface DeltaPage {
  value: Array<Message & { '@removed'?: { reason: string } }>;
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const headers = (address: string) => ({
  Prefer: 'odata.maxpagesize=10',
  'X-AnchorMailbox': `UPN:${address}`,
});

async function round(url: string, address: string): Promise<{ pages: DeltaPage[]; deltaLink: string }> {
  const pages: DeltaPage[] = [];
  let next: string | undefined = url;
  for (;;) {
    const page = (await h.graph.api(next).headers(headers(address)).get()) as DeltaPage;
    pages.push(page);
    if (page['@odata.deltaLink']) return { pages, deltaLink: page['@odata.deltaLink'] };
    next = page['@odata.nextLink'];
    if (!next) throw new Error('page without nextLink or deltaLink');
  }
}

test('137-message inbox: 14 pages to a deltaLink, then exactly the changes, then 410 after eviction', async () => {
  const mb = mailbox(h, 0);
  const ids: string[] = [];
  for (let i = 0; i < 137; i++) {
    const r = await h.sim.admin.inbound(mb.address, { from: 'a@fabrikam.test', subject: `m${i}`, body: 'x' });
    ids.push(r.id);
  }
  const first = await round(
    `/users/${mb.id}/mailFolders/inbox/messages/delta?$select=subject,isRead`,
    mb.address,
  );
  expect(first.pages).toHaveLength(14);
  expect(first.pages.slice(0, 13).every((p) => p.value.length === 10)).toBe(true);
  const seen = new Set(first.pages.flatMap((p) => p.value.map((m) => m.id)));
  expect(seen.size).toBe(137);
  expect(first.pages[0]?.value[0]).toEqual({
    '@odata.type': '#microsoft.graph.message',
    '@odata.etag': expect.stringMatching(/^W\/"/),
    id: expect.any(String),
    subject: 'm0',
    isRead: false,
  });
  expect(first.deltaLink).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/.*\$deltatoken=/);

  // Changes after the deltaLink: one new, one updated, one deleted, one moved out.
  const created = await h.sim.admin.inbound(mb.address, {
    from: 'b@fabrikam.test',
    subject: 'new',
    body: 'y',
  });
  await h.sim.admin.updateMessage(mb.address, ids[5] ?? '', { isRead: true });
  await h.sim.admin.deleteMessage(mb.address, ids[6] ?? '');
  await h.sim.admin.moveMessage(mb.address, ids[7] ?? '', 'archive');

  // The official PageIterator follows nextLinks and stops at the deltaLink.
  const items: DeltaPage['value'] = [];
  const firstPage = (await h.graph.api(first.deltaLink).headers(headers(mb.address)).get()) as DeltaPage;
  const iterator = new PageIterator(
    h.graph,
    firstPage,
    (m) => (items.push(m as DeltaPage['value'][number]), true),
    {
      headers: headers(mb.address),
    },
  );
  await iterator.iterate();
  expect(iterator.getDeltaLink()).toBeTruthy();
  const byId = new Map(items.map((m) => [m.id, m]));
  expect(items).toHaveLength(4);
  expect(byId.get(created.id)?.subject).toBe('new');
  expect(byId.get(ids[5])?.isRead).toBe(true);
  expect(byId.get(ids[6])).toEqual({
    '@odata.type': '#microsoft.graph.message',
    id: ids[6],
    '@removed': { reason: 'deleted' },
  });
  expect(byId.get(ids[7])?.['@removed']).toEqual({ reason: 'deleted' });

  // Nothing changed since: an empty round.
  const quiet = await round(iterator.getDeltaLink() ?? '', mb.address);
  expect(quiet.pages.flatMap((p) => p.value)).toHaveLength(0);

  await h.sim.admin.evictDelta(mb.address);
  const error = await h.graph
    .api(quiet.deltaLink)
    .headers(headers(mb.address))
    .get()
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GraphError);
  expect(error).toMatchObject({ statusCode: 410, code: 'SyncStateNotFound' });
});

test('$filter=receivedDateTime ge limits the initial sync', async () => {
  const mb = mailbox(h, 1);
  await h.sim.admin.inbound(mb.address, {
    from: 'a@x.test',
    subject: 'old',
    body: '',
    receivedDateTime: '2020-01-01T00:00:00Z',
  });
  await h.sim.admin.inbound(mb.address, {
    from: 'a@x.test',
    subject: 'recent',
    body: '',
    receivedDateTime: '2025-06-01T00:00:00Z',
  });
  const r = await round(
    `/users/${mb.id}/mailFolders/inbox/messages/delta?$filter=receivedDateTime ge 2024-01-01T00:00:00Z`,
    mb.address,
  );
  expect(r.pages.flatMap((p) => p.value).map((m) => m.subject)).toEqual(['recent']);
});

test('calendarView delta: an event moved out of the window comes back as @removed', async () => {
  const mb = mailbox(h, 2);
  const ev = await h.sim.admin.createEvent(mb.address, {
    subject: 'standup',
    start: { dateTime: '2025-03-03T09:00:00', timeZone: 'UTC' },
    end: { dateTime: '2025-03-03T09:15:00', timeZone: 'UTC' },
  });
  const url = `/users/${mb.id}/calendarView/delta?startDateTime=2025-03-01T00:00:00Z&endDateTime=2025-03-31T00:00:00Z`;
  const first = await round(url, mb.address);
  expect(first.pages.flatMap((p) => p.value).map((e) => e.id)).toEqual([ev.id]);
  await h.sim.admin.updateEvent(mb.address, String(ev.id), {
    start: { dateTime: '2025-05-03T09:00:00', timeZone: 'UTC' },
    end: { dateTime: '2025-05-03T09:15:00', timeZone: 'UTC' },
  });
  const second = await round(first.deltaLink, mb.address);
  expect(second.pages.flatMap((p) => p.value)).toEqual([
    expect.objectContaining({ id: ev.id, '@removed': { reason: 'deleted' } }),
  ]);
});
