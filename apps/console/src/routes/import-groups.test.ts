import { createFleetFixture, testEngineResources, type FleetFixture } from '@syncfleet/sync/testing';
import { findTenantGroup, listGroupMembers, listTenantUsers, type EngineResources } from '@syncfleet/sync';
import { waitFor } from '@syncfleet/testing';
import { runCli } from '../cli-commands';
import { ADMIN_TOKEN, call, startConsole, type ConsoleHarness, type Json } from '../test-support';

/**
 * Tenant import by group against the Graph simulator: the group found by name, mail or id (List
 * groups / Get group), its users listed through List group transitive members cast to users, 999 a
 * page — nested groups included, each user once — combined with the domain and address filters;
 * unknown and ambiguous groups, and an app without the group permission, answered with a message
 * naming what is wrong.
 */
let h: ConsoleHarness;
let fx: FleetFixture;
let res: EngineResources;
let allHands: { id: string };
let support: { id: string };
let projects: Array<{ id: string }>;
beforeAll(async () => {
  h = await startConsole('import-groups', {
    listTenantUsers: (profileId) => listTenantUsers(res, profileId),
    tenantGroups: {
      find: (profileId, selector) => findTenantGroup(res, profileId, selector),
      members: (profileId, groupId) => listGroupMembers(res, profileId, groupId),
    },
  });
  fx = await createFleetFixture(h.db.prisma, { mailboxes: 2 }); // user1, user2 @contoso.test: known already
  const admin = fx.sim.admin;
  await admin.createMailboxes(fx.tenantId, { count: 1_100, addressPattern: 'staff{n}@contoso.test' });
  await admin.createMailboxes(fx.tenantId, {
    count: 2,
    addressPattern: 'desk{n}@contoso.test',
    kind: 'shared',
  });
  await admin.createMailboxes(fx.tenantId, { count: 3, addressPattern: 'ext{n}@fabrikam.test' });
  await admin.createMailboxes(fx.tenantId, { count: 1, addressPattern: 'outsider{n}@contoso.test' });
  support = await admin.createGroup(fx.tenantId, {
    displayName: 'Support',
    mail: 'support@contoso.test',
    members: [
      'desk1@contoso.test',
      'desk2@contoso.test',
      'ext1@fabrikam.test',
      'ext2@fabrikam.test',
      'user1@contoso.test',
    ],
  });
  const staff = await admin.createGroup(fx.tenantId, {
    displayName: 'Staff',
    members: Array.from({ length: 1_100 }, (_, n) => `staff${n + 1}@contoso.test`),
  });
  // Nested: Support and Staff inside; staff5 also directly; 1,107 distinct users in all.
  allHands = await admin.createGroup(fx.tenantId, {
    displayName: 'All hands',
    mail: 'allhands@contoso.test',
    members: [support.id, staff.id, 'user2@contoso.test', 'staff5@contoso.test', 'ext3@fabrikam.test'],
  });
  await admin.createMailboxes(fx.tenantId, { count: 2, addressPattern: 'intern{n}@contoso.test' });
  await admin.createGroup(fx.tenantId, {
    displayName: 'Interns',
    members: ['intern1@contoso.test', 'intern2@contoso.test'],
  });
  projects = [
    await admin.createGroup(fx.tenantId, { displayName: 'Project' }),
    await admin.createGroup(fx.tenantId, { displayName: 'project', mail: 'project2@contoso.test' }),
  ];
  res = testEngineResources(fx, { prisma: h.db.prisma, redis: h.redis.redis, prefix: h.redis.prefix });
}, 60_000);
afterAll(async () => {
  await fx?.close();
  await h?.close();
});

const finished = (id: string) =>
  waitFor(
    async () => {
      const progress = await call(h.app, 'GET', `/api/operations/${id}`);
      return progress.json.status === 'Finished' ? progress.json : undefined;
    },
    { timeoutMs: 30_000, description: `operation ${id}` },
  );
const importing = (body: Record<string, unknown>, profileId = fx.profileId) =>
  call(h.app, 'POST', `/api/profiles/${profileId}/import`, body);

test('a group by display name, nested groups included, AND a domain: counts exact, known ones skipped', async () => {
  const before = (await fx.sim.admin.metrics()).byRoute;
  const started = await importing({ group: 'All hands', domain: 'contoso.test' });
  expect(started.status).toBe(202);
  // 1,107 distinct users; in contoso.test: 1,100 staff + 2 desks + user1 + user2; user1 and user2 known.
  expect(started.json).toMatchObject({
    listed: 1_107,
    alreadyKnown: 2,
    group: { id: allHands.id, displayName: 'All hands', mail: 'allhands@contoso.test' },
    operation: { action: 'import', total: 1_102 },
  });
  expect(await finished(started.json.operation.id)).toMatchObject({
    total: 1_102,
    succeeded: 1_102,
    failed: 0,
  });
  const after = (await fx.sim.admin.metrics()).byRoute;
  const calls = (route: string) => (after[route] ?? 0) - (before[route] ?? 0);
  expect(calls('GET /groups')).toBe(1); // the name, once
  expect(calls('GET /groups/:g/transitiveMembers/:cast')).toBe(2); // 999 + 108
  expect(calls('GET /users')).toBe(0);
  expect(await h.db.prisma.mailbox.count({ where: { address: { startsWith: 'staff' } } })).toBe(1_100);
  expect(
    await h.db.prisma.mailbox.count({ where: { address: { startsWith: 'desk' }, ownerType: 'Queue' } }),
  ).toBe(2);
  expect(await h.db.prisma.mailbox.count({ where: { address: { endsWith: '@fabrikam.test' } } })).toBe(0);
  expect(await h.db.prisma.mailbox.count({ where: { address: 'outsider1@contoso.test' } })).toBe(0);
});

