import { waitFor } from '@syncfleet/testing';
import { createAppointment } from '@syncfleet/sync';
import type { TestAndEnableResult } from '../types';
import {
  call,
  mailboxInput,
  profileInput,
  startConsole,
  type ConsoleHarness,
  type Json,
} from '../test-support';

let h: ConsoleHarness;
let profileId: string;
let otherProfileId: string;
/** Test & Enable answers ok for every mailbox except addresses starting with "bad". */
const running = { now: 0, max: 0 };
beforeAll(async () => {
  h = await startConsole('bulk', {
    testAndEnable: async (mailboxId: string): Promise<TestAndEnableResult> => {
      running.now++;
      running.max = Math.max(running.max, running.now);
      try {
        const mailbox = await h.db.prisma.mailbox.findUniqueOrThrow({ where: { id: mailboxId } });
        // Give other lanes a chance to overlap, as Graph round trips would.
        await new Promise((resolve) => setImmediate(resolve));
        const ok = !mailbox.address.startsWith('bad');
        if (ok)
          await h.db.prisma.mailboxWorkload.updateMany({
            where: { mailboxId, workload: 'IncomingEmail' },
            data: { enabled: true },
          });
        return {
          mailboxId,
          ok,
          checks: [{ name: 'mailbox', ok, ...(ok ? {} : { message: 'no such mailbox in the tenant' }) }],
          workloads: {
            'incoming-email': ok ? 'enabled' : 'failed',
            'outgoing-email': 'not-configured',
            act: 'not-configured',
          },
        };
      } finally {
        running.now--;
      }
    },
  });
  profileId = (await call(h.app, 'POST', '/api/profiles', profileInput({ maxConcurrentConnections: 3 }))).json
    .id;
  otherProfileId = (await call(h.app, 'POST', '/api/profiles', profileInput({ name: 'APAC' }))).json.id;
  for (let i = 0; i < 30; i++) {
    const address = `${i < 5 ? 'bad' : 'user'}${i}@contoso.com`;
    const created = await call(
      h.app,
      'POST',
      '/api/mailboxes',
      mailboxInput(i < 25 ? profileId : otherProfileId, { address, owner: { type: 'User', id: `u${i}` } }),
    );
    expect(created.status).toBe(201);
  }
});
afterAll(() => h.close());

async function finished(id: string): Promise<Json> {
  return waitFor(
    async () => {
      const progress = await call(h.app, 'GET', `/api/operations/${id}`);
      return progress.json.status === 'Finished' ? progress.json : undefined;
    },
    { timeoutMs: 30_000, description: `operation ${id} finished` },
  );
}

