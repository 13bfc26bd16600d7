import type { Appointment, AppointmentPartyRole, Db, Prisma } from '@syncfleet/db';
import { stampChanges, type ChangeInput } from '../changes';
import { RecordNotFoundError, VersionMismatchError, type Owner } from '../records';
import {
  cancelledList,
  checkTimes,
  fail,
  parseInstant,
  scalarData,
  type AppointmentCreateInput,
  type AppointmentInput,
  type AppointmentWithParties,
  type AttendeeInput,
  type PartyInput,
  type Recurrence,
} from './input';

/**
 * The application side of ACT appointments (docs/act-sync.md#appointments). Every write goes
 * through these functions, as for contacts and tasks: it bumps the version (If-Match), stamps the
 * change sequence and marks the appointment for its organizer's next ACT cycle (`pushPending`).
 * Rules the application enforces itself, before anything is stored:
 * - start/end are valid zoned times (Windows or IANA names), end after start; an all-day
 *   appointment starts and ends at midnight of its zone (as Graph's event resource requires);
 * - a series is a master with Graph's patternedRecurrence; an exception names its master and the
 *   occurrence it replaces; deleting an exception (or listing an occurrence in the master's
 *   `cancelledOccurrences`) cancels that occurrence — a series is never expanded.
 * The input and its rules: input.ts.
 */

const PARTIES = { parties: { orderBy: { position: 'asc' } } } as const;

const ROLE: Record<NonNullable<AttendeeInput['type']>, AppointmentPartyRole> = {
  required: 'Required',
  optional: 'Optional',
  resource: 'Resource',
};

/**
 * Matches parties to what the application knows, by address: a synced mailbox (its owner: an
 * internal party) first, otherwise a contact with that email address.
 */
async function matchParties(
  tx: Prisma.TransactionClient,
  addresses: string[],
): Promise<
  Map<string, { mailboxId?: string; ownerType?: Owner['ownerType']; ownerId?: string; contactId?: string }>
> {
  const found = new Map<
    string,
    { mailboxId?: string; ownerType?: Owner['ownerType']; ownerId?: string; contactId?: string }
  >();
  if (!addresses.length) return found;
  const mailboxes = await tx.$queryRaw<
    { id: string; address: string; ownerType: Owner['ownerType']; ownerId: string }[]
  >`SELECT id::text, lower(address) AS address, "ownerType"::text AS "ownerType", "ownerId" FROM "Mailbox"
    WHERE lower(address) = ANY(${addresses}::text[])`;
  for (const m of mailboxes)
    found.set(m.address, { mailboxId: m.id, ownerType: m.ownerType, ownerId: m.ownerId });
  const rest = addresses.filter((a) => !found.has(a));
  if (rest.length) {
    const emails = await tx.contactEmail.findMany({
      where: { address: { in: rest }, contact: { deletedAt: null } },
      select: { address: true, contactId: true },
      orderBy: { contactId: 'asc' },
    });
    for (const e of emails) if (!found.has(e.address)) found.set(e.address, { contactId: e.contactId });
  }
  return found;
}

/** Rewrites the parties of an appointment; a kept attendee keeps their response. */
async function writeParties(
  tx: Prisma.TransactionClient,
  appointmentId: string,
  organizer: PartyInput | null | undefined,
  attendees: AttendeeInput[] | undefined,
): Promise<void> {
  if (organizer === undefined && attendees === undefined) return;
  const existing = await tx.appointmentParty.findMany({ where: { appointmentId } });
  const keepOrganizer = organizer === undefined ? existing.find((p) => p.role === 'Organizer') : undefined;
  const keepAttendees = attendees === undefined ? existing.filter((p) => p.role !== 'Organizer') : undefined;
  const responses = new Map(existing.map((p) => [p.address, p]));
  const rows: Array<{ role: AppointmentPartyRole; address: string; name: string | null }> = [];
  const orgAddress = organizer ? organizer.address.trim().toLowerCase() : keepOrganizer?.address;
  if (organizer) rows.push({ role: 'Organizer', address: orgAddress!, name: organizer.name ?? null });
  else if (keepOrganizer)
    rows.push({ role: 'Organizer', address: keepOrganizer.address, name: keepOrganizer.name });
  const seen = new Set<string>(orgAddress ? [orgAddress] : []);
  for (const a of attendees ?? keepAttendees ?? []) {
    const address = a.address.trim().toLowerCase();
    if (seen.has(address)) continue;
    seen.add(address);
    const role =
      'role' in a ? (a.role as AppointmentPartyRole) : ROLE[(a as AttendeeInput).type ?? 'required'];
    rows.push({ role, address, name: a.name ?? null });
  }
  const matched = await matchParties(
    tx,
    rows.map((r) => r.address),
  );
  await tx.appointmentParty.deleteMany({ where: { appointmentId } });
  if (!rows.length) return;
  await tx.appointmentParty.createMany({
    data: rows.map((r, position) => {
      const m = matched.get(r.address) ?? {};
      const before = responses.get(r.address);
      return {
        appointmentId,
        role: r.role,
        address: r.address,
        name: r.name,
        position,
        contactId: m.contactId ?? null,
        ownerType: m.ownerType ?? null,
        ownerId: m.ownerId ?? null,
        mailboxId: m.mailboxId ?? null,
        responseStatus:
          r.role === 'Organizer'
            ? 'Organizer'
            : before && before.role !== 'Organizer'
              ? before.responseStatus
              : 'None',
        respondedAt: before && before.role !== 'Organizer' ? before.respondedAt : null,
      };
    }),
  });
}

