import type { ActLink, Appointment, AppointmentParty, Prisma } from '@syncfleet/db';
import { raiseAlert } from '../../engine/alerts';
import { classifyError } from '../../engine/classify';
import type { CycleContext } from '../../engine/types';
import { stampChanges, type ChangeInput } from '../changes';
import { inTransaction } from '../delta-round';
import type { Fields } from '../fields';
import { changedFields } from '../merge';
import type { PushCounts } from '../push';
import { toExchange } from '../settings';
import { APPOINTMENT_FIELDS, appointmentFromApp, eventFromGraph, eventToGraph } from './fields';
import { claimMeeting } from './meeting';
import { windowAt, type AppointmentSettings } from './settings';

const KIND = 'appointment';
type Item = Record<string, unknown>;
type Row = Appointment & { parties: AppointmentParty[] };

export const ORGANIZER_NOT_SYNCED = 'AppointmentOrganizerNotSynced';

const etag = (tag: string) => (tag.startsWith('W/') || tag.startsWith('"') ? tag : `W/"${tag}"`);

function itemLevel(error: unknown): 'invalid' | 'gone' | 'stale' | null {
  const e = classifyError(error);
  if (e.reason === 'InvalidRequest') return 'invalid';
  if (e.reason === 'NotFound') return 'gone';
  if (e.reason === 'Conflict') return 'stale';
  return null;
}

async function clearPending(tx: Prisma.TransactionClient, id: string, version: number) {
  await tx.appointment.updateMany({ where: { id, version }, data: { pushPending: false } });
}

/**
 * An appointment this mailbox will not write as it stands (not synced here, rejected by Exchange,
 * outside the window): its link says why, and it stops waiting until its next change.
 */
async function settleLink(
  tx: Prisma.TransactionClient,
  mailboxId: string,
  row: Pick<Row, 'id' | 'version'>,
  syncState: 'NotSynced' | 'Failed' | 'OutsideWindow',
  lastError: string | null,
) {
  await tx.actLink.upsert({
    where: { mailboxId_kind_recordId: { mailboxId, kind: KIND, recordId: row.id } },
    create: { mailboxId, kind: KIND, recordId: row.id, syncState, lastError },
    update: { syncState, lastError, createIntentAt: null },
  });
  await clearPending(tx, row.id, row.version);
}

/** Does this mailbox have appointments to write (as organizer) or to report (as owner)? */
export async function hasPendingAppointments(ctx: CycleContext): Promise<boolean> {
  const [organized, owned] = await Promise.all([
    ctx.prisma.appointment.findFirst({
      where: { pushPending: true, parties: { some: { role: 'Organizer', mailboxId: ctx.mailbox.id } } },
      select: { id: true },
    }),
    ctx.prisma.appointment.findFirst({
      where: { pushPending: true, ownerType: ctx.mailbox.ownerType, ownerId: ctx.mailbox.ownerId },
      select: { id: true },
    }),
  ]);
  return !!(organized || owned);
}

/**
 * The organizer rule (docs/act-sync.md#organizer-rule): an appointment is written only into its
 * organizer's calendar, and only when the organizer is a mailbox with ACT enabled. Appointments
 * of this mailbox's owner whose organizer is not such a mailbox are not synced: ONE Warning alert
 * per appointment names it and the reason (raised again only after the appointment changes).
 */
