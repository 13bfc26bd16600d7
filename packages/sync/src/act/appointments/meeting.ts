import type { Prisma } from '@syncfleet/db';
import type { ChangeInput } from '../changes';

const KIND = 'appointment';
type Tx = Prisma.TransactionClient;

/**
 * Gives the organizer's appointment its meeting's iCalUId: one appointment per meeting
 * (docs/act-sync.md#appointments).
 *
 * An attendee's copy of a meeting the app created can reach the app before the organizer's record
 * knows the meeting's iCalUId: the organizer's cycle wrote the event but died before recording
 * Graph's answer (the next delta round links the event by its transactionId), or the attendee's
 * cycle ran between the organizer's create and its commit. The attendee's cycle then found no
 * appointment with that iCalUId and imported its copy as a new one. That import is folded into the
 * organizer's record here: its links (one per attendee mailbox) and its attendees' responses move
 * over, its exceptions join the organizer's series, and it is deleted (a `delete` in the change
 * feed, so an app that saw it created sees it go).
 *
 * Every lookup of a meeting by iCalUId first takes the meeting's lock (lockMeetings), so two
 * mailboxes' transactions meeting the same meeting take turns: the second finds the first's row
 * instead of inserting a second one.
 */
export async function claimMeeting(
  tx: Tx,
  recordId: string,
  iCalUId: string,
  mailboxId: string,
  changes: ChangeInput[],
): Promise<void> {
  await lockMeetings(tx, [iCalUId]);
  const other = await tx.appointment.findUnique({ where: { iCalUId }, select: { id: true } });
  if (other?.id === recordId) return;
  if (other) await foldInto(tx, other.id, recordId, mailboxId, changes);
  await tx.appointment.update({ where: { id: recordId }, data: { iCalUId } });
}

/** Moves `fromId`'s links, followed occurrences and exceptions to `intoId`, then deletes `fromId`. */
async function foldInto(
  tx: Tx,
  fromId: string,
  intoId: string,
  mailboxId: string,
  changes: ChangeInput[],
): Promise<void> {
  await moveLinks(tx, fromId, intoId);
  await tx.actOccurrence.updateMany({ where: { recordId: fromId }, data: { recordId: intoId } });
  // Attendees' responses recorded on the import (each attendee's cycle sets its own).
  const answered = await tx.appointmentParty.findMany({
    where: { appointmentId: fromId, role: { not: 'Organizer' }, NOT: { responseStatus: 'None' } },
  });
  for (const p of answered) {
    await tx.appointmentParty.updateMany({
      where: { appointmentId: intoId, address: p.address, role: { not: 'Organizer' } },
      data: { responseStatus: p.responseStatus, respondedAt: p.respondedAt },
    });
  }
  const exceptions = await tx.appointment.findMany({
    where: { seriesMasterId: fromId },
    select: { id: true, originalStartAt: true },
  });
  const gone: string[] = [fromId];
  for (const e of exceptions) {
    const ours = await tx.appointment.findFirst({
      where: { seriesMasterId: intoId, originalStartAt: e.originalStartAt },
      select: { id: true },
    });
    if (ours) {
      await moveLinks(tx, e.id, ours.id);
      gone.push(e.id);
    } else {
      await tx.appointment.update({ where: { id: e.id }, data: { seriesMasterId: intoId } });
    }
  }
  await tx.appointment.updateMany({
    where: { id: { in: gone } },
    data: { iCalUId: null, deletedAt: new Date(), pushPending: false, version: { increment: 1 } },
  });
  for (const recordId of gone)
    changes.push({ kind: KIND, recordId, operation: 'delete', source: 'exchange', mailboxId });
}

/** Re-points links; where `intoId` is already linked in a mailbox, the duplicate link goes. */
async function moveLinks(tx: Tx, fromId: string, intoId: string): Promise<void> {
  const links = await tx.actLink.findMany({ where: { kind: KIND, recordId: fromId } });
  for (const link of links) {
    const taken = await tx.actLink.findUnique({
      where: { mailboxId_kind_recordId: { mailboxId: link.mailboxId, kind: KIND, recordId: intoId } },
      select: { id: true, graphItemId: true },
    });
    if (taken?.graphItemId || (taken && !link.graphItemId)) {
      await tx.actLink.delete({ where: { id: link.id } });
      continue;
    }
    if (taken) await tx.actLink.delete({ where: { id: taken.id } });
    await tx.actLink.update({ where: { id: link.id }, data: { recordId: intoId } });
  }
}

/** Transaction-scoped advisory locks live in two key spaces; meetings use this class (ours). */
const MEETING_LOCK_CLASS = 0x5f_ac_7c_02;

/**
 * Locks meetings by iCalUId until the transaction ends, in one fixed order (by key) so two pages
 * holding several never wait on each other in a circle. Held by every find-or-create of a meeting
 * across mailboxes (the organizer's and each attendee's copy arrive in different mailboxes'
 * cycles at once).
 */
export async function lockMeetings(tx: Tx, iCalUIds: readonly string[]): Promise<void> {
  if (!iCalUIds.length) return;
  await tx.$queryRaw`
    SELECT count(pg_advisory_xact_lock(${MEETING_LOCK_CLASS}::int, k))::int AS locked
      FROM (SELECT DISTINCT hashtext(u) AS k FROM unnest(${[...iCalUIds]}::text[]) AS u ORDER BY k) AS keys`;
}
