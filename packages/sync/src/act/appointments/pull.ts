import type { Appointment, Prisma } from '@syncfleet/db';
import { classifyError } from '../../engine/classify';
import type { CycleContext } from '../../engine/types';
import { stampChanges, type ChangeInput } from '../changes';
import type { ActKind, Fields } from '../fields';
import { changedFields, mergeFields } from '../merge';
import type { PullCounts } from '../pull';
import type { ActSettings } from '../settings';
import { toExchange } from '../settings';
import {
  APPOINTMENT_FIELDS,
  appointmentFromApp,
  eventFromGraph,
  responseFromGraph,
  type AttendeeEntry,
} from './fields';
import { claimMeeting, lockMeetings } from './meeting';
import { applyAttendees, applyResponses, columns, createFromEvent, modifiedAt, tagOf } from './event-records';
import { cancelOccurrence, trackOccurrences } from './occurrences';
import type { AppointmentSettings } from './settings';

const KIND = 'appointment';
type Tx = Prisma.TransactionClient;
type Item = Record<string, unknown>;

/**
 * Applies one calendarView delta page (Exchange → app) inside the page's transaction
 * (docs/act-sync.md#appointments):
 * - occurrences are not records (their series master is); exceptions are, under their master;
 *   a master is read with `GET /events/{seriesMasterId}` (calendarView never lists masters);
 * - one appointment per meeting: an event is matched by its link, by our transactionId (a create
 *   whose answer was lost), then by iCalUId — the organizer's event and every synced attendee's
 *   copy link to the same appointment;
 * - only the organizer's copy (or a meeting whose organizer is not synced) changes the
 *   appointment's fields (merged per field like contacts); an attendee's copy brings only that
 *   attendee's response, and its cancellation;
 * - `@removed` is checked with `GET /events/{id}`: still there = it left the window (not a delete).
 */