async function reportUnsyncable(ctx: CycleContext): Promise<void> {
  const rows = await ctx.prisma.appointment.findMany({
    where: {
      pushPending: true,
      deletedAt: null,
      type: { not: 'Exception' },
      ownerType: ctx.mailbox.ownerType,
      ownerId: ctx.mailbox.ownerId,
    },
    include: { parties: { where: { role: 'Organizer' } } },
    take: 200,
  });
  for (const row of rows) {
    const organizer = row.parties[0];
    if (organizer?.mailboxId === ctx.mailbox.id) continue;
    let reason: string | null = null;
    if (!organizer) reason = 'it has no organizer';
    else if (!organizer.mailboxId) reason = `its organizer ${organizer.address} has no synced mailbox`;
    else {
      const w = await ctx.prisma.mailboxWorkload.findUnique({
        where: { mailboxId_workload: { mailboxId: organizer.mailboxId, workload: 'Act' } },
        select: { enabled: true },
      });
      if (!w?.enabled) reason = `its organizer ${organizer.address} does not have ACT enabled`;
    }
    if (!reason) continue; // the organizer's own cycle writes it
    const message = `Appointment "${row.subject}" (${row.id}) is not synced to Exchange: ${reason}. Appointments are written only into their organizer's calendar.`;
    await ctx.prisma.$transaction(async (tx) => {
      const link = await tx.actLink.findUnique({
        where: { mailboxId_kind_recordId: { mailboxId: ctx.mailbox.id, kind: KIND, recordId: row.id } },
      });
      if (!(link?.syncState === 'NotSynced' && link.lastError === message)) {
        await raiseAlert(tx, {
          severity: 'Warning',
          code: ORGANIZER_NOT_SYNCED,
          message,
          workload: 'Act',
          mailboxId: ctx.mailbox.id,
          profileId: ctx.mailbox.profileId,
        });
      }
      await settleLink(tx, ctx.mailbox.id, row, 'NotSynced', message);
    });
  }
}

/**
 * App → Exchange for appointments this mailbox organizes: created (intent first; the event carries
 * our record id as its `transactionId`, which Graph returns on the event, so a create whose answer
 * was lost is found by the next delta round instead of created twice — event resource,
 * transactionId), updated with If-Match, deleted (Exchange then cancels the meeting for its
 * attendees: event: delete), exceptions written onto their occurrence, cancelled occurrences
 * deleted. Attendees are sent per the invitation policy (fields.ts sendableAttendees).
 */
export async function pushAppointments(
  ctx: CycleContext,
  appt: AppointmentSettings,
  user: string,
  counts: PushCounts,
  budget: { left: number },
): Promise<boolean> {
  await reportUnsyncable(ctx);
  const rows = await ctx.prisma.appointment.findMany({
    where: { pushPending: true, parties: { some: { role: 'Organizer', mailboxId: ctx.mailbox.id } } },
    include: { parties: { orderBy: { position: 'asc' } } },
    orderBy: [{ type: 'asc' }, { changeSeq: 'asc' }],
    take: Math.max(1, budget.left),
  });
  if (!rows.length) return true;
  const bound = APPOINTMENT_FIELDS.filter((f) => toExchange(appt.directions[f] ?? 'TwoWay'));
  const events = `${user}/events`;
  for (const row of rows) {
    if (ctx.signal.aborted || ctx.clock().getTime() >= ctx.deadline - 1_000) return false;
    budget.left -= 1;
    const link = await ctx.prisma.actLink.findUnique({
      where: { mailboxId_kind_recordId: { mailboxId: ctx.mailbox.id, kind: KIND, recordId: row.id } },
    });
    try {
      if (row.deletedAt) await pushDelete(ctx, events, row, link);
      else if (row.type === 'Exception') await pushException(ctx, appt, user, row, link, bound, counts);
      else if (!link?.graphItemId) await pushCreate(ctx, appt, events, row, link, bound, counts);
      else await pushUpdate(ctx, appt, events, row, link, bound, counts);
      counts.processed += 1;
    } catch (error) {
      const level = itemLevel(error);
      if (level === null) throw error;
      if (level === 'invalid') {
        counts.failed += 1;
        const message = classifyError(error).message.slice(0, 1_000);
        ctx.logger.warn({ recordId: row.id, error: message }, 'ACT: appointment rejected by Exchange');
        await ctx.prisma.$transaction((tx) => settleLink(tx, ctx.mailbox.id, row, 'Failed', message));
      }
      // gone / stale: the next delta round brings Exchange's state; the record stays marked.
    }
  }
  return budget.left > 0;
}

