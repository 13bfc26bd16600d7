import { waitFor, type TestDatabase } from '@syncfleet/testing';
import type { EngineResources } from '../engine/types';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { MARKER } from './markers';
import { createContact, createTask, deleteContact, updateContact, updateTask } from './records';
import { actUntilIdle, contactsOf, runActOnce } from './test-support';

let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;
const harness = useEngineHarness('act-cycle', { mailboxes: 6, workloads: ['act'] });
beforeAll(() => {
  ({ db, fx, res } = harness);
});

/** A Graph item as the tests read it. */
type GraphItem = { id: string } & Record<string, unknown>;

const mb = (i: number) => fx.mailboxes[i]!;
const owner = (i: number) => ({ ownerType: 'User' as const, ownerId: `user-${i}` });
const contactsPath = (i: number) => `/users/${mb(i).simId}/contactFolders/contacts/contacts`;
async function graphOf(i: number) {
  const m = await db.prisma.mailbox.findUniqueOrThrow({
    where: { id: mb(i).id },
    include: { profile: true },
  });
  return res.graph.forMailbox(m.profile, { id: m.id, address: m.address });
}
async function exchangeContacts(i: number): Promise<GraphItem[]> {
  const g = await graphOf(i);
  return ((await g.api(contactsPath(i)).top(999).get()) as { value: GraphItem[] }).value;
}
async function listPath(i: number) {
  const state = await db.prisma.actMailboxState.findUniqueOrThrow({ where: { mailboxId: mb(i).id } });
  return `/users/${mb(i).simId}/todo/lists/${state.taskListId}/tasks`;
}
async function exchangeTasks(i: number): Promise<GraphItem[]> {
  const g = await graphOf(i);
  return (
    (await g
      .api(await listPath(i))
      .top(999)
      .get()) as { value: GraphItem[] }
  ).value;
}
/** Exchange's lastModifiedDateTime has whole seconds: the next edit must fall in a later second. */
async function nextSecond() {
  const second = Math.floor(Date.now() / 1000);
  await waitFor(() => Math.floor(Date.now() / 1000) > second, { timeoutMs: 2_000, intervalMs: 10 });
}
const requestsOf = async (i: number) => (await fx.sim.admin.metrics()).byMailbox[mb(i).simId] ?? 0;

