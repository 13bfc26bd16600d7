import { Redis } from 'ioredis';
import {
  createTestDatabase,
  startPrivateRedis,
  waitFor,
  type PrivateRedis,
  type TestDatabase,
} from '@syncfleet/testing';
import { stopAll } from '@syncfleet/testing/processes';
import { actScenarioFleet } from './scenario-fleet';
import type { EngineResources } from '../engine/types';
import { testEngineResources } from '../testing/engine-resources';
import { createFleetFixture, type FleetFixture } from '../testing/fleet-fixture';
import { createContact, createTask, deleteContact, deleteTask, updateContact, updateTask } from './records';

/**
 * ACT acceptance: 8 mailboxes, 300 contacts and 300 tasks created half in the app, half by users in
 * Outlook; then edits on both sides (the same field, different fields), deletes on both sides, tasks
 * completed in the app and edited stale in Outlook; workers as OS processes, three of them killed
 * with -9 mid-sync, the delta state evicted once. The end state must equal the expected set exactly.
 * ACT_SCENARIO_ITEMS raises the size (default 300 of each).
 */
const MAILBOXES = 8;
const ITEMS = Number(process.env.ACT_SCENARIO_ITEMS ?? 300);
const LOCK_MS = 3_000;

let db: TestDatabase;
let redisServer: PrivateRedis;
let redis: Redis;
let fx: FleetFixture;
let res: EngineResources;
const { processes, startWorker, startScheduler, killOneWorkerMidSync } = actScenarioFleet({
  prefix: 'actscenario',
  lockMs: LOCK_MS,
  stores: () => ({ db, redisUrl: redisServer.url, fx }),
});

const owner = (i: number) => ({ ownerType: 'User' as const, ownerId: `user-${i}` });
type Item = { id: string } & Record<string, unknown>;

async function graphOf(i: number) {
  const m = await db.prisma.mailbox.findUniqueOrThrow({
    where: { id: fx.mailboxes[i]!.id },
    include: { profile: true },
  });
  return res.graph.forMailbox(m.profile, { id: m.id, address: m.address });
}
async function readAll(i: number, path: string): Promise<Item[]> {
  const g = await graphOf(i);
  const out: Item[] = [];
  let url: string | undefined = path;
  while (url) {
    const page = (await g.api(url).top(999).get()) as { value: Item[]; '@odata.nextLink'?: string };
    out.push(...page.value);
    url = page['@odata.nextLink'];
  }
  return out;
}
const contactsIn = (i: number) =>
  readAll(i, `/users/${fx.mailboxes[i]!.simId}/contactFolders/contacts/contacts`);
async function tasksIn(i: number) {
  const state = await db.prisma.actMailboxState.findUniqueOrThrow({
    where: { mailboxId: fx.mailboxes[i]!.id },
  });
  return readAll(i, `/users/${fx.mailboxes[i]!.simId}/todo/lists/${state.taskListId}/tasks`);
}

/** Nothing left to push and every live record linked: both sides hold the same set. */
async function settled(): Promise<boolean> {
  const [pc, pt] = await Promise.all([
    db.prisma.contact.count({ where: { pushPending: true } }),
    db.prisma.task.count({ where: { pushPending: true } }),
  ]);
  return pc + pt === 0;
}

async function setAct(enabled: boolean) {
  await db.prisma.mailboxWorkload.updateMany({
    where: { workload: 'Act' },
    data: enabled ? { enabled: true, nextDueAt: new Date() } : { enabled: false },
  });
  if (!enabled) {
    await waitFor(
      async () => (await db.prisma.mailboxWorkload.count({ where: { processingState: 'Processing' } })) === 0,
      {
        timeoutMs: 30_000,
        description: 'running cycles finished',
      },
    );
  }
}

async function nextSecond() {
  const second = Math.floor(Date.now() / 1000);
  await waitFor(() => Math.floor(Date.now() / 1000) > second, { timeoutMs: 2_000, intervalMs: 10 });
}

async function fullCycleEverywhereAfter(at: Date) {
  await waitFor(
    async () =>
      (
        await db.prisma.syncRun.groupBy({
          by: ['mailboxId'],
          where: { outcome: 'Success', startedAt: { gt: at } },
        })
      ).length === MAILBOXES,
    { timeoutMs: 30_000, intervalMs: 200, description: 'a full ACT cycle everywhere' },
  );
}