async function pushDelete(ctx: CycleContext, events: string, row: Row, link: ActLink | null) {
  if (link?.graphItemId) {
    try {
      await ctx.graph.api(`${events}/${encodeURIComponent(link.graphItemId)}`).delete();
    } catch (error) {
      if (itemLevel(error) !== 'gone') throw error;
    }
  }
  await ctx.prisma.$transaction(async (tx) => {
    if (link) await tx.actLink.delete({ where: { id: link.id } });
    await clearPending(tx, row.id, row.version);
  });
}

async function recordSynced(ctx: CycleContext, row: Row, item: Item, base: Fields) {
  const modified = Date.parse(String(item.lastModifiedDateTime ?? ''));
  await inTransaction(ctx, async (tx) => {
    await tx.actLink.update({
      where: { mailboxId_kind_recordId: { mailboxId: ctx.mailbox.id, kind: KIND, recordId: row.id } },
      data: {
        ...(typeof item.id === 'string' ? { graphItemId: item.id } : {}),
        ...(typeof item.changeKey === 'string' ? { changeKey: item.changeKey } : {}),
        exchangeModifiedAt: Number.isNaN(modified) ? null : new Date(modified),
        base: { ...base, cancelledOccurrences: row.cancelledOccurrences as string[] } as object,
        syncedVersion: row.version,
        syncedAt: ctx.clock(),
        syncState: 'Synced',
        createIntentAt: null,
        lastError: null,
      },
    });
    const changes: ChangeInput[] = [];
    if (typeof item.iCalUId === 'string' && row.iCalUId !== item.iCalUId && row.type !== 'Exception')
      await claimMeeting(tx, row.id, item.iCalUId, ctx.mailbox.id, changes);
    await clearPending(tx, row.id, row.version);
    await stampChanges(tx, changes);
  });
}

async function pushCreate(
  ctx: CycleContext,
  appt: AppointmentSettings,
  events: string,
  row: Row,
  _link: ActLink | null,
  bound: readonly string[],
  counts: PushCounts,
) {
  // Only what the sync window holds is written: the window's delta round, which ran just before,
  // is what finds a create whose answer was lost (by its transactionId), so outside the window a
  // retried create could not be recognised. A day's margin covers the window's slide.
  const [windowStart, windowEnd] = windowAt(appt, ctx.clock());
  const margin = appt.slideHours * 3_600_000;
  if (
    (row.lastEndAt && row.lastEndAt.getTime() < windowStart.getTime() + margin) ||
    row.startAt.getTime() > windowEnd.getTime() - margin
  ) {
    await ctx.prisma.$transaction((tx) => settleLink(tx, ctx.mailbox.id, row, 'OutsideWindow', null));
    return;
  }
  const fields = appointmentFromApp(row, row.parties, appt.invitationPolicy);
  await ctx.prisma.actLink.upsert({
    where: { mailboxId_kind_recordId: { mailboxId: ctx.mailbox.id, kind: KIND, recordId: row.id } },
    create: {
      mailboxId: ctx.mailbox.id,
      kind: KIND,
      recordId: row.id,
      createIntentAt: ctx.clock(),
      syncState: 'Pending',
    },
    update: { createIntentAt: ctx.clock(), syncState: 'Pending', lastError: null },
  });
  const body = { ...eventToGraph(fields, bound, fields), transactionId: row.id };
  const created = (await ctx.graph.api(events).post(body)) as Item;
  counts.created += 1;
  await deleteCancelled(ctx, events, created, row, []);
  await recordSynced(ctx, row, created, eventFromGraph(created));
}

async function pushUpdate(
  ctx: CycleContext,
  appt: AppointmentSettings,
  events: string,
  row: Row,
  link: ActLink,
  bound: readonly string[],
  counts: PushCounts,
) {
  const base = (link.base as (Fields & { cancelledOccurrences?: string[] }) | null) ?? {};
  const fields = appointmentFromApp(row, row.parties, appt.invitationPolicy);
  const diff = changedFields(base, fields, bound);
  let item: Item = { id: link.graphItemId, changeKey: link.changeKey };
  let after: Fields = base;
  if (diff.length) {
    const request = ctx.graph.api(`${events}/${encodeURIComponent(link.graphItemId!)}`);
    if (link.changeKey) request.header('If-Match', etag(link.changeKey));
    item = ((await request.patch(eventToGraph(fields, diff, fields))) as Item | undefined) ?? item;
    counts.updated += 1;
    after = typeof item.subject === 'string' ? eventFromGraph(item) : { ...base, ...fields };
  }
  await deleteCancelled(ctx, events, item, row, base.cancelledOccurrences ?? []);
  await recordSynced(ctx, row, item, after);
}

