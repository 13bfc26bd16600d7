import type { Prisma } from '@syncfleet/db';
import type { ChangeInput } from '../changes';

const KIND = 'appointment';
type Tx = Prisma.TransactionClient;

/**
 * Occurrences of series the calendar delta showed this mailbox (calendarView lists occurrences and
 * never their master: event: delta, https://learn.microsoft.com/graph/api/event-delta). An
 * occurrence deleted in Outlook later comes back only as `@removed` with its id; the row kept here
 * says which series and which original start it was.
 */
export async function trackOccurrences(
  tx: Tx,
  mailboxId: string,
  seen: { graphItemId: string; recordId: string; originalStart: Date; pattern: string }[],
): Promise<void> {
  if (!seen.length) return;
  await tx.$executeRaw`
    INSERT INTO "ActOccurrence" ("mailboxId", "graphItemId", "recordId", "originalStart", "pattern", "seenAt")
    SELECT ${mailboxId}::uuid, o.id, o.record, o.start, o.pattern, now()
      FROM unnest(${seen.map((o) => o.graphItemId)}::text[], ${seen.map((o) => o.recordId)}::uuid[],
                  ${seen.map((o) => o.originalStart.toISOString())}::timestamp[], ${seen.map((o) => o.pattern)}::text[])
           AS o(id, record, start, pattern)
    ON CONFLICT ("mailboxId", "graphItemId")
      DO UPDATE SET "recordId" = EXCLUDED."recordId", "originalStart" = EXCLUDED."originalStart",
                    "pattern" = EXCLUDED."pattern", "seenAt" = now()`;
}

/**
 * A cancelled occurrence of a series, from Exchange: the organizer deleted one occurrence in
 * Outlook (or Exchange cancelled it on an attendee's copy of a meeting whose organizer is not
 * synced). It joins the series' cancelled occurrences — the series is never expanded — and an
 * exception at that start is cancelled with it. An attendee deleting an occurrence from their own
 * calendar changes nothing (only the organizer's calendar speaks for the meeting). Returns whether
 * the appointment changed.
 */
export async function cancelOccurrence(
  tx: Tx,
  mailboxId: string,
  recordId: string,
  at: Date,
  changes: ChangeInput[],
): Promise<boolean> {
  await tx.$queryRaw`SELECT 1 FROM "Appointment" WHERE id = ${recordId}::uuid FOR UPDATE`;
  const series = await tx.appointment.findUnique({
    where: { id: recordId },
    include: { parties: { where: { role: 'Organizer' }, select: { mailboxId: true } } },
  });
  if (!series || series.deletedAt || series.type !== 'SeriesMaster') return false;
  const organizer = series.parties[0]?.mailboxId ?? null;
  if (organizer && organizer !== mailboxId) return false;
  const iso = at.toISOString();
  const cancelled = series.cancelledOccurrences as string[];
  if (cancelled.includes(iso)) return false;
  await tx.appointment.update({
    where: { id: recordId },
    data: { cancelledOccurrences: [...cancelled, iso], version: { increment: 1 } },
  });
  const exception = await tx.appointment.updateManyAndReturn({
    where: { seriesMasterId: recordId, originalStartAt: at, deletedAt: null, isCancelled: false },
    data: { isCancelled: true, pushPending: false, version: { increment: 1 } },
    select: { id: true },
  });
  // What Exchange already holds is the link's base: the push does not delete it again.
  const link = await tx.actLink.findUnique({
    where: { mailboxId_kind_recordId: { mailboxId, kind: KIND, recordId } },
    select: { id: true, base: true },
  });
  if (link?.base && typeof link.base === 'object') {
    const base = link.base as { cancelledOccurrences?: string[] };
    await tx.actLink.update({
      where: { id: link.id },
      data: { base: { ...base, cancelledOccurrences: [...(base.cancelledOccurrences ?? []), iso] } },
    });
  }
  for (const id of [recordId, ...exception.map((e) => e.id)])
    changes.push({ kind: KIND, recordId: id, operation: 'update', source: 'exchange', mailboxId });
  return true;
}