export async function createAppointment(
  prisma: Db,
  owner: Owner,
  input: AppointmentCreateInput,
): Promise<AppointmentWithParties> {
  return prisma.$transaction(async (tx) => {
    const data = scalarData(input);
    let master: Appointment | null = null;
    let originalStartAt: Date | null = null;
    if (input.seriesMasterId !== undefined) {
      master = await tx.appointment.findFirst({
        where: { id: input.seriesMasterId, deletedAt: null, type: 'SeriesMaster' },
      });
      if (!master) fail('seriesMasterId', 'no series master with this id');
      if (!input.originalStart) fail('originalStart', 'is required for an exception');
      if (input.recurrence) fail('recurrence', 'an exception has no recurrence of its own');
      originalStartAt = parseInstant(input.originalStart, 'originalStart');
      if ((master.cancelledOccurrences as string[]).includes(originalStartAt.toISOString()))
        fail('originalStart', 'that occurrence was cancelled');
      const taken = await tx.appointment.findFirst({
        where: { seriesMasterId: master.id, originalStartAt },
        select: { id: true },
      });
      if (taken) fail('originalStart', 'that occurrence already has an exception');
    } else if (input.originalStart !== undefined) fail('seriesMasterId', 'is required with originalStart');
    if (input.cancelledOccurrences?.length && !input.recurrence)
      fail('cancelledOccurrences', 'only a recurring series has occurrences to cancel');
    const recurrence = input.recurrence ?? null;
    const lastEndAt = checkTimes({
      startAt: data.startAt as Date,
      endAt: data.endAt as Date,
      startTimeZone: data.startTimeZone as string,
      endTimeZone: data.endTimeZone as string,
      isAllDay: input.isAllDay ?? false,
      recurrence,
    });
    const created = await tx.appointment.create({
      data: {
        ...(data as Prisma.AppointmentUncheckedCreateInput),
        ownerType: master?.ownerType ?? owner.ownerType,
        ownerId: master?.ownerId ?? owner.ownerId,
        type: master ? 'Exception' : recurrence ? 'SeriesMaster' : 'SingleInstance',
        ...(recurrence ? { recurrence: recurrence as unknown as Prisma.InputJsonValue } : {}),
        seriesMasterId: master?.id ?? null,
        originalStartAt,
        cancelledOccurrences: cancelledList(input.cancelledOccurrences ?? []),
        lastEndAt,
        pushPending: true,
      },
    });
    let organizer = input.organizer;
    let attendees = input.attendees;
    if (master) {
      // An exception is an occurrence of its series: same organizer and, unless changed, attendees.
      const parties = await tx.appointmentParty.findMany({ where: { appointmentId: master.id } });
      const org = parties.find((p) => p.role === 'Organizer');
      organizer = org ? { address: org.address, name: org.name } : null;
      attendees ??= parties
        .filter((p) => p.role !== 'Organizer')
        .map((p) => ({
          address: p.address,
          name: p.name,
          type: p.role.toLowerCase() as AttendeeInput['type'],
        }));
    } else if (organizer === undefined) {
      const own = await tx.mailbox.findUnique({
        where: { ownerType_ownerId: { ownerType: owner.ownerType, ownerId: owner.ownerId } },
        select: { address: true },
      });
      organizer = own ? { address: own.address } : null;
    }
    await writeParties(tx, created.id, organizer ?? null, attendees ?? []);
    await stampChanges(tx, [
      { kind: 'appointment', recordId: created.id, operation: 'create', source: 'app' },
    ]);
    return tx.appointment.findUniqueOrThrow({ where: { id: created.id }, include: PARTIES });
  });
}

