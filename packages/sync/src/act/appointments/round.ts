import type { MailboxFolderSync } from '@syncfleet/db';
import type { CycleContext } from '../../engine/types';
import { runDeltaRound, type RoundTally } from '../delta-round';
import type { PullCounts } from '../pull';
import type { ActSettings } from '../settings';
import { applyEventPage } from './pull';
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
  return runDeltaRound(
    ctx,
    start,
    { startUrl, pageSize: settings.pageSize, maxEntries: settings.maxItemsPerCycle },
    tally,
    (tx, entries) => applyEventPage(ctx, settings, appt, user, tx, entries, pull),
  );
}