describe('bulk operations', () => {
  test('test-and-enable over a filter: per-mailbox results, within the profile connection limit', async () => {
    const accepted = await call(h.app, 'POST', '/api/mailboxes/bulk/test-and-enable', {
      filter: { profileId },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.location).toBe(`/api/operations/${accepted.json.id}`);
    expect(accepted.json).toMatchObject({ action: 'test-and-enable', total: 25 });
    const done = await finished(accepted.json.id);
    expect(done).toMatchObject({ total: 25, done: 25, succeeded: 20, failed: 5, pending: 0 });
    expect(running.max).toBeLessThanOrEqual(3);
    const failed = await call(h.app, 'GET', `/api/operations/${accepted.json.id}/results?state=Failed`);
    expect(failed.json.total).toBe(5);
    expect(failed.json.items[0]).toMatchObject({
      state: 'Failed',
      message: 'mailbox: no such mailbox in the tenant',
    });
    expect(failed.json.items.every((i: Json) => i.address.startsWith('bad'))).toBe(true);
  });

  test('approve by ids records an alert per mailbox; unknown ids are a 400 naming them', async () => {
    const list = await call(h.app, 'GET', `/api/mailboxes?profileId=${otherProfileId}`);
    const ids = list.json.items.map((m: Json) => m.id);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const refused = await call(h.app, 'POST', '/api/mailboxes/bulk/approve', { ids: [...ids, unknown] });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain(unknown);
    expect(await h.db.prisma.bulkOperation.count({ where: { action: 'approve' } })).toBe(0);
    const both = await call(h.app, 'POST', '/api/mailboxes/bulk/approve', { ids, filter: {} });
    expect(both.status).toBe(400);

    const accepted = await call(h.app, 'POST', '/api/mailboxes/bulk/approve', { ids });
    expect(accepted.status).toBe(202);
    expect(await finished(accepted.json.id)).toMatchObject({ total: 5, succeeded: 5 });
    expect(await h.db.prisma.mailbox.count({ where: { id: { in: ids }, approvalState: 'Approved' } })).toBe(
      5,
    );
    expect(await h.db.prisma.alert.count({ where: { mailboxId: { in: ids }, code: 'EmailApproved' } })).toBe(
      5,
    );
  });

  test('bulk settings and disable; the list filters by them', async () => {
    const update = await call(h.app, 'POST', '/api/mailboxes/bulk/update', {
      filter: { q: 'bad' },
      settings: {
        incomingFilter: 'FromKnownContacts',
        trackedFolders: [{ folderId: 'archive', displayName: 'Archive' }],
      },
    });
    expect(update.status).toBe(202);
    expect(await finished(update.json.id)).toMatchObject({ total: 5, succeeded: 5 });
    expect(await h.db.prisma.mailbox.count({ where: { incomingFilter: 'FromKnownContacts' } })).toBe(5);
    expect(await h.db.prisma.mailboxFolderSync.count({ where: { folderId: 'archive', tracked: true } })).toBe(
      5,
    );
    const empty = await call(h.app, 'POST', '/api/mailboxes/bulk/update', { filter: {}, settings: {} });
    expect(empty.status).toBe(400);
    expect(empty.json.error.fields[0].path).toBe('settings');

    const enabledBefore = await call(
      h.app,
      'GET',
      '/api/mailboxes?workload=incoming-email&enabled=true&limit=100',
    );
    expect(enabledBefore.json).toMatchObject({ total: 20 });
    const disable = await call(h.app, 'POST', '/api/mailboxes/bulk/disable', {
      filter: { workload: 'incoming-email', enabled: 'true', q: 'user1' },
    });
    expect(await finished(disable.json.id)).toMatchObject({ total: 10, succeeded: 10 }); // user10..user19
    const enabledAfter = await call(h.app, 'GET', '/api/mailboxes?workload=incoming-email&enabled=true');
    expect(enabledAfter.json.total).toBe(10);
  });

  test('the list sorts and pages; a single mailbox PATCH edits its settings', async () => {
    const page = await call(h.app, 'GET', '/api/mailboxes?sort=address&order=desc&limit=5&offset=5');
    expect(page.json.total).toBe(30);
    const all = await call(h.app, 'GET', '/api/mailboxes?sort=address&order=desc&limit=100');
    expect(page.json.items.map((m: Json) => m.address)).toEqual(
      all.json.items.slice(5, 10).map((m: Json) => m.address),
    );
    const bad = await call(h.app, 'GET', '/api/mailboxes?sort=color');
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields[0].path).toBe('sort');

    const id = all.json.items[0].id;
    const patched = await call(h.app, 'PATCH', `/api/mailboxes/${id}`, {
      incomingFilter: 'All',
      processEmailFrom: '2026-01-01',
      trackedFolders: [{ folderId: 'projects' }],
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      incomingFilter: 'All',
      processEmailFrom: '2026-01-01T00:00:00.000Z',
      trackedFolders: [{ folderId: 'projects', displayName: null }],
    });
    const inbox = await call(h.app, 'PATCH', `/api/mailboxes/${id}`, {
      trackedFolders: [{ folderId: 'Inbox' }],
    });
    expect(inbox.status).toBe(400);
    const reset = await call(h.app, 'PATCH', `/api/mailboxes/${id}`, {
      incomingFilter: null,
      trackedFolders: [],
    });
    expect(reset.json).toMatchObject({ incomingFilter: null, trackedFolders: [] });
  });

  test('backlog per kind and the overview count what the database holds', async () => {
    const mailbox = await h.db.prisma.mailbox.findFirstOrThrow({ where: { address: 'user20@contoso.com' } });
    await h.db.prisma.emailActivity.createMany({
      data: [0, 1, 2].map((i) => ({
        direction: 'Outgoing' as const,
        status: 'PendingSend' as const,
        subject: `s${i}`,
        ownerMailboxId: mailbox.id,
        sendAttemptCount: i === 2 ? 1 : 0,
      })),
    });
    // A meeting this mailbox organizes, changed in the app and not yet in its calendar.
    await createAppointment(
      h.db.prisma,
      { ownerType: mailbox.ownerType, ownerId: mailbox.ownerId },
      {
        subject: 'Pipeline review',
        organizer: { address: mailbox.address },
        start: { dateTime: '2030-01-07T09:00:00', timeZone: 'UTC' },
        end: { dateTime: '2030-01-07T10:00:00', timeZone: 'UTC' },
      },
    );
    const own = await call(h.app, 'GET', `/api/mailboxes/${mailbox.id}/backlog`);
    expect(own.json.kinds).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'pendingSend', count: 2 }),
        expect.objectContaining({ kind: 'sendRetry', count: 1 }),
        expect.objectContaining({ kind: 'actAppointments', count: 1 }),
      ]),
    );
    const fleet = await call(h.app, 'GET', '/api/backlog');
    expect(fleet.json.mailboxes[0]).toMatchObject({ address: 'user20@contoso.com', total: 4 });
    const details = await call(h.app, 'GET', `/api/mailboxes/${mailbox.id}/details`);
    expect(details.json.backlog).toEqual(own.json.kinds);

    const overview = await call(h.app, 'GET', '/api/overview');
    expect(overview.status).toBe(200);
    expect(overview.json.mailboxes.total).toBe(30);
    expect(overview.json.mailboxes.enabled).toBe(
      await h.db.prisma.mailbox.count({ where: { workloads: { some: { enabled: true } } } }),
    );
    expect(overview.json.emails.pendingSend).toBe(3);
    expect(overview.json.workloads.map((w: Json) => w.workload)).toEqual([
      'incoming-email',
      'outgoing-email',
      'act',
    ]);
    const series = await call(h.app, 'GET', '/api/overview/series?minutes=10');
    expect(series.json.minutes).toHaveLength(10);
  });
});