test('a group by mail address with chosen addresses, then by object id: only its own users', async () => {
  const byMail = await importing({
    group: 'SUPPORT@contoso.test',
    addresses: ['ext1@fabrikam.test', 'ext3@fabrikam.test'], // ext3 is no member of Support
  });
  expect(byMail.status).toBe(202);
  expect(byMail.json).toMatchObject({ listed: 5, alreadyKnown: 0, group: { id: support.id } });
  expect(byMail.json.operation.total).toBe(1);
  await finished(byMail.json.operation.id);
  const byId = await importing({ group: support.id, approve: false });
  // user1, desk1, desk2 and ext1 known now: ext2 is the one left.
  expect(byId.json).toMatchObject({ listed: 5, alreadyKnown: 4, operation: { total: 1 } });
  await finished(byId.json.operation.id);
  expect(
    (
      await h.db.prisma.mailbox.findMany({
        where: { address: { endsWith: '@fabrikam.test' } },
        orderBy: { address: 'asc' },
      })
    ).map((m) => [m.address, m.approvalState]),
  ).toEqual([
    ['ext1@fabrikam.test', 'Approved'],
    ['ext2@fabrikam.test', 'Empty'],
  ]);
});

test('an unknown group is 404 and an ambiguous name 409, naming the group; nothing is imported', async () => {
  const count = await h.db.prisma.mailbox.count();
  const unknown = await importing({ group: 'Nobody here' });
  expect(unknown.status).toBe(404);
  expect((unknown.json as Json).error).toMatchObject({ code: 'GroupNotFound', fields: [{ path: 'group' }] });
  expect((unknown.json as Json).error.message).toContain("'Nobody here'");
  const unknownId = await importing({ group: '00000000-0000-4000-a000-00000000dead' });
  expect(unknownId.status).toBe(404);
  const ambiguous = await importing({ group: 'project' });
  expect(ambiguous.status).toBe(409);
  expect((ambiguous.json as Json).error.code).toBe('GroupAmbiguous');
  for (const p of projects) expect((ambiguous.json as Json).error.message).toContain(p.id);
  expect((await importing({ group: '' })).status).toBe(400);
  expect(await h.db.prisma.mailbox.count()).toBe(count);
});

test('an app without the group permission gets a 502 naming GroupMember.Read.All; without User.Read.All, naming that', async () => {
  // Another profile of the same tenant whose app was granted what the workloads need but no group
  // permission (a new app: tokens already issued keep their roles).
  const profileFor = async (roles: string[]) => {
    const app = await fx.sim.admin.createApp(fx.tenantId, { roles });
    const sealed = fx.secretBox.seal(app.clientSecret);
    const base = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: fx.profileId } });
    return (
      await h.db.prisma.emailServerProfile.create({
        data: {
          name: `no-groups-${app.clientId.slice(0, 8)}`,
          tenantId: fx.tenantId,
          clientId: app.clientId,
          clientSecretCiphertext: sealed.ciphertext,
          clientSecretKeyId: sealed.keyId,
          authorityUrl: base.authorityUrl,
          graphBaseUrl: base.graphBaseUrl,
          connectionTimeoutSec: 30,
        },
      })
    ).id;
  };
  const workloads = ['Mail.ReadWrite', 'Mail.Send', 'User.Read.All'];
  const noGroups = await importing({ group: 'All hands' }, await profileFor(workloads));
  expect(noGroups.status).toBe(502);
  expect((noGroups.json as Json).error.code).toBe('MissingPermission');
  expect((noGroups.json as Json).error.message).toContain('GroupMember.Read.All');
  const byId = await importing({ group: allHands.id }, await profileFor(workloads));
  expect(byId.status).toBe(502);
  expect((byId.json as Json).error.message).toContain('GroupMember.Read.All');
  // Members readable, users not: Graph answers with limited information; refused, naming User.Read.All.
  const noUsers = await importing(
    { group: allHands.id },
    await profileFor(['Mail.ReadWrite', 'GroupMember.Read.All']),
  );
  expect(noUsers.status).toBe(502);
  expect((noUsers.json as Json).error.code).toBe('AppPermissionMissing');
  expect((noUsers.json as Json).error.message).toContain('User.Read.All');
});

test('the CLI imports a group with a progress display and a summary', async () => {
  const baseUrl = await h.app.listen({ host: '127.0.0.1', port: 0 });
  let out = '';
  let err = '';
  const done: number[] = [];
  const code = await runCli(['profiles', 'import', fx.profileId, '--group', 'Interns'], {
    baseUrl,
    token: ADMIN_TOKEN,
    readStdin: async () => '',
    out: (t) => (out += t),
    err: (t) => (err += t),
    pollMs: 20,
    progress: () => ({ update: (n) => done.push(n), stop: () => {} }),
  });
  expect(code).toBe(0);
  expect(err).toMatch(/Listed 2 users of group Interns \([0-9a-f-]+\); 0 already known; importing 2/);
  expect(done.at(-1)).toBe(2);
  expect(out).toMatch(/import\s+2\s+2\s+0\s+Finished/);
  expect(await h.db.prisma.mailbox.count({ where: { address: { startsWith: 'intern' } } })).toBe(2);
});