/** The occurrence of a series (by its original start), via event: list instances. */
async function occurrenceOf(ctx: CycleContext, events: string, masterId: string, originalStart: Date) {
  const from = new Date(originalStart.getTime() - 60_000).toISOString();
  const to = new Date(originalStart.getTime() + 86_400_000).toISOString();
  const page = (await ctx.graph
    .api(`${events}/${encodeURIComponent(masterId)}/instances`)
    .query({ startDateTime: from, endDateTime: to })
    .get()) as { value?: Item[] };
  return (
    (page.value ?? []).find((o) => Date.parse(String(o.originalStart)) === originalStart.getTime()) ?? null
  );
}

/** Occurrences cancelled in the app since the last push are deleted from the series in Exchange. */
async function deleteCancelled(ctx: CycleContext, events: string, master: Item, row: Row, done: string[]) {
  if (row.type !== 'SeriesMaster' || typeof master.id !== 'string') return;
  for (const at of row.cancelledOccurrences as string[]) {
    if (done.includes(at)) continue;
    const occurrence = await occurrenceOf(ctx, events, master.id, new Date(at));
    if (!occurrence) continue; // already gone
    try {
      await ctx.graph.api(`${events}/${encodeURIComponent(String(occurrence.id))}`).delete();
    } catch (error) {
      if (itemLevel(error) !== 'gone') throw error;
    }
  }
}

async function pushException(
  ctx: CycleContext,
  appt: AppointmentSettings,
  user: string,
  row: Row,
  link: ActLink | null,
  bound: readonly string[],
  counts: PushCounts,
) {
  const events = `${user}/events`;
  if (link?.graphItemId) return pushUpdate(ctx, appt, events, row, link, bound, counts);
  const masterLink = row.seriesMasterId
    ? await ctx.prisma.actLink.findUnique({
        where: {
          mailboxId_kind_recordId: { mailboxId: ctx.mailbox.id, kind: KIND, recordId: row.seriesMasterId },
        },
      })
    : null;
  if (!masterLink?.graphItemId || !row.originalStartAt) return; // its series is written first
  const occurrence = await occurrenceOf(ctx, events, masterLink.graphItemId, row.originalStartAt);
  if (!occurrence) {
    // Not an occurrence of the series (a wrong original start, or one cancelled in Outlook): the
    // exception fails alone, with its error on the link.
    const message = `The series has no occurrence starting ${row.originalStartAt.toISOString()}`;
    await ctx.prisma.$transaction((tx) => settleLink(tx, ctx.mailbox.id, row, 'Failed', message));
    counts.failed += 1;
    return;
  }
  const fields = appointmentFromApp(row, row.parties, appt.invitationPolicy);
  const keys = bound.filter((f) => f !== 'recurrence');
  await ctx.prisma.actLink.upsert({
    where: { mailboxId_kind_recordId: { mailboxId: ctx.mailbox.id, kind: KIND, recordId: row.id } },
    create: {
      mailboxId: ctx.mailbox.id,
      kind: KIND,
      recordId: row.id,
      graphItemId: String(occurrence.id),
      syncState: 'Pending',
    },
    update: { graphItemId: String(occurrence.id), syncState: 'Pending' },
  });
  const updated = (await ctx.graph
    .api(`${events}/${encodeURIComponent(String(occurrence.id))}`)
    .patch(eventToGraph(fields, keys, fields))) as Item;
  counts.updated += 1;
  await recordSynced(ctx, row, updated, eventFromGraph(updated));
}
