import { createFleetFixture, testEngineResources, type FleetFixture } from '@syncfleet/sync/testing';
import { listTenantUsers, type EngineResources } from '@syncfleet/sync';
import { waitFor } from '@syncfleet/testing';
import { runCli } from '../cli-commands';
import { ADMIN_TOKEN, call, startConsole, type ConsoleHarness, type Json } from '../test-support';

/**
 * Tenant import against the Graph simulator: GET /users paged (the console asks for 999 a page;
 * 1,200 users make two pages), filtered by domain, shared mailboxes as queues, known ones skipped.
 */
let h: ConsoleHarness;
let fx: FleetFixture;
let res: EngineResources;
beforeAll(async () => {
  h = await startConsole('import', { listTenantUsers: (profileId) => listTenantUsers(res, profileId) });
  fx = await createFleetFixture(h.db.prisma, { mailboxes: 2 }); // user1, user2 @contoso.test: known already
  await fx.sim.admin.createMailboxes(fx.tenantId, { count: 1_200, addressPattern: 'person{n}@contoso.test' });
  await fx.sim.admin.createMailboxes(fx.tenantId, {
    count: 5,
    addressPattern: 'desk{n}@contoso.test',
    kind: 'shared',
  });
  await fx.sim.admin.createMailboxes(fx.tenantId, { count: 30, addressPattern: 'guest{n}@fabrikam.test' });
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

describe('import mailboxes from the tenant', () => {
  test('a domain: users and shared mailboxes listed page by page, created with progress', async () => {
    const started = await call(h.app, 'POST', `/api/profiles/${fx.profileId}/import`, {
      domain: 'contoso.test',
    });
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({
      listed: 1_237,
      alreadyKnown: 2,
      operation: { action: 'import', total: 1_205 },
    });
    expect(await finished(started.json.operation.id)).toMatchObject({
      total: 1_205,
      succeeded: 1_205,
      failed: 0,
    });
    const metrics = await fx.sim.admin.metrics();
    expect(metrics.byRoute['GET /users']).toBe(2); // 999 + 238
    const person = await h.db.prisma.mailbox.findUniqueOrThrow({
      where: { address: 'person7@contoso.test' },
      include: { workloads: true },
    });
    expect(person).toMatchObject({ ownerType: 'User', approvalState: 'Approved', profileId: fx.profileId });
    expect(person.graphUserId).toEqual(expect.any(String));
    expect(person.workloads).toHaveLength(3);
    expect(person.workloads.every((w) => w.method === 'ServerSideSync' && !w.enabled)).toBe(true);
    expect(
      await h.db.prisma.mailbox.count({ where: { address: { startsWith: 'desk' }, ownerType: 'Queue' } }),
    ).toBe(5);
    expect(await h.db.prisma.mailbox.count({ where: { address: { endsWith: '@fabrikam.test' } } })).toBe(0);
  });

  test('chosen addresses; importing again creates nothing new', async () => {
    const chosen = ['guest1@fabrikam.test', 'guest2@fabrikam.test', 'person7@contoso.test'];
    const started = await call(h.app, 'POST', `/api/profiles/${fx.profileId}/import`, {
      addresses: chosen,
      approve: false,
      workloads: { act: { method: 'None' } },
    });
    expect(started.json).toMatchObject({ alreadyKnown: 1, operation: { total: 2 } });
    await finished(started.json.operation.id);
    const guest = await h.db.prisma.mailbox.findUniqueOrThrow({
      where: { address: 'guest1@fabrikam.test' },
      include: { workloads: true },
    });
    expect(guest.approvalState).toBe('Empty');
    expect(guest.workloads.find((w) => w.workload === 'Act')?.method).toBe('None');
    const again = await call(h.app, 'POST', `/api/profiles/${fx.profileId}/import`, {
      domain: 'contoso.test',
    });
    expect(again.json).toMatchObject({ alreadyKnown: 1_207, operation: { total: 0, status: 'Finished' } });
    const bad = await call(h.app, 'POST', `/api/profiles/${fx.profileId}/import`, { domain: 'not a domain' });
    expect(bad.status).toBe(400);
    expect((bad.json as Json).error.fields[0].path).toBe('domain');
  });
});

test('the CLI imports with a progress display and a summary', async () => {
  const baseUrl = await h.app.listen({ host: '127.0.0.1', port: 0 });
  let out = '';
  let err = '';
  const done: number[] = [];
  const code = await runCli(
    ['profiles', 'import', fx.profileId, '--addresses', 'guest3@fabrikam.test,guest4@fabrikam.test'],
    {
      baseUrl,
      token: ADMIN_TOKEN,
      readStdin: async () => '',
      out: (t) => (out += t),
      err: (t) => (err += t),
      pollMs: 20,
      progress: () => ({ update: (n) => done.push(n), stop: () => {} }),
    },
  );
  expect(code).toBe(0);
  expect(err).toContain('importing 2');
  expect(done.at(-1)).toBe(2);
  expect(out).toMatch(/import\s+2\s+2\s+0\s+Finished/);
  expect(
    await h.db.prisma.mailbox.count({
      where: { address: { in: ['guest3@fabrikam.test', 'guest4@fabrikam.test'] } },
    }),
  ).toBe(2);
});
