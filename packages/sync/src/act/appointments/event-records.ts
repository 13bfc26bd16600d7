import type { Appointment, AppointmentParty, Prisma } from '@syncfleet/db';
import type { CycleContext } from '../../engine/types';
import type { ChangeInput } from '../changes';
import type { Fields } from '../fields';
import { APPOINTMENT_FIELDS, graphAttendees, type AttendeeEntry } from './fields';

/**
 * What an Outlook event does to the app's records (pull.ts applies a delta page with these):
 * appointment columns of canonical fields, parties matched to mailboxes and contacts, attendee
 * lists and responses, and a new appointment made from an event.
 */

const KIND = 'appointment';
type Tx = Prisma.TransactionClient;
type Item = Record<string, unknown>;

export const modifiedAt = (item: Item) => {
  const ms = Date.parse(String(item.lastModifiedDateTime ?? ''));
  return Number.isNaN(ms) ? new Date(0) : new Date(ms);
};
export const tagOf = (item: Item) => (typeof item.changeKey === 'string' ? item.changeKey : null);

/** App columns of canonical fields (only the given ones). */
export function columns(f: Fields, keys: readonly string[]): Prisma.AppointmentUncheckedUpdateInput {
  const out: Prisma.AppointmentUncheckedUpdateInput = {};
  for (const k of keys) {
    const v = f[k];
    switch (k) {
      case 'subject':
        out.subject = (v as string | null) ?? '';
        break;
      case 'body':
      case 'location':
        out[k] = (v as string | null) ?? null;
        break;
      case 'start':
        if (v) out.startAt = new Date(String(v));
        break;
      case 'end':
        if (v) out.endAt = new Date(String(v));
        break;
      case 'startTimeZone':
      case 'endTimeZone':
        out[k] = String(v ?? 'UTC');
        break;
      case 'isAllDay':
      case 'isReminderOn':
        out[k] = v === 'true';
        break;
      case 'reminderMinutesBeforeStart':
        out.reminderMinutesBeforeStart = Number(v ?? 15);
        break;
      case 'showAs':
        out.showAs = v as Appointment['showAs'];
        break;
      case 'sensitivity':
        out.sensitivity = v as Appointment['sensitivity'];
        break;
      case 'importance':
        out.importance = v as Appointment['importance'];
        break;
      case 'categories':
        out.categories = (v as string[]) ?? [];
        break;
      case 'recurrence':
        out.recurrence = v ? (JSON.parse(String(v)) as Prisma.InputJsonValue) : (null as never);
        out.type = v ? 'SeriesMaster' : 'SingleInstance';
        break;
    }
  }
  return out;
}

/** Who is behind an address: a synced mailbox (internal) or a contact. */
export async function matchAddress(tx: Tx, address: string) {
  const [m] = await tx.$queryRaw<{ id: string; ownerType: 'User' | 'Queue'; ownerId: string }[]>`
    SELECT id::text, "ownerType"::text AS "ownerType", "ownerId" FROM "Mailbox" WHERE lower(address) = ${address} LIMIT 1`;
  if (m) return { mailboxId: m.id, ownerType: m.ownerType, ownerId: m.ownerId, contactId: null };
  const c = await tx.contactEmail.findFirst({
    where: { address, contact: { deletedAt: null } },
    select: { contactId: true },
  });
  return { mailboxId: null, ownerType: null, ownerId: null, contactId: c?.contactId ?? null };
}

/**
 * Brings the app's attendees to Exchange's list (as merged): attendees Exchange does not hold
 * because the policy never sent them (external ones under InternalOnly, all under None) stay.
 */
