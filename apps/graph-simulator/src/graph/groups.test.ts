import type { GraphError } from '@microsoft/microsoft-graph-client';
import type { GroupRef } from '../admin/client';
import { SimAdminError } from '../admin/client';
import { createGraphClient, createMsalApp, msalAuthProvider } from '../graph-client';
import { applySeed } from '../seed';
import { createStore } from '../store/store';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

/**
 * Directory groups as Microsoft documents them (group-routes.ts cites the pages): List groups with
 * `$filter` by displayName or mail, Get group, direct and transitive members with OData casts,
 * paging (`$top` ≤ 999, nextLink), `$count` as an advanced query, the group permissions, and users
 * returned with limited information to an app that may not read users.
 */
let h: Harness;
let sales: GroupRef;
let platform: GroupRef;
let deep: GroupRef;
beforeAll(async () => {
  h = await startHarness({ mailboxes: 6 });
  const [u1, u2, u3, u4, u5] = [0, 1, 2, 3, 4].map((n) => mailbox(h, n));
  deep = await h.sim.admin.createGroup(h.tenantId, { displayName: 'Deep', members: [u5!.userPrincipalName] });
  platform = await h.sim.admin.createGroup(h.tenantId, {
    displayName: 'Platform',
    mail: 'platform@contoso.test',
    members: [u3!.address, u4!.id],
  });
  await h.sim.admin.addGroupMembers(platform.id, [deep.id]);
  // user3 is a member directly and through Platform: listed once.
  sales = await h.sim.admin.createGroup(h.tenantId, {
    displayName: 'Sales',
    mail: 'Sales@contoso.test',
    members: [u1!.address, u2!.address, platform.mail!, u3!.id],
  });
  await h.sim.admin.createGroup(h.tenantId, { displayName: 'Project' });
  await h.sim.admin.createGroup(h.tenantId, { displayName: 'Project' });
});
afterAll(() => h.close());

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (error) {
    const e = error as GraphError;
    return `${e.statusCode} ${e.code}`;
  }
};
type Page = { value: Array<Record<string, unknown>>; '@odata.nextLink'?: string; '@odata.count'?: number };
const ids = (page: Page) => page.value.map((v) => v.id);
const userIds = (...n: number[]) => n.map((i) => mailbox(h, i).id);

async function appWith(roles: string[]) {
  const app = await h.sim.admin.createApp(h.tenantId, { roles });
  return createGraphClient({
    simUrl: h.sim.url,
    caPem: h.sim.caPem,
    authProvider: msalAuthProvider(
      createMsalApp({ simUrl: h.sim.url, tenantId: h.tenantId, ...app, caPem: h.sim.caPem }),
    ),
  });
}

test('List groups filters by displayName or mail (ignoring case); Get group; an unknown id is 404', async () => {
  const find = async (filter: string) =>
    ((await h.graph.api('/groups').filter(filter).select('id,displayName,mail').get()) as Page).value;
  expect(await find(`displayName eq 'SALES'`)).toEqual([
    { id: sales.id, displayName: 'Sales', mail: 'sales@contoso.test' },
  ]);
  expect(await find(`mail eq 'platform@contoso.test' or displayName eq 'Deep'`)).toEqual([
    { id: deep.id, displayName: 'Deep', mail: null },
    { id: platform.id, displayName: 'Platform', mail: 'platform@contoso.test' },
  ]);
  expect(await find(`displayName eq 'Project'`)).toHaveLength(2);
  expect(await find(`displayName eq 'Nobody'`)).toEqual([]);
  expect(await failure(h.graph.api('/groups').filter(`startswith(displayName,'S')`).get())).toBe(
    '400 Request_UnsupportedQuery',
  );
  const got = (await h.graph.api(`/groups/${platform.id}`).get()) as Record<string, unknown>;
  expect(got).toMatchObject({
    id: platform.id,
    displayName: 'Platform',
    mail: 'platform@contoso.test',
    mailEnabled: true,
    securityEnabled: false,
  });
  expect(await failure(h.graph.api('/groups/00000000-0000-4000-a000-00000000dead').get())).toBe(
    '404 Request_ResourceNotFound',
  );
  // Get group takes the id only, not the mail address.
  expect(await failure(h.graph.api('/groups/platform@contoso.test').get())).toBe(
    '404 Request_ResourceNotFound',
  );
  expect(
    await failure(h.graph.api('/groups/00000000-0000-4000-a000-00000000dead/transitiveMembers').get()),
  ).toBe('404 Request_ResourceNotFound');
});

