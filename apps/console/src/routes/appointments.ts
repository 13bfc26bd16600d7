import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sqlClientOf, type AppointmentParty, type Prisma } from '@syncfleet/db';
import {
  AppointmentInputError,
  createAppointment,
  deleteAppointment,
  organizerMailboxId,
  RecordNotFoundError,
  requestCycles,
  updateAppointment,
  VersionMismatchError,
  zoned,
  type AppointmentWithParties,
} from '@syncfleet/sync';
import { notFound, parse, validationError } from '../errors';
import { uuidParam } from '../schemas';
import type { RouteDeps } from '../types';
import { ifMatchVersion, linkView, preconditionFailed, withEtag, type LinkRow } from './act-common';
import {
  appointmentCreateSchema,
  appointmentListQuery,
  appointmentUpdateSchema,
} from './appointment-schemas';

const iso = (d: Date | null) => d?.toISOString() ?? null;

const partyView = (p: AppointmentParty) => ({
  address: p.address,
  name: p.name,
  ...(p.role === 'Organizer' ? {} : { type: p.role.toLowerCase() }),
  match: p.mailboxId
    ? { mailboxId: p.mailboxId, owner: { type: p.ownerType, id: p.ownerId } }
    : p.contactId
      ? { contactId: p.contactId }
      : null,
  ...(p.role === 'Organizer' ? {} : { responseStatus: p.responseStatus, respondedAt: iso(p.respondedAt) }),
});

/** An appointment as the API shows it: times in their own zone plus the instant (utc). */
export function appointmentView(a: AppointmentWithParties, links: LinkRow[]) {
  const organizer = a.parties.find((p) => p.role === 'Organizer');
  return {
    id: a.id,
    version: a.version,
    owner: { type: a.ownerType, id: a.ownerId },
    type: a.type,
    subject: a.subject,
    body: a.body,
    location: a.location,
    start: { ...zoned(a.startAt, a.startTimeZone), utc: a.startAt.toISOString() },
    end: { ...zoned(a.endAt, a.endTimeZone), utc: a.endAt.toISOString() },
    isAllDay: a.isAllDay,
    showAs: a.showAs,
    sensitivity: a.sensitivity,
    importance: a.importance,
    categories: a.categories,
    isReminderOn: a.isReminderOn,
    reminderMinutesBeforeStart: a.reminderMinutesBeforeStart,
    isOnlineMeeting: a.isOnlineMeeting,
    onlineMeetingUrl: a.onlineMeetingUrl,
    isCancelled: a.isCancelled,
    regarding: a.regardingType && a.regardingId ? { type: a.regardingType, id: a.regardingId } : null,
    iCalUId: a.iCalUId,
    organizer: organizer ? partyView(organizer) : null,
    attendees: a.parties.filter((p) => p.role !== 'Organizer').map(partyView),
    recurrence: a.recurrence,
    seriesMasterId: a.seriesMasterId,
    originalStart: iso(a.originalStartAt),
    cancelledOccurrences: a.cancelledOccurrences,
    changeSequence: a.changeSeq.toString(),
    exchange: links.map(linkView),
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

function mapped(error: unknown): never {
  if (error instanceof VersionMismatchError) throw preconditionFailed(error.message);
  if (error instanceof RecordNotFoundError) throw notFound('Appointment', error.id);
  if (error instanceof AppointmentInputError) throw validationError(error.fields);
  throw error;
}

/**
 * Application appointments, synced by ACT into their ORGANIZER's calendar only
 * (docs/act-sync.md#appointments); attendees get them through Exchange's own invitations.
 */
export function appointmentRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { prisma } = deps;
  const include = { parties: { orderBy: { position: 'asc' as const } } };
  const linksOf = async (ids: string[]) => {
    const rows = await prisma.actLink.findMany({ where: { kind: 'appointment', recordId: { in: ids } } });
    return (id: string) => rows.filter((l) => l.recordId === id);
  };

  /** A write queues an ACT cycle of the organizer's mailbox at once (requestCycles). */
  async function syncNow(request: FastifyRequest, appointmentId: string): Promise<void> {
    try {
      const mailboxId = await organizerMailboxId(prisma, appointmentId);
      if (!mailboxId) return;
      await requestCycles({ sql: sqlClientOf(prisma), queues: deps.queues, clock: deps.clock }, [
        { mailboxId, workload: 'act' },
      ]);
    } catch (error) {
      request.log.warn({ err: error }, 'could not queue an ACT cycle now; the scheduled cycle will sync it');
    }
  }

  app.get('/api/appointments', async (request) => {
    const q = parse(appointmentListQuery, request.query);
    if (q.start && q.end && new Date(q.end) <= new Date(q.start))
      throw validationError([{ path: 'end', message: 'must be after start' }]);
    const and: Prisma.AppointmentWhereInput[] = [{ deletedAt: null }];
    if (q.ownerType) and.push({ ownerType: q.ownerType });
    if (q.ownerId) and.push({ ownerId: q.ownerId });
    if (q.mailboxId) {
      const m = await prisma.mailbox.findUnique({ where: { id: q.mailboxId } });
      if (!m) throw validationError([{ path: 'mailboxId', message: 'no such mailbox' }]);
      and.push({
        OR: [{ ownerType: m.ownerType, ownerId: m.ownerId }, { parties: { some: { mailboxId: m.id } } }],
      });
    }
    if (q.end) and.push({ startAt: { lt: new Date(q.end) } });
    if (q.start) and.push({ OR: [{ lastEndAt: null }, { lastEndAt: { gt: new Date(q.start) } }] });
    if (q.after) and.push({ id: { gt: q.after } });
    const rows = await prisma.appointment.findMany({
      where: { AND: and },
      include,
      orderBy: { id: 'asc' },
      take: q.limit ?? 100,
    });
    const links = await linksOf(rows.map((r) => r.id));
    return {
      appointments: rows.map((r) => appointmentView(r, links(r.id))),
      next: rows.at(-1)?.id ?? null,
    };
  });

  app.post('/api/appointments', async (request, reply) => {
    const { owner, ...body } = parse(appointmentCreateSchema, request.body);
    const created = await createAppointment(prisma, { ownerType: owner.type, ownerId: owner.id }, body).catch(
      mapped,
    );
    await syncNow(request, created.id);
    return reply.status(201).send(withEtag(reply, appointmentView(created, [])));
  });

  app.get('/api/appointments/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const a = await prisma.appointment.findFirst({ where: { id, deletedAt: null }, include });
    if (!a) throw notFound('Appointment', id);
    return withEtag(reply, appointmentView(a, (await linksOf([id]))(id)));
  });

  app.patch('/api/appointments/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const { owner, ...body } = parse(appointmentUpdateSchema, request.body);
    const version = ifMatchVersion(request);
    const a = await updateAppointment(
      prisma,
      id,
      { ...body, ...(owner ? { owner: { ownerType: owner.type, ownerId: owner.id } } : {}) },
      version,
    ).catch(mapped);
    await syncNow(request, id);
    return withEtag(reply, appointmentView(a, (await linksOf([id]))(id)));
  });

  app.delete('/api/appointments/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const version = ifMatchVersion(request);
    await deleteAppointment(prisma, id, version).catch(mapped);
    await syncNow(request, id);
    return reply.status(204).send();
  });
}
