import type { GraphError } from '@microsoft/microsoft-graph-client';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const PROP = 'String {6c3c4f34-8a0b-4c2e-9d61-3d0f5a1e7b20} Name SyncfleetRecordId';
const expandProp = `singleValueExtendedProperties($filter=id eq '${PROP}')`;

test('contact: an extended property written with the item is found by $filter Any and read by $expand', async () => {
  const mb = mailbox(h, 0);
  const base = `/users/${mb.id}/contactFolders/contacts/contacts`;
  const created = await h.graph.api(base).post({
    givenName: 'Nora',
    surname: 'Quinn',
    singleValueExtendedProperties: [{ id: PROP, value: 'rec-1' }],
  });
  await h.graph.api(base).post({ givenName: 'Other' });
  // Not returned unless expanded.
  expect(created.singleValueExtendedProperties).toBeUndefined();
  const found = await h.graph
    .api(base)
    .filter(`singleValueExtendedProperties/Any(ep: ep/id eq '${PROP}' and ep/value eq 'REC-1')`)
    .get();
  expect(found.value.map((c: { id: string }) => c.id)).toEqual([created.id]);
  expect(found.value[0].singleValueExtendedProperties).toBeUndefined();
  const none = await h.graph
    .api(base)
    .filter(`singleValueExtendedProperties/Any(ep: ep/id eq '${PROP}' and ep/value eq 'rec-2')`)
    .get();
  expect(none.value).toEqual([]);
  const one = await h.graph.api(`${base}/${created.id}`).expand(expandProp).get();
  expect(one.singleValueExtendedProperties).toEqual([{ id: PROP, value: 'rec-1' }]);
  // The property name is case-sensitive.
  const other = await h.graph
    .api(`${base}/${created.id}`)
    .expand(`singleValueExtendedProperties($filter=id eq '${PROP.toLowerCase()}')`)
    .get();
  expect(other.singleValueExtendedProperties).toBeUndefined();
  // PATCH with If-Match: a stale changeKey is refused; the current one is accepted.
  await expect(
    h.graph.api(`${base}/${created.id}`).header('If-Match', 'W/"stale"').patch({ jobTitle: 'CFO' }),
  ).rejects.toMatchObject({ statusCode: 412 } satisfies Partial<GraphError>);
  const patched = await h.graph
    .api(`${base}/${created.id}`)
    .header('If-Match', created['@odata.etag'])
    .patch({ jobTitle: 'CFO' });
  expect(patched.changeKey).not.toBe(created.changeKey);
  expect(Date.parse(patched.lastModifiedDateTime)).toBeGreaterThanOrEqual(
    Date.parse(created.lastModifiedDateTime),
  );
});

test('todoTask: an open extension created with the task comes back through $expand, also in delta', async () => {
  const mb = mailbox(h, 1);
  const lists = await h.graph.api(`/users/${mb.id}/todo/lists`).get();
  const list = lists.value.find((l: { wellknownListName: string }) => l.wellknownListName === 'defaultList');
  const tasks = `/users/${mb.id}/todo/lists/${list.id}/tasks`;
  const ext = `extensions($filter=id eq 'com.syncfleet.record')`;
  const created = await h.graph.api(tasks).post({
    title: 'Call back',
    extensions: [
      {
        '@odata.type': 'microsoft.graph.openTypeExtension',
        extensionName: 'com.syncfleet.record',
        recordId: 'r-9',
      },
    ],
  });
  expect(created.extensions).toBeUndefined();
  const read = await h.graph.api(`${tasks}/${created.id}`).expand(ext).get();
  expect(read.extensions).toEqual([
    expect.objectContaining({
      extensionName: 'com.syncfleet.record',
      id: 'com.syncfleet.record',
      recordId: 'r-9',
    }),
  ]);
  const delta = await h.graph.api(`${tasks}/delta`).expand(ext).get();
  expect(delta.value.find((t: { id: string }) => t.id === created.id).extensions[0].recordId).toBe('r-9');
  await expect(
    h.graph.api(tasks).post({ title: 'x', extensions: [{ extensionName: 'no.type' }] }),
  ).rejects.toMatchObject({ statusCode: 400 });
});

test('todoTaskList: open extension create, read, replace, and 404 when absent', async () => {
  const mb = mailbox(h, 2);
  const lists = await h.graph.api(`/users/${mb.id}/todo/lists`).get();
  const listId = lists.value[0].id;
  const base = `/users/${mb.id}/todo/lists/${listId}/extensions`;
  await expect(h.graph.api(`${base}/com.syncfleet.actOwner`).get()).rejects.toMatchObject({
    statusCode: 404,
  });
  await h.graph.api(base).post({
    '@odata.type': 'microsoft.graph.openTypeExtension',
    extensionName: 'com.syncfleet.actOwner',
    deploymentId: 'a',
  });
  await expect(
    h.graph
      .api(base)
      .post({ '@odata.type': 'microsoft.graph.openTypeExtension', extensionName: 'com.syncfleet.actOwner' }),
  ).rejects.toMatchObject({ statusCode: 409 });
  await h.graph.api(`${base}/com.syncfleet.actOwner`).patch({ deploymentId: 'b' });
  expect(await h.graph.api(`${base}/com.syncfleet.actOwner`).get()).toMatchObject({ deploymentId: 'b' });
});