beforeAll(async () => {
  [db, redisServer] = await Promise.all([createTestDatabase('actscenario'), startPrivateRedis()]);
  fx = await createFleetFixture(db.prisma, {
    mailboxes: MAILBOXES,
    maxConcurrentConnections: 10,
    workloads: ['act'],
    simConfig: { defaultLatencyMs: 5 },
  });
  // Small pages and cycles, so work spans many cycles and the kills land mid-sync.
  await db.prisma.emailServerProfile.update({
    where: { id: fx.profileId },
    data: { actSettings: { pageSize: 20, maxItemsPerCycle: 60 } },
  });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  res = testEngineResources(fx, { prisma: db.prisma, redis, prefix: 'actscenario-test' });
}, 60_000);

afterAll(async () => {
  await stopAll(processes);
  redis?.disconnect();
  await fx?.close();
  await Promise.all([db?.drop(), redisServer?.stop()]);
});

it(`syncs ${ITEMS} contacts and ${ITEMS} tasks both ways exactly, through three kill -9s and an eviction`, async () => {
  // Expected end state per mailbox, keyed by a stable name.
  type Want = Record<string, unknown>;
  const contacts = new Map<string, { mailbox: number; want: Want; inExchange: boolean }>();
  const tasks = new Map<string, { mailbox: number; want: Want; inExchange: boolean }>();
  const appContact = new Map<string, string>(); // name → app id (app-created)
  const appTask = new Map<string, string>();
  const olContact = new Map<string, string>(); // name → Graph id (Outlook-created)
  const olTask = new Map<string, string>();
  const perMailbox = (fn: (m: number) => Promise<void>) =>
    Promise.all(Array.from({ length: MAILBOXES }, (_, m) => fn(m)));
  await perMailbox(async (m) => {
    for (let n = m; n < ITEMS; n += MAILBOXES) {
      const name = `c${n}`;
      if (Math.floor(n / MAILBOXES) % 2 === 0) {
        const c = await createContact(db.prisma, owner(m), { displayName: name, jobTitle: 'start' });
        appContact.set(name, c.id);
        const t = await createTask(db.prisma, owner(m), { subject: `t${n}` });
        appTask.set(`t${n}`, t.id);
      } else {
        const c = await fx.sim.admin.createContact(fx.mailboxes[m]!.simId, {
          displayName: name,
          jobTitle: 'start',
        });
        olContact.set(name, String(c.id));
        const t = await fx.sim.admin.createTask(fx.mailboxes[m]!.simId, 'defaultList', { title: `t${n}` });
        olTask.set(`t${n}`, String(t.id));
      }
      contacts.set(name, { mailbox: m, want: { jobTitle: 'start' }, inExchange: true });
      tasks.set(`t${n}`, { mailbox: m, want: { status: 'NotStarted' }, inExchange: true });
    }
  });

  startScheduler();
  startWorker();
  startWorker();
  await killOneWorkerMidSync();
  await waitFor(settled, { timeoutMs: 120_000, intervalMs: 250, description: 'initial backfill' });
  await fullCycleEverywhereAfter(new Date());

  // Edits on both sides while sync is paused, so both sides really changed since the last sync.
  await setAct(false);
  const graphIdOf = async (kind: 'contact' | 'task', recordId: string) =>
    (await db.prisma.actLink.findFirstOrThrow({ where: { kind, recordId } })).graphItemId!;
  const recordOfContact = async (name: string) =>
    appContact.get(name) ??
    (await db.prisma.contact.findFirstOrThrow({ where: { fullName: name, deletedAt: null } })).id;
  const recordOfTask = async (subject: string) =>
    appTask.get(subject) ??
    (await db.prisma.task.findFirstOrThrow({ where: { subject, deletedAt: null } })).id;
  let expectedConflicts = 0;
  const names = [...contacts.keys()];
  for (const [k, name] of names.entries()) {
    const entry = contacts.get(name)!;
    const simId = fx.mailboxes[entry.mailbox]!.simId;
    const id = await recordOfContact(name);
    if (k % 10 === 0) {
      // Same field on both sides: the app first, Outlook a second later — LatestWins: Outlook.
      await updateContact(db.prisma, id, { jobTitle: `app-${name}` });
      entry.want = { jobTitle: `ol-${name}` };
      expectedConflicts += 1;
    } else if (k % 10 === 1) {
      // Different fields on both sides: both kept.
      await updateContact(db.prisma, id, { department: `dep-${name}` });
      await fx.sim.admin.updateContact(simId, await graphIdOf('contact', id), { mobilePhone: `+1 ${k}` });
      entry.want = { jobTitle: 'start', department: `dep-${name}`, mobilePhone: `+1 ${k}` };
    } else if (k % 10 === 2) {
      await deleteContact(db.prisma, id); // deleted in the app → deleted in Exchange
      contacts.delete(name);
    } else if (k % 10 === 3) {
      await fx.sim.admin.deleteContact(simId, await graphIdOf('contact', id)); // Unlink: app keeps it
      entry.inExchange = false;
    }
  }
  await nextSecond();
  for (const [k, name] of names.entries()) {
    if (k % 10 !== 0) continue;
    const entry = contacts.get(name)!;
    const id = await recordOfContact(name);
    await fx.sim.admin.updateContact(fx.mailboxes[entry.mailbox]!.simId, await graphIdOf('contact', id), {
      jobTitle: `ol-${name}`,
    });
  }
  for (const [k, subject] of [...tasks.keys()].entries()) {
    const entry = tasks.get(subject)!;
    const id = await recordOfTask(subject);
    if (k % 5 === 0) {
      // Completed in the app; the user edits the stale (open) Outlook copy: never reopened.
      await updateTask(db.prisma, id, { status: 'Completed' });
      await fx.sim.admin.updateTask(
        fx.mailboxes[entry.mailbox]!.simId,
        'defaultList',
        await graphIdOf('task', id),
        {
          title: `${subject}-renamed`,
          status: 'notStarted',
        },
      );
      tasks.delete(subject);
      tasks.set(`${subject}-renamed`, { ...entry, want: { status: 'Completed' } });
      appTask.set(`${subject}-renamed`, id);
    } else if (k % 5 === 1) {
      await deleteTask(db.prisma, id);
      tasks.delete(subject);
    } else if (k % 5 === 2) {
      await fx.sim.admin.deleteTask(
        fx.mailboxes[entry.mailbox]!.simId,
        'defaultList',
        await graphIdOf('task', id),
      );
      entry.inExchange = false;
    } else if (k % 5 === 3) {
      await updateTask(db.prisma, id, { importance: 'High' });
      entry.want = { status: 'NotStarted', importance: 'High' };
    }
  }
  await setAct(true);
  await killOneWorkerMidSync();
  for (let i = 0; i < MAILBOXES; i++) await fx.sim.admin.evictDelta(fx.mailboxes[i]!.simId);
  await killOneWorkerMidSync();
  await waitFor(settled, { timeoutMs: 120_000, intervalMs: 250, description: 'edits synced' });
  const settledAt = new Date();
  await fullCycleEverywhereAfter(settledAt);
  await fullCycleEverywhereAfter(new Date());

  // The application side: exactly the expected records, each field per the direction map and policy.
  const appContacts = await db.prisma.contact.findMany({ where: { deletedAt: null } });
  expect(appContacts).toHaveLength(contacts.size);
  for (const c of appContacts) {
    const entry = contacts.get(c.fullName);
    expect(entry).toBeDefined();
    expect(c.ownerId).toBe(`user-${entry!.mailbox}`);
    expect(c).toMatchObject(entry!.want);
  }
  const appTasks = await db.prisma.task.findMany({ where: { deletedAt: null } });
  expect(appTasks).toHaveLength(tasks.size);
  for (const t of appTasks) {
    const entry = tasks.get(t.subject);
    expect(entry).toBeDefined();
    expect(t).toMatchObject(entry!.want);
  }
  // The Exchange side: no duplicates, nothing missing, same values.
  for (let i = 0; i < MAILBOXES; i++) {
    const ex = await contactsIn(i);
    const want = [...contacts].filter(([, e]) => e.mailbox === i && e.inExchange);
    expect(ex.map((c) => String(c.displayName)).sort()).toEqual(want.map(([n]) => n).sort());
    for (const c of ex) {
      const w = contacts.get(String(c.displayName))!.want;
      expect(c.jobTitle).toBe(w.jobTitle);
      if (w.department) expect(c).toMatchObject({ department: w.department, mobilePhone: w.mobilePhone });
    }
    const exTasks = await tasksIn(i);
    const wantTasks = [...tasks].filter(([, e]) => e.mailbox === i && e.inExchange);
    expect(exTasks.map((t) => String(t.title)).sort()).toEqual(wantTasks.map(([n]) => n).sort());
    for (const t of exTasks) {
      const w = tasks.get(String(t.title))!.want;
      expect(t.status).toBe(w.status === 'Completed' ? 'completed' : 'notStarted');
      if (w.importance) expect(t.importance).toBe('high');
    }
  }
  // Every same-field conflict recorded, with both values and the winner.
  const conflicts = await db.prisma.actConflict.findMany({ where: { kind: 'contact' } });
  expect(conflicts).toHaveLength(expectedConflicts);
  for (const c of conflicts) {
    expect(c).toMatchObject({ field: 'jobTitle', winner: 'exchange', rule: 'LatestWins' });
    expect(String(c.appValue)).toMatch(/^app-/);
  }
  const metrics = await fx.sim.admin.metrics();
  expect(metrics.earlyRequests).toBe(0);
}, 300_000);