export async function updateAppointment(
  prisma: Db,
  id: string,
  input: AppointmentInput & { owner?: Owner },
  ifVersion?: number,
): Promise<AppointmentWithParties> {
  return prisma.$transaction(async (tx) => {
    const current = await tx.appointment.findFirst({ where: { id, deletedAt: null } });
    if (!current) throw new RecordNotFoundError('appointment', id);
    if (ifVersion !== undefined && current.version !== ifVersion)
      throw new VersionMismatchError('appointment', id, current.version);
    const data = scalarData(input);
    const changes: ChangeInput[] = [];
    let recurrence = (current.recurrence as Recurrence | null) ?? null;
    if (input.recurrence !== undefined) {
      if (current.type === 'Exception') fail('recurrence', 'an exception has no recurrence of its own');
      recurrence = input.recurrence;
      data.recurrence = (recurrence ?? null) as unknown as Prisma.InputJsonValue;
      data.type = recurrence ? 'SeriesMaster' : 'SingleInstance';
      if (!recurrence) {
        // No longer a series: its exceptions and cancelled occurrences go with the pattern.
        data.cancelledOccurrences = [];
        const gone = await tx.appointment.findMany({
          where: { seriesMasterId: id, deletedAt: null },
          select: { id: true },
        });
        await tx.appointment.updateMany({
          where: { seriesMasterId: id, deletedAt: null },
          data: { deletedAt: new Date(), version: { increment: 1 }, pushPending: false },
        });
        for (const g of gone)
          changes.push({ kind: 'appointment', recordId: g.id, operation: 'delete', source: 'app' });
      }
    }
    if (input.cancelledOccurrences !== undefined) {
      if (!recurrence) fail('cancelledOccurrences', 'only a recurring series has occurrences to cancel');
      data.cancelledOccurrences = cancelledList(input.cancelledOccurrences);
    }
    data.lastEndAt = checkTimes({
      startAt: (data.startAt as Date | undefined) ?? current.startAt,
      endAt: (data.endAt as Date | undefined) ?? current.endAt,
      startTimeZone: (data.startTimeZone as string | undefined) ?? current.startTimeZone,
      endTimeZone: (data.endTimeZone as string | undefined) ?? current.endTimeZone,
      isAllDay: input.isAllDay ?? current.isAllDay,
      recurrence,
    });
    const updated = await tx.appointment.updateMany({
      where: { id, version: current.version },
      data: {
        ...(data as Prisma.AppointmentUncheckedUpdateManyInput),
        ...(input.owner ? { ownerType: input.owner.ownerType, ownerId: input.owner.ownerId } : {}),
        version: { increment: 1 },
        pushPending: true,
      },
    });
    if (updated.count === 0) throw new VersionMismatchError('appointment', id, current.version);
    if (current.type === 'Exception' && input.organizer !== undefined)
      fail('organizer', 'an exception has the organizer of its series');
    await writeParties(tx, id, input.organizer, input.attendees);
    changes.push({ kind: 'appointment', recordId: id, operation: 'update', source: 'app' });
    await stampChanges(tx, changes);
    return tx.appointment.findUniqueOrThrow({ where: { id }, include: PARTIES });
  });
}

/**
 * Deleted in the application: hidden from the API until the organizer's ACT cycle has deleted (or
 * cancelled) the Exchange meeting. Deleting a series deletes its exceptions; deleting an exception
 * cancels that occurrence of its series (the master lists it in `cancelledOccurrences`).
 */
export async function deleteAppointment(prisma: Db, id: string, ifVersion?: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const current = await tx.appointment.findFirst({ where: { id, deletedAt: null } });
    if (!current) throw new RecordNotFoundError('appointment', id);
    const updated = await tx.appointment.updateMany({
      where: { id, deletedAt: null, ...(ifVersion !== undefined ? { version: ifVersion } : {}) },
      data: { deletedAt: new Date(), version: { increment: 1 }, pushPending: true },
    });
    if (updated.count === 0) throw new VersionMismatchError('appointment', id, current.version);
    const changes: ChangeInput[] = [
      { kind: 'appointment', recordId: id, operation: 'delete', source: 'app' },
    ];
    if (current.type === 'SeriesMaster') {
      const exceptions = await tx.appointment.findMany({
        where: { seriesMasterId: id, deletedAt: null },
        select: { id: true },
      });
      await tx.appointment.updateMany({
        where: { seriesMasterId: id, deletedAt: null },
        data: { deletedAt: new Date(), version: { increment: 1 } },
      });
      for (const e of exceptions)
        changes.push({ kind: 'appointment', recordId: e.id, operation: 'delete', source: 'app' });
    }
    if (current.type === 'Exception' && current.seriesMasterId && current.originalStartAt) {
      const master = await tx.appointment.findUnique({ where: { id: current.seriesMasterId } });
      if (master && !master.deletedAt) {
        await tx.appointment.update({
          where: { id: master.id },
          data: {
            cancelledOccurrences: cancelledList([
              ...(master.cancelledOccurrences as string[]),
              current.originalStartAt.toISOString(),
            ]),
            version: { increment: 1 },
            pushPending: true,
          },
        });
        changes.push({ kind: 'appointment', recordId: master.id, operation: 'update', source: 'app' });
      }
    }
    await stampChanges(tx, changes);
  });
}

/**
 * The mailbox an appointment is written to (the organizer rule: only the organizer's calendar),
 * or null when its organizer has no synced mailbox.
 */
export async function organizerMailboxId(prisma: Db, appointmentId: string): Promise<string | null> {
  const a = await prisma.appointment.findUnique({
    where: { id: appointmentId },
    select: { seriesMasterId: true },
  });
  const org = await prisma.appointmentParty.findFirst({
    where: { appointmentId: a?.seriesMasterId ?? appointmentId, role: 'Organizer' },
    select: { mailboxId: true },
  });
  return org?.mailboxId ?? null;
}
