import type { MailboxFolderSync } from '@syncfleet/db';
import type { CycleContext } from '../../engine/types';
import { classifyError } from '../../engine/classify';
import { stampChanges, type ChangeInput } from '../changes';
import { inTransaction, runDeltaRound, type RoundTally } from '../delta-round';
import type { PullCounts } from '../pull';
import type { ActSettings } from '../settings';
import { applyEventPage, removed } from './pull';
import { windowAt, type AppointmentSettings } from './settings';

export const CALENDAR_FOLDER = 'act:calendar';

/**
 * The calendar's delta round over the sync window (event: delta on calendarView,
 * https://learn.microsoft.com/graph/api/event-delta: startDateTime/endDateTime fix the window of
 * the round, which its nextLink/deltaLink carry). The window slides: once the round's window is
 * older than `slideHours`, a new round starts with the window moved to now. Events replayed by the
 * new round find their links (nothing is created twice) and events that left the window keep their
 * appointments — leaving the window is not a delete.
 */
export async function runCalendarRound(
  ctx: CycleContext,
  settings: ActSettings,
  appt: AppointmentSettings,
  user: string,
  row: MailboxFolderSync,
  tally: RoundTally,
  pull: PullCounts,
): Promise<boolean> {
  const now = ctx.clock();
  const state = await ctx.prisma.actMailboxState.findUnique({
    where: { mailboxId: ctx.mailbox.id },
    select: { calendarWindowStart: true },
  });
  let start = row;
  const [from, to] = windowAt(appt, now);
  const windowStart = state?.calendarWindowStart;
  const stale =
    !windowStart ||
    now.getTime() - windowStart.getTime() >= appt.slideHours * 3_600_000 + appt.daysBack * 86_400_000;
  if (!row.nextLink && (stale || !row.deltaLink)) {
    // A new round: its window starts now - daysBack (recorded so the next slide is known).
    start = { ...row, deltaLink: null };
    await ctx.prisma.actMailboxState.update({
      where: { mailboxId: ctx.mailbox.id },
      data: { calendarWindowStart: from },
    });
  }
  const startUrl =
    `${user}/calendarView/delta?startDateTime=${encodeURIComponent(from.toISOString())}` +
    `&endDateTime=${encodeURIComponent(to.toISOString())}`;
  // A round that starts from nothing (first, slid, or after the delta state was lost: restartRound
  // clears the deltaLink) reports no deletions; the sweep below finds them.
  let fresh = start.deltaLink === null && start.nextLink === null;
  const began = ctx.clock();
  const done = await runDeltaRound(
    ctx,
    start,
    { startUrl, pageSize: settings.pageSize, maxEntries: settings.maxItemsPerCycle },
    tally,
    async (tx, entries) => {
      const now = await tx.mailboxFolderSync.findUnique({
        where: { mailboxId_folderId: { mailboxId: row.mailboxId, folderId: row.folderId } },
        select: { deltaLink: true, nextLink: true },
      });
      if (!now?.deltaLink && !now?.nextLink) fresh = true;
      await applyEventPage(ctx, settings, appt, user, tx, entries, pull);
    },
  );
  if (done && fresh) await sweepUnseen(ctx, settings, appt, user, began, [from, to], pull);
  return done;
}

/**
 * After a round that started from nothing: links of events inside the window that the round did
 * not bring (their link was not touched since it began) were deleted while no delta state could
 * say so — each is checked with `GET /events/{id}`, and only a 404 counts as a deletion.
 */
async function sweepUnseen(
  ctx: CycleContext,
  settings: ActSettings,
  appt: AppointmentSettings,
  user: string,
  began: Date,
  [from, to]: [Date, Date],
  pull: PullCounts,
): Promise<void> {
  const unseen = await ctx.prisma.actLink.findMany({
    where: {
      mailboxId: ctx.mailbox.id,
      kind: 'appointment',
      graphItemId: { not: null },
      OR: [{ syncedAt: null }, { syncedAt: { lt: began } }],
    },
    take: 500,
  });
  await sweepOccurrences(ctx, settings, appt, user, began, [from, to], pull);
  if (!unseen.length) return;
  const inWindow = new Set(
    (
      await ctx.prisma.appointment.findMany({
        where: {
          id: { in: unseen.map((l) => l.recordId) },
          startAt: { lt: to },
          OR: [{ lastEndAt: null }, { lastEndAt: { gt: from } }],
        },
        select: { id: true },
      })
    ).map((a) => a.id),
  );
  for (const link of unseen) {
    if (!inWindow.has(link.recordId)) continue;
    try {
      await ctx.graph
        .api(`${user}/events/${encodeURIComponent(link.graphItemId!)}`)
        .select('id')
        .get();
      await ctx.prisma.actLink.update({ where: { id: link.id }, data: { syncedAt: ctx.clock() } });
    } catch (error) {
      if (classifyError(error).reason !== 'NotFound') throw error;
      pull.removed += 1;
      await inTransaction(ctx, async (tx) => {
        const changes: ChangeInput[] = [];
        await removed(ctx, settings, tx, link, changes);
        await stampChanges(tx, changes);
      });
    }
  }
}

/**
 * The same for occurrences of series (occurrences.ts): those inside the window the round did not
 * show are handed to the page logic as `@removed`, which checks each with `GET /events/{id}` and
 * tells a deleted occurrence from one that left with an edit of its series.
 */
async function sweepOccurrences(
  ctx: CycleContext,
  settings: ActSettings,
  appt: AppointmentSettings,
  user: string,
  began: Date,
  [from, to]: [Date, Date],
  pull: PullCounts,
): Promise<void> {
  // Occurrences that the window left behind are no longer followed (the window slides daily, so
  // this keeps the table to the window's occurrences).
  await ctx.prisma.actOccurrence.deleteMany({
    where: { mailboxId: ctx.mailbox.id, originalStart: { lt: from } },
  });
  const unseen = await ctx.prisma.actOccurrence.findMany({
    where: {
      mailboxId: ctx.mailbox.id,
      seenAt: { lt: began },
      originalStart: { gte: from, lt: to },
    },
    select: { graphItemId: true },
    take: 500,
  });
  if (!unseen.length) return;
  await inTransaction(ctx, (tx) =>
    applyEventPage(
      ctx,
      settings,
      appt,
      user,
      tx,
      unseen.map((o) => ({ id: o.graphItemId, '@removed': { reason: 'deleted' } })),
      pull,
    ),
  );
}