test('members are direct; transitiveMembers flattens nested groups, each object once; casts pick a type', async () => {
  const direct = (await h.graph.api(`/groups/${sales.id}/members`).get()) as Page;
  expect(direct.value.map((v) => [v['@odata.type'], v.id])).toEqual([
    ['#microsoft.graph.user', mailbox(h, 0).id],
    ['#microsoft.graph.user', mailbox(h, 1).id],
    ['#microsoft.graph.group', platform.id],
    ['#microsoft.graph.user', mailbox(h, 2).id],
  ]);
  const all = (await h.graph.api(`/groups/${sales.id}/transitiveMembers`).get()) as Page;
  expect(ids(all)).toEqual([...userIds(0, 1), platform.id, ...userIds(2, 3), deep.id, ...userIds(4)]);
  const users = (await h.graph
    .api(`/groups/${sales.id}/transitiveMembers/microsoft.graph.user`)
    .select('id,mail,userPrincipalName')
    .get()) as Page;
  expect(users.value).toEqual(
    [0, 1, 2, 3, 4].map((n) => ({
      id: mailbox(h, n).id,
      mail: mailbox(h, n).address,
      userPrincipalName: mailbox(h, n).userPrincipalName,
    })),
  );
  expect(
    ids((await h.graph.api(`/groups/${sales.id}/transitiveMembers/microsoft.graph.group`).get()) as Page),
  ).toEqual([platform.id, deep.id]);
  expect(
    ids((await h.graph.api(`/groups/${sales.id}/transitiveMembers/microsoft.graph.device`).get()) as Page),
  ).toEqual([]);
  expect(
    await failure(h.graph.api(`/groups/${sales.id}/transitiveMembers/microsoft.graph.application`).get()),
  ).toBe('400 Request_UnsupportedQuery');
  expect(
    await failure(h.graph.api(`/groups/${sales.id}/transitiveMembers`).filter(`displayName eq 'x'`).get()),
  ).toBe('400 Request_UnsupportedQuery');
});

test('pages follow @odata.nextLink; $count=true counts only with ConsistencyLevel: eventual', async () => {
  const sizes: number[] = [];
  const seen: unknown[] = [];
  const counts: Array<number | undefined> = [];
  let next: string | undefined =
    `/groups/${sales.id}/transitiveMembers/microsoft.graph.user?$top=2&$count=true`;
  while (next) {
    const page = (await h.graph.api(next).header('ConsistencyLevel', 'eventual').get()) as Page;
    sizes.push(page.value.length);
    seen.push(...ids(page));
    counts.push(page['@odata.count']);
    next = page['@odata.nextLink'];
  }
  expect(sizes).toEqual([2, 2, 1]);
  expect(seen).toEqual(userIds(0, 1, 2, 3, 4));
  expect(counts).toEqual([5, 5, 5]);
  const plain = (await h.graph
    .api(`/groups/${sales.id}/transitiveMembers/microsoft.graph.user?$count=true`)
    .get()) as Page;
  expect(plain).not.toHaveProperty('@odata.count');
  expect(plain.value).toHaveLength(5);
});

test('groups need a group permission; without a user permission, users come with limited information', async () => {
  const usersOnly = await appWith(['User.Read.All']);
  expect(await failure(usersOnly.api('/groups').get())).toBe('403 Authorization_RequestDenied');
  expect(await failure(usersOnly.api(`/groups/${sales.id}/transitiveMembers`).get())).toBe(
    '403 Authorization_RequestDenied',
  );
  const membersOnly = await appWith(['GroupMember.Read.All']);
  const limited = (await membersOnly
    .api(`/groups/${platform.id}/transitiveMembers/microsoft.graph.user`)
    .select('id,mail,userPrincipalName')
    .get()) as Page;
  expect(limited.value).toEqual(
    [2, 3, 4].map((n) => ({
      '@odata.type': '#microsoft.graph.user',
      id: mailbox(h, n).id,
      mail: null,
      userPrincipalName: null,
    })),
  );
  const both = await appWith(['Group.Read.All', 'User.Read.All']);
  const full = (await both
    .api(`/groups/${platform.id}/transitiveMembers/microsoft.graph.user`)
    .get()) as Page;
  expect(full.value.map((v) => v.mail)).toEqual([2, 3, 4].map((n) => mailbox(h, n).address));
});

test('the admin API refuses members that are no user or group of the tenant, naming them', async () => {
  const refused = await h.sim.admin
    .createGroup(h.tenantId, { displayName: 'Bad', members: ['nobody@contoso.test'] })
    .catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(SimAdminError);
  expect((refused as SimAdminError).status).toBe(400);
  expect(JSON.stringify((refused as SimAdminError).body)).toContain('nobody@contoso.test');
  expect(((await h.graph.api('/groups').filter(`displayName eq 'Bad'`).get()) as Page).value).toEqual([]);
});

test('a seed file creates groups whose members are users and groups listed before them', () => {
  const store = createStore({ seed: 'groups' });
  applySeed(store, {
    tenants: [
      {
        tenantId: 't1',
        mailboxes: [
          { address: 'a@contoso.test' },
          { address: 'b@contoso.test' },
          { address: 'c@contoso.test' },
        ],
        groups: [
          { id: 'g-inner', displayName: 'Inner', members: ['c@contoso.test'] },
          { displayName: 'Outer', mail: 'outer@contoso.test', members: ['a@contoso.test', 'g-inner'] },
        ],
      },
    ],
  });
  const outer = store.groups.find('outer@contoso.test')!;
  expect(store.groups.transitiveMembers(outer).map((m) => m.displayName)).toEqual(['a', 'Inner', 'c']);
  expect(() =>
    applySeed(store, { tenants: [{ tenantId: 't1', groups: [{ displayName: 'X', members: ['g-later'] }] }] }),
  ).toThrow(/g-later/);
});