export async function applyEventPage(
  ctx: CycleContext,
  settings: ActSettings,
  appt: AppointmentSettings,
  user: string,
  tx: Tx,
  entries: Item[],
  counts: PullCounts,
): Promise<void> {
  const mailbox = ctx.mailbox;
  const masters = new Map<string, Appointment | null>();
  /** The page's changes, stamped as its transaction's last statement (changes.ts). */
  const changes: ChangeInput[] = [];
  /** Each series' recurrence as read in this page (by the master's Graph id). */
  const patterns = new Map<string, string>();

  const linkOf = (graphItemId: string) =>
    tx.actLink.findUnique({ where: { mailboxId_graphItemId: { mailboxId: mailbox.id, graphItemId } } });

  async function fetchEvent(id: string): Promise<Item | null> {
    try {
      return (await ctx.graph.api(`${user}/events/${encodeURIComponent(id)}`).get()) as Item;
    } catch (error) {
      if (classifyError(error).reason === 'NotFound') return null;
      throw error;
    }
  }

  /**
   * The series of an occurrence or exception, read once per page with `GET /events/{id}`: a change
   * made to the whole series in Outlook (its subject, its pattern) shows in the delta only as
   * changed occurrences, so the master is compared with its link here (unchanged: skipped by its
   * changeKey).
   */
  async function masterOf(seriesMasterId: string): Promise<Appointment | null> {
    if (masters.has(seriesMasterId)) return masters.get(seriesMasterId)!;
    let record: Appointment | null = null;
    const item = await fetchEvent(seriesMasterId);
    if (item) {
      record = await upsertEvent(item, null);
      patterns.set(seriesMasterId, String(eventFromGraph(item).recurrence ?? ''));
    } else {
      const link = await linkOf(seriesMasterId);
      if (link) record = await tx.appointment.findUnique({ where: { id: link.recordId } });
    }
    masters.set(seriesMasterId, record);
    return record;
  }

  /**
   * `@removed` of an occurrence the delta showed before (occurrences.ts): still there, it left the
   * window; gone while its series' pattern stayed as it was when the occurrence was seen, the
   * organizer deleted that one occurrence (a cancelled occurrence); gone with the pattern changed,
   * it left with an edit of the series (applied from the master); gone with its master, the series
   * was deleted.
   */
  async function occurrenceRemoved(graphId: string): Promise<void> {
    const occurrence = await tx.actOccurrence.findUnique({
      where: { mailboxId_graphItemId: { mailboxId: mailbox.id, graphItemId: graphId } },
    });
    if (!occurrence) return;
    await tx.actOccurrence.delete({
      where: { mailboxId_graphItemId: { mailboxId: mailbox.id, graphItemId: graphId } },
    });
    if (await fetchEvent(graphId)) return;
    const seriesLink = await tx.actLink.findUnique({
      where: {
        mailboxId_kind_recordId: { mailboxId: mailbox.id, kind: KIND, recordId: occurrence.recordId },
      },
    });
    if (!seriesLink?.graphItemId) return;
    const series = await masterOf(seriesLink.graphItemId);
    const pattern = patterns.get(seriesLink.graphItemId);
    if (!series) return;
    if (pattern === undefined) {
      // Its master is gone too: the series was deleted.
      counts.removed += 1;
      await tx.actOccurrence.deleteMany({ where: { mailboxId: mailbox.id, recordId: occurrence.recordId } });
      await removed(ctx, settings, tx, seriesLink, changes);
      return;
    }
    if (pattern !== occurrence.pattern) return; // left with an edit of the series (masterOf applied it)
    if (await cancelOccurrence(tx, mailbox.id, occurrence.recordId, occurrence.originalStart, changes))
      counts.updated += 1;
  }

  async function upsertEvent(item: Item, master: Appointment | null): Promise<Appointment | null> {
    const graphId = String(item.id);
    const fields = eventFromGraph(item);
    let link = await linkOf(graphId);
    let record: Appointment | null = null;
    if (!link && typeof item.transactionId === 'string') {
      // Our own create whose answer was lost (a crash after Graph answered): link it, not import it.
      const pending = await tx.actLink.findFirst({
        where: { mailboxId: mailbox.id, kind: KIND, recordId: item.transactionId, graphItemId: null },
      });
      if (pending)
        link = await tx.actLink.update({
          where: { id: pending.id },
          data: { graphItemId: graphId, createIntentAt: null, base: pending.base ?? (fields as object) },
        });
    }
    if (link) record = await tx.appointment.findUnique({ where: { id: link.recordId } });
    if (!record && !link && master && item.isCancelled === true && item.isOrganizer !== true) {
      // Exchange's cancellation of one occurrence on an attendee's copy: a cancelled occurrence of
      // the series (when the organizer is not synced; otherwise the organizer's calendar says so),
      // never an appointment of its own.
      await cancelOccurrence(tx, mailbox.id, master.id, new Date(String(item.originalStart)), changes);
      return null;
    }
    if (!record && !link) {
      if (master) {
        record = await tx.appointment.findFirst({
          where: { seriesMasterId: master.id, originalStartAt: new Date(String(item.originalStart)) },
        });
      } else if (typeof item.iCalUId === 'string') {
        await lockMeetings(tx, [item.iCalUId]); // a master read mid-page: locked when first met
        record = await tx.appointment.findUnique({ where: { iCalUId: item.iCalUId } });
      }
      if (!record) {
        record = await createFromEvent(ctx, tx, item, fields, master, changes);
        counts.created += 1;
      }
      await tx.actLink.upsert({
        where: { mailboxId_kind_recordId: { mailboxId: mailbox.id, kind: KIND, recordId: record.id } },
        create: {
          mailboxId: mailbox.id,
          kind: KIND,
          recordId: record.id,
          graphItemId: graphId,
          changeKey: tagOf(item),
          exchangeModifiedAt: modifiedAt(item),
          base: fields as object,
          syncedVersion: record.version,
          syncedAt: ctx.clock(),
          syncState: 'Synced',
        },
        update: { graphItemId: graphId, changeKey: tagOf(item), base: fields as object, syncState: 'Synced' },
      });
      if (item.isOrganizer !== true) await attendeeResponse(record.id, item);
      return record;
    }
    if (!record || !link) return record;
    if (
      item.isOrganizer === true &&
      !master &&
      typeof item.iCalUId === 'string' &&
      record.iCalUId !== item.iCalUId
    ) {
      // Our create whose answer was lost, linked just above: its meeting's identity (meeting.ts).
      await claimMeeting(tx, record.id, item.iCalUId, mailbox.id, changes);
    }
    if (link.changeKey && link.changeKey === tagOf(item)) {
      // Unchanged (our own write coming back, or a replayed round): seen, for the sweep (round.ts).
      await tx.actLink.update({ where: { id: link.id }, data: { syncedAt: ctx.clock() } });
      return record;
    }
    await tx.$queryRaw`SELECT 1 FROM "Appointment" WHERE id = ${record.id}::uuid FOR UPDATE`;
    record = await tx.appointment.findUniqueOrThrow({ where: { id: record.id } });
    if (record.deletedAt) return record; // deleted in the app: the push cancels the meeting
    const parties = await tx.appointmentParty.findMany({ where: { appointmentId: record.id } });
    const organizer = parties.find((p) => p.role === 'Organizer');
    const organizerHere = item.isOrganizer === true || organizer?.mailboxId === mailbox.id;
    const organizerSynced = !!organizer?.mailboxId;
    if (organizerHere || !organizerSynced) {
      const app = appointmentFromApp(record, parties, appt.invitationPolicy);
      const { merged, conflicts } = mergeFields({
        kind: KIND as unknown as ActKind, // no entity-specific rule for appointments in mergeFields
        app,
        exchange: fields,
        base: (link.base as Fields | null) ?? null,
        directions: appt.directions,
        policy: settings.conflictPolicy,
        appChangedAt: record.updatedAt,
        exchangeChangedAt: modifiedAt(item),
      });
      const changed = changedFields(app, merged, APPOINTMENT_FIELDS);
      const bound = APPOINTMENT_FIELDS.filter((f) => toExchange(appt.directions[f] ?? 'TwoWay'));
      const stillPending =
        organizerHere &&
        bound.some((f) => JSON.stringify(merged[f] ?? null) !== JSON.stringify(fields[f] ?? null));
      const data: Prisma.AppointmentUncheckedUpdateInput = {
        ...columns(
          merged,
          changed.filter((f) => f !== 'attendees'),
        ),
        ...(item.isCancelled === true && !record.isCancelled ? { isCancelled: true } : {}),
      };
      if (changed.includes('attendees'))
        await applyAttendees(
          tx,
          record.id,
          parties,
          JSON.parse(String(app.attendees)) as AttendeeEntry[],
          JSON.parse(String(merged.attendees)) as AttendeeEntry[],
        );
      if (Object.keys(data).length || changed.length) {
        if (data.endAt || data.startAt)
          data.lastEndAt = merged.recurrence ? record.lastEndAt : new Date(String(merged.end));
        await tx.appointment.update({
          where: { id: record.id },
          data: { ...data, version: { increment: 1 }, pushPending: stillPending || record.pushPending },
        });
        changes.push({
          kind: KIND,
          recordId: record.id,
          operation: 'update',
          source: 'exchange',
          mailboxId: mailbox.id,
        });
        counts.updated += 1;
      } else if (stillPending && !record.pushPending) {
        await tx.appointment.update({ where: { id: record.id }, data: { pushPending: true } });
      }
      if (conflicts.length) {
        counts.conflicts += conflicts.length;
        await tx.actConflict.createMany({
          data: conflicts.map((c) => ({
            mailboxId: mailbox.id,
            kind: KIND,
            recordId: record!.id,
            graphItemId: graphId,
            field: c.field,
            appValue: c.appValue as Prisma.InputJsonValue,
            exchangeValue: c.exchangeValue as Prisma.InputJsonValue,
            winner: c.winner,
            rule: c.rule,
          })),
        });
      }
      await applyResponses(tx, record.id, item);
    } else {
      // An attendee's copy: its edits never reach the organizer's meeting; its response does, and
      // the organizer's cancellation (which Exchange marks on every copy) cancels the appointment.
      await attendeeResponse(record.id, item);
      if (item.isCancelled === true && !record.isCancelled) {
        await tx.appointment.update({
          where: { id: record.id },
          data: { isCancelled: true, version: { increment: 1 } },
        });
        changes.push({
          kind: KIND,
          recordId: record.id,
          operation: 'update',
          source: 'exchange',
          mailboxId: mailbox.id,
        });
        counts.updated += 1;
      }
    }
    await tx.actLink.update({
      where: { id: link.id },
      data: {
        changeKey: tagOf(item),
        exchangeModifiedAt: modifiedAt(item),
        base: fields as object,
        syncedAt: ctx.clock(),
        syncState: 'Synced',
        lastError: null,
      },
    });
    return record;
  }

  /** This mailbox's own response (responseStatus of its copy) on its party of the appointment. */
  async function attendeeResponse(appointmentId: string, item: Item) {
    const status = item.responseStatus as { response?: string; time?: string } | undefined;
    const response = responseFromGraph(status?.response);
    if (response === 'None' || response === 'Organizer') return;
    await tx.appointmentParty.updateMany({
      where: {
        appointmentId,
        mailboxId: mailbox.id,
        role: { not: 'Organizer' },
        NOT: { responseStatus: response },
      },
      data: {
        responseStatus: response,
        respondedAt: status?.time && !status.time.startsWith('0001') ? new Date(status.time) : null,
      },
    });
  }

  const seen: Parameters<typeof trackOccurrences>[2] = [];
  // The page's meetings, locked in one order before any is looked up (meeting.ts).
  await lockMeetings(
    tx,
    entries.flatMap((e) => (typeof e.iCalUId === 'string' && !e['@removed'] ? [e.iCalUId] : [])),
  );
  for (const entry of entries) {
    const graphId = typeof entry.id === 'string' && entry.id ? entry.id : null;
    if (!graphId) {
      counts.failed += 1;
      continue;
    }
    try {
      if (entry['@removed']) {
        const link = await linkOf(graphId);
        counts.processed += 1;
        if (!link) {
          await occurrenceRemoved(graphId);
          continue;
        }
        if (await fetchEvent(graphId)) continue; // it left the window: not a delete
        counts.removed += 1;
        await removed(ctx, settings, tx, link, changes);
        continue;
      }
      if (entry.type === 'occurrence') {
        const series = typeof entry.seriesMasterId === 'string' ? await masterOf(entry.seriesMasterId) : null;
        const pattern = patterns.get(String(entry.seriesMasterId));
        if (series && pattern !== undefined && typeof entry.originalStart === 'string')
          seen.push({
            graphItemId: graphId,
            recordId: series.id,
            originalStart: new Date(entry.originalStart),
            pattern,
          });
        counts.processed += 1;
        continue;
      }
      if (entry.type === 'exception') {
        const master = typeof entry.seriesMasterId === 'string' ? await masterOf(entry.seriesMasterId) : null;
        if (!master) {
          counts.failed += 1;
          continue;
        }
        await upsertEvent(entry, master);
      } else {
        await upsertEvent(entry, null);
      }
      counts.processed += 1;
    } catch (error) {
      if (classifyError(error).reason !== 'InvalidRequest') throw error;
      counts.failed += 1;
      ctx.logger.warn({ graphId, error: classifyError(error).message }, 'ACT: event skipped');
    }
  }
  await trackOccurrences(tx, mailbox.id, seen);
  await stampChanges(tx, changes);
}