describe('ACT cycle', () => {
  it('backfills both ways without duplicates, then an idle cycle costs one Graph request per collection (contacts, To Do, calendar)', async () => {
    for (let n = 0; n < 5; n++) {
      await fx.sim.admin.createContact(mb(0).simId, {
        givenName: `Out${n}`,
        surname: 'Look',
        emailAddresses: [{ address: `out${n}@fabrikam.test`, name: `Out${n}` }],
      });
      await fx.sim.admin.createTask(mb(0).simId, 'defaultList', { title: `outlook task ${n}` });
      await createContact(db.prisma, owner(0), {
        displayName: `App ${n}`,
        emailAddresses: [{ address: `app${n}@x.test` }],
      });
      await createTask(db.prisma, owner(0), {
        subject: `app task ${n}`,
        dueAt: new Date('2030-01-01T10:00:00Z'),
      });
    }
    await actUntilIdle(res, mb(0).id);
    await actUntilIdle(res, mb(0).id);
    expect((await contactsOf(db.prisma, 'user-0')).map((c) => c.fullName)).toEqual([
      'App 0',
      'App 1',
      'App 2',
      'App 3',
      'App 4',
      'Out0 Look',
      'Out1 Look',
      'Out2 Look',
      'Out3 Look',
      'Out4 Look',
    ]);
    const ex = await exchangeContacts(0);
    expect(ex).toHaveLength(10);
    expect(new Set(ex.map((c) => c.displayName)).size).toBe(10);
    const tasks = await exchangeTasks(0);
    expect(tasks.map((t) => String(t.title)).sort()).toEqual([
      'app task 0',
      'app task 1',
      'app task 2',
      'app task 3',
      'app task 4',
      'outlook task 0',
      'outlook task 1',
      'outlook task 2',
      'outlook task 3',
      'outlook task 4',
    ]);
    expect(tasks.find((t) => t.title === 'app task 0')?.dueDateTime).toEqual({
      dateTime: '2030-01-01T10:00:00.000',
      timeZone: 'UTC',
    });
    expect(await db.prisma.task.count({ where: { ownerId: 'user-0' } })).toBe(10);
    const links = await db.prisma.actLink.findMany({ where: { mailboxId: mb(0).id } });
    expect(links).toHaveLength(20);
    expect(links.every((l) => l.syncState === 'Synced' && l.graphItemId)).toBe(true);

    const before = await requestsOf(0);
    const idle = await runActOnce(res, mb(0).id);
    expect(idle).toMatchObject({ itemsProcessed: 0, itemsFailed: 0, yielded: false });
    // contacts delta, To Do delta, calendar delta
    expect((await requestsOf(0)) - before).toBe(3);
    // A profile that turns appointments off: contacts and To Do only.
    const profile = await db.prisma.emailServerProfile.update({
      where: { id: fx.profileId },
      data: { actSettings: { appointments: false } },
    });
    const withoutCalendar = await requestsOf(0);
    await runActOnce(res, mb(0).id);
    expect((await requestsOf(0)) - withoutCalendar).toBe(2);
    await db.prisma.emailServerProfile.update({
      where: { id: profile.id },
      data: { actSettings: {} },
    });
  });

  it('merges different fields, resolves the same field by LatestWins and records the conflict', async () => {
    const c = await createContact(db.prisma, owner(1), { displayName: 'Dana Vale', jobTitle: 'Buyer' });
    await actUntilIdle(res, mb(1).id);
    const [item] = await exchangeContacts(1);
    // App changes jobTitle and department; Outlook, a moment later, jobTitle and mobilePhone.
    await updateContact(db.prisma, c.id, { jobTitle: 'Head buyer', department: 'Purchasing' });
    await nextSecond();
    await fx.sim.admin.updateContact(mb(1).simId, item!.id, {
      jobTitle: 'Chief buyer',
      mobilePhone: '+1 555 0199',
    });
    await actUntilIdle(res, mb(1).id);
    await actUntilIdle(res, mb(1).id);
    const after = await db.prisma.contact.findUniqueOrThrow({ where: { id: c.id } });
    expect(after).toMatchObject({
      jobTitle: 'Chief buyer',
      department: 'Purchasing',
      mobilePhone: '+1 555 0199',
    });
    const [ex] = await exchangeContacts(1);
    expect(ex).toMatchObject({
      jobTitle: 'Chief buyer',
      department: 'Purchasing',
      mobilePhone: '+1 555 0199',
    });
    const conflicts = await db.prisma.actConflict.findMany({ where: { recordId: c.id } });
    expect(conflicts).toEqual([
      expect.objectContaining({
        field: 'jobTitle',
        appValue: 'Head buyer',
        exchangeValue: 'Chief buyer',
        winner: 'exchange',
        rule: 'LatestWins',
      }),
    ]);
  });

  it('never reopens a task completed in the app when a stale Outlook copy is edited', async () => {
    const t = await createTask(db.prisma, owner(2), { subject: 'Send contract' });
    await actUntilIdle(res, mb(2).id);
    const [item] = await exchangeTasks(2);
    await updateTask(db.prisma, t.id, { status: 'Completed' });
    // The user edits the old (open) copy in Outlook before the completion reached Exchange.
    await fx.sim.admin.updateTask(mb(2).simId, 'defaultList', item!.id, {
      title: 'Send signed contract',
      status: 'notStarted',
    });
    await actUntilIdle(res, mb(2).id);
    await actUntilIdle(res, mb(2).id);
    const after = await db.prisma.task.findUniqueOrThrow({ where: { id: t.id } });
    expect(after).toMatchObject({ status: 'Completed', subject: 'Send signed contract' });
    expect(after.completedAt).not.toBeNull();
    const [ex] = await exchangeTasks(2);
    expect(ex).toMatchObject({ status: 'completed', title: 'Send signed contract' });
  });

  it('deletes: app → Exchange deleted; Exchange → app unlinked (Unlink policy), not recreated', async () => {
    const keep = await createContact(db.prisma, owner(3), { displayName: 'Stays in app' });
    const gone = await createContact(db.prisma, owner(3), { displayName: 'Deleted in app' });
    await actUntilIdle(res, mb(3).id);
    const ex = await exchangeContacts(3);
    await deleteContact(db.prisma, gone.id);
    await fx.sim.admin.deleteContact(mb(3).simId, ex.find((c) => c.displayName === 'Stays in app')!.id);
    await actUntilIdle(res, mb(3).id);
    await actUntilIdle(res, mb(3).id);
    expect(await exchangeContacts(3)).toEqual([]);
    const stays = await db.prisma.contact.findUniqueOrThrow({ where: { id: keep.id } });
    expect(stays.deletedAt).toBeNull();
    expect(await db.prisma.actLink.findFirst({ where: { recordId: keep.id } })).toMatchObject({
      syncState: 'Unlinked',
      graphItemId: null,
    });
    await updateContact(db.prisma, keep.id, { notes: 'edited after the Outlook delete' });
    await actUntilIdle(res, mb(3).id);
    expect(await exchangeContacts(3)).toEqual([]);
  });

  it('a create whose answer was lost (crash) is found by its marker, not created twice; eviction changes nothing', async () => {
    const c = await createContact(db.prisma, owner(4), { displayName: 'Crash contact' });
    const t = await createTask(db.prisma, owner(4), { subject: 'Crash task' });
    await actUntilIdle(res, mb(4).id); // resolves the list and starts the rounds
    // Replay the state a crash leaves: the intent committed, the items created with our markers,
    // their answers never recorded.
    const c2 = await createContact(db.prisma, owner(4), { displayName: 'Lost answer contact' });
    const t2 = await createTask(db.prisma, owner(4), { subject: 'Lost answer task' });
    const g = await graphOf(4);
    await g.api(contactsPath(4)).post({
      displayName: 'Lost answer contact',
      singleValueExtendedProperties: [{ id: MARKER.contactProperty, value: c2.id }],
    });
    await g.api(await listPath(4)).post({
      title: 'Lost answer task',
      extensions: [
        {
          '@odata.type': 'microsoft.graph.openTypeExtension',
          extensionName: MARKER.taskExtension,
          recordId: t2.id,
        },
      ],
    });
    for (const [kind, recordId] of [
      ['contact', c2.id],
      ['task', t2.id],
    ] as const) {
      await db.prisma.actLink.create({
        data: { mailboxId: mb(4).id, kind, recordId, createIntentAt: new Date(), syncState: 'Pending' },
      });
    }
    await fx.sim.admin.evictDelta(mb(4).simId);
    await actUntilIdle(res, mb(4).id);
    await actUntilIdle(res, mb(4).id);
    expect((await exchangeContacts(4)).map((x) => String(x.displayName)).sort()).toEqual([
      'Crash contact',
      'Lost answer contact',
    ]);
    expect((await exchangeTasks(4)).map((x) => String(x.title)).sort()).toEqual([
      'Crash task',
      'Lost answer task',
    ]);
    expect(await db.prisma.contact.count({ where: { ownerId: 'user-4' } })).toBe(2);
    expect(await db.prisma.task.count({ where: { ownerId: 'user-4' } })).toBe(2);
    expect(c.id && t.id).toBeTruthy();
  });

  it('an item Exchange rejects fails alone with an item-level error; the cycle and the others go on', async () => {
    await actUntilIdle(res, mb(5).id);
    const ids: string[] = [];
    for (const name of ['First', 'Second', 'Third']) {
      ids.push((await createContact(db.prisma, owner(5), { displayName: name })).id);
    }
    await fx.sim.admin.addFault({
      scope: { mailbox: mb(5).simId },
      routes: '/contactFolders/contacts/contacts$',
      status: 400,
      code: 'ErrorInvalidProperty',
      message: 'The property is invalid.',
      count: 1,
    });
    const result = await runActOnce(res, mb(5).id);
    expect(result).toMatchObject({ itemsFailed: 1, yielded: false });
    const links = await db.prisma.actLink.findMany({ where: { mailboxId: mb(5).id, kind: 'contact' } });
    const failed = links.filter((l) => l.syncState === 'Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.lastError).toMatch(/invalid/i);
    expect(links.filter((l) => l.syncState === 'Synced')).toHaveLength(2);
    expect(await exchangeContacts(5)).toHaveLength(2);
    // The next edit of the rejected record sends it again.
    await updateContact(db.prisma, failed[0]!.recordId, { jobTitle: 'Retry' });
    await actUntilIdle(res, mb(5).id);
    expect(await exchangeContacts(5)).toHaveLength(3);
    expect(ids).toHaveLength(3);
  });

  it('Delete policy: a task deleted in Outlook is deleted in the app, and the feed says so', async () => {
    await db.prisma.emailServerProfile.update({
      where: { id: fx.profileId },
      data: { actDeletePolicy: 'Delete' },
    });
    try {
      const t = await createTask(db.prisma, owner(5), { subject: 'Delete me in Outlook' });
      await actUntilIdle(res, mb(5).id);
      const link = await db.prisma.actLink.findFirstOrThrow({ where: { recordId: t.id } });
      await fx.sim.admin.deleteTask(mb(5).simId, 'defaultList', link.graphItemId!);
      await actUntilIdle(res, mb(5).id);
      expect((await db.prisma.task.findUniqueOrThrow({ where: { id: t.id } })).deletedAt).not.toBeNull();
      expect(await db.prisma.actLink.findFirst({ where: { recordId: t.id } })).toBeNull();
      const changes = await db.prisma.appChange.findMany({
        where: { recordId: t.id },
        orderBy: { seq: 'asc' },
      });
      expect(changes.map((c) => [c.operation, c.source])).toEqual([
        ['create', 'app'],
        ['delete', 'exchange'],
      ]);
    } finally {
      await db.prisma.emailServerProfile.update({
        where: { id: fx.profileId },
        data: { actDeletePolicy: 'Unlink' },
      });
    }
  });
});
