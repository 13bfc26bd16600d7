import { SyncError } from '@syncfleet/errors';
import type { MailboxGraph } from '@syncfleet/graph';
import { waitFor } from '@syncfleet/testing';
import { createProbeHandlers } from '../probe/probe-handlers';
import { runWorkloadJob } from '../engine/run-job';
import { useEngineHarness } from '../testing/engine-harness';
import { createOutgoingEmailHandler } from './processor';
import { cycleContext, deliveriesByEmail, newEmail, TEST_SETTINGS } from './test-support';

/**
 * Outlook's per-mailbox upload budget ("150 megabytes (MB) upload (PATCH, POST, PUT) in a 5-minute
 * period", Microsoft Graph throttling limits), scaled down: 600 kB per 5 s in the simulator and in
 * the fleet's settings. A mailbox with more attachment bytes queued than one budget sends them all,
 * exactly once, none failed — paced (emails wait PendingSend), never throttled.
 */
const BUDGET = 600_000;
const WINDOW_SEC = 5;
const EMAILS = 10;
const ATTACHMENT = 140_000; // ≈ 187 kB of base64 per draft: three fit in one budget

const harness = useEngineHarness('outgoing-upload-budget', {
  mailboxes: 2,
  workloads: ['outgoing-email'],
  simConfig: { mailboxUploadBytesPer5Min: BUDGET, mailboxUploadWindowSeconds: WINDOW_SEC },
});

test('more attachment bytes than one budget: all sent once, none failed, paced under the budget', async () => {
  const { db, fx, res } = harness;
  const mb = fx.mailboxes[0]!;
  const content = Buffer.alloc(ATTACHMENT, 7).toString('base64');
  const ids: string[] = [];
  for (let i = 0; i < EMAILS; i++) {
    const email = await newEmail(db.prisma, mb.id, {
      attachments: [{ name: `quote-${i}.pdf`, contentType: 'application/pdf', content }],
    });
    ids.push(email.id);
  }
  const handlers = {
    ...createProbeHandlers(),
    'outgoing-email': createOutgoingEmailHandler({
      ...TEST_SETTINGS,
      uploadBudgetBytes: BUDGET,
      uploadWindowMs: WINDOW_SEC * 1000,
    }),
  };
  let maxPostponed = 0;
  const statuses = () =>
    db.prisma.emailActivity.groupBy({ by: ['status'], where: { id: { in: ids } }, _count: true });
  await waitFor(
    async () => {
      await runWorkloadJob(res, handlers, {
        mailboxId: mb.id,
        workload: 'outgoing-email',
        dueAt: new Date().toISOString(),
      });
      const row = await db.prisma.mailboxWorkload.findUniqueOrThrow({
        where: { mailboxId_workload: { mailboxId: mb.id, workload: 'OutgoingEmail' } },
      });
      const waiting = (row.checkpoint as { uploadBudget?: { postponed: number } } | null)?.uploadBudget;
      maxPostponed = Math.max(maxPostponed, waiting?.postponed ?? 0);
      expect(row.enabled).toBe(true);
      const byStatus = await statuses();
      return byStatus.length === 1 && byStatus[0]!.status === 'Sent';
    },
    { timeoutMs: 50_000, intervalMs: 250, description: 'every email sent' },
  );

  // Exactly once each, none failed.
  const deliveries = await deliveriesByEmail(fx);
  expect(ids.map((id) => deliveries.get(id))).toEqual(ids.map(() => 1));
  const rows = await db.prisma.emailActivity.findMany({ where: { id: { in: ids } } });
  expect(rows.every((r) => r.status === 'Sent' && r.failureReason === null)).toBe(true);

  // Paced: emails waited for the budget (visible on the workload), and the simulator, which counts
  // every upload on its side, never had to refuse one.
  expect(maxPostponed).toBeGreaterThan(0);
  const metrics = await fx.sim.admin.metrics();
  expect(metrics.throttledByMailbox[mb.simId] ?? 0).toBe(0);
  // No window of WINDOW_SEC held more than the budget, and the uploads spread over several windows.
  const uploads = rows
    .map((r) => ({ at: r.draftUploadedAt!.getTime(), bytes: r.draftUploadBytes! }))
    .sort((a, b) => a.at - b.at);
  expect(uploads.reduce((sum, u) => sum + u.bytes, 0)).toBeGreaterThan(2 * BUDGET);
  for (const u of uploads) {
    const inWindow = uploads.filter((v) => v.at >= u.at && v.at < u.at + WINDOW_SEC * 1000);
    expect(inWindow.reduce((sum, v) => sum + v.bytes, 0)).toBeLessThanOrEqual(BUDGET);
  }
  expect(uploads[uploads.length - 1]!.at - uploads[0]!.at).toBeGreaterThanOrEqual(2 * WINDOW_SEC * 1000);
  expect(rows.every((r) => r.sendAttemptCount === 1)).toBe(true);
});

test("a 429 on the draft (another app uploading) never uses up the email's attempts; a 503 does", async () => {
  const { db, fx, res } = harness;
  const mb = fx.mailboxes[1]!;
  /** The draft's POST refused with `error`, as Graph would answer it. */
  const refusing =
    (error: () => Error) =>
    (graph: MailboxGraph): MailboxGraph => ({
      ...graph,
      api: (path, options) => {
        const request = graph.api(path, options);
        if (!path.endsWith('/messages')) return request;
        request.post = () => Promise.reject(error());
        return request;
      },
    });
  const throttled = refusing(
    () => new SyncError('Throttled', 'Please retry again later.', { code: 'TooManyRequests', status: 429 }),
  );
  const unavailable = refusing(
    () =>
      new SyncError('ServiceUnavailable', 'Service unavailable.', {
        code: 'ServiceUnavailable',
        status: 503,
      }),
  );
  const handler = createOutgoingEmailHandler(TEST_SETTINGS); // maxAttempts: 3
  const paced = await newEmail(db.prisma, mb.id);
  for (let i = 0; i < TEST_SETTINGS.maxAttempts + 2; i++) {
    await expect(handler.run(await cycleContext(res, db.prisma, mb.id, throttled))).rejects.toThrow('retry');
  }
  expect(await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: paced.id } })).toMatchObject({
    status: 'Sending',
    sendAttemptCount: TEST_SETTINGS.maxAttempts + 2,
  });
  expect(await handler.run(await cycleContext(res, db.prisma, mb.id))).toMatchObject({ itemsProcessed: 1 });
  expect((await deliveriesByEmail(fx)).get(paced.id)).toBe(1);

  // Control: an unavailable service is the email's problem after its attempts.
  const failing = await newEmail(db.prisma, mb.id);
  for (let i = 0; i < TEST_SETTINGS.maxAttempts; i++) {
    await expect(handler.run(await cycleContext(res, db.prisma, mb.id, unavailable))).rejects.toThrow();
  }
  expect(await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: failing.id } })).toMatchObject({
    status: 'Failed',
    failureReason: expect.stringMatching(/gave up after 3 attempts/),
  });
});