export async function applyAttendees(
  tx: Tx,
  appointmentId: string,
  parties: AppointmentParty[],
  sent: AttendeeEntry[],
  wanted: AttendeeEntry[],
): Promise<void> {
  const sentSet = new Set(sent.map((a) => a.address));
  const wantedBy = new Map(wanted.map((a) => [a.address, a]));
  for (const p of parties) {
    if (p.role === 'Organizer' || !sentSet.has(p.address)) continue;
    const w = wantedBy.get(p.address);
    if (!w) await tx.appointmentParty.delete({ where: { id: p.id } });
    else if (w.type !== p.role.toLowerCase())
      await tx.appointmentParty.update({
        where: { id: p.id },
        data: { role: (w.type.charAt(0).toUpperCase() + w.type.slice(1)) as AppointmentParty['role'] },
      });
  }
  const have = new Set(parties.map((p) => p.address));
  let position = parties.length;
  for (const w of wanted) {
    if (have.has(w.address)) continue;
    await tx.appointmentParty.create({
      data: {
        appointmentId,
        role: (w.type.charAt(0).toUpperCase() + w.type.slice(1)) as AppointmentParty['role'],
        address: w.address,
        position: position++,
        ...(await matchAddress(tx, w.address)),
      },
    });
  }
}

/** Attendee responses as Exchange reports them (the organizer's copy lists every attendee's). */
export async function applyResponses(tx: Tx, appointmentId: string, item: Item): Promise<void> {
  for (const a of graphAttendees(item)) {
    await tx.appointmentParty.updateMany({
      where: {
        appointmentId,
        address: a.address,
        role: { not: 'Organizer' },
        NOT: { responseStatus: a.response },
      },
      data: { responseStatus: a.response, respondedAt: a.time ? new Date(a.time) : null },
    });
  }
}

export async function createFromEvent(
  ctx: CycleContext,
  tx: Tx,
  item: Item,
  fields: Fields,
  master: Appointment | null,
  changes: ChangeInput[],
): Promise<Appointment> {
  const organizerEmail = (
    item.organizer as { emailAddress?: { address?: string; name?: string } } | undefined
  )?.emailAddress;
  const organizerAddress = (organizerEmail?.address ?? ctx.mailbox.address).toLowerCase();
  const org = await matchAddress(tx, organizerAddress);
  // One appointment per meeting, owned by its organizer when the organizer is a synced mailbox.
  const owner =
    item.isOrganizer === true || !org.ownerType
      ? { ownerType: ctx.mailbox.ownerType, ownerId: ctx.mailbox.ownerId }
      : { ownerType: org.ownerType, ownerId: org.ownerId! };
  const created = await tx.appointment.create({
    data: {
      ...(columns(fields, APPOINTMENT_FIELDS) as Prisma.AppointmentUncheckedCreateInput),
      ...owner,
      type: master ? 'Exception' : fields.recurrence ? 'SeriesMaster' : 'SingleInstance',
      iCalUId: master ? null : typeof item.iCalUId === 'string' ? item.iCalUId : null,
      seriesMasterId: master?.id ?? null,
      originalStartAt: master && item.originalStart ? new Date(String(item.originalStart)) : null,
      isCancelled: item.isCancelled === true,
      isOnlineMeeting: item.isOnlineMeeting === true,
      onlineMeetingUrl:
        (item.onlineMeeting as { joinUrl?: string } | null | undefined)?.joinUrl ??
        (typeof item.onlineMeetingUrl === 'string' ? item.onlineMeetingUrl : null),
      lastEndAt: fields.recurrence ? null : new Date(String(fields.end)),
    },
  });
  await tx.appointmentParty.create({
    data: {
      appointmentId: created.id,
      role: 'Organizer',
      address: organizerAddress,
      name: organizerEmail?.name ?? null,
      position: 0,
      responseStatus: 'Organizer',
      ...org,
    },
  });
  let position = 1;
  for (const a of graphAttendees(item)) {
    if (a.address === organizerAddress) continue;
    await tx.appointmentParty.create({
      data: {
        appointmentId: created.id,
        role: (a.type.charAt(0).toUpperCase() + a.type.slice(1)) as AppointmentParty['role'],
        address: a.address,
        name: a.name,
        position: position++,
        responseStatus: a.response,
        respondedAt: a.time ? new Date(a.time) : null,
        ...(await matchAddress(tx, a.address)),
      },
    });
  }
  changes.push({
    kind: KIND,
    recordId: created.id,
    operation: 'create',
    source: 'exchange',
    mailboxId: ctx.mailbox.id,
  });
  return created;
}