/**
 * An event deleted in Exchange. The organizer's deletion cancels the meeting for everyone (the
 * appointment is marked cancelled; under the Delete policy it is deleted); an attendee's deleted
 * copy only unlinks that mailbox.
 */
export async function removed(
  ctx: CycleContext,
  settings: ActSettings,
  tx: Tx,
  link: { id: string; recordId: string },
  changes: ChangeInput[],
): Promise<void> {
  const organizer = await tx.appointmentParty.findFirst({
    where: { appointmentId: link.recordId, role: 'Organizer' },
    select: { mailboxId: true },
  });
  await tx.actLink.delete({ where: { id: link.id } });
  const record = await tx.appointment.findUnique({
    where: { id: link.recordId },
    select: { type: true, seriesMasterId: true, originalStartAt: true },
  });
  if (record?.type === 'Exception' && record.seriesMasterId && record.originalStartAt) {
    // A moved or edited occurrence deleted by its organizer: a cancelled occurrence of the series
    // (an attendee's deleted copy changes nothing: cancelOccurrence checks the series' organizer).
    await cancelOccurrence(tx, ctx.mailbox.id, record.seriesMasterId, record.originalStartAt, changes);
    return;
  }
  if (organizer?.mailboxId !== ctx.mailbox.id) return;
  const data =
    settings.deletePolicy === 'Delete'
      ? { deletedAt: new Date(), pushPending: false, version: { increment: 1 } }
      : { isCancelled: true, pushPending: false, version: { increment: 1 } };
  const n = await tx.appointment.updateMany({ where: { id: link.recordId, deletedAt: null }, data });
  if (n.count)
    changes.push({
      kind: KIND,
      recordId: link.recordId,
      operation: settings.deletePolicy === 'Delete' ? 'delete' : 'update',
      source: 'exchange',
      mailboxId: ctx.mailbox.id,
    });
}
