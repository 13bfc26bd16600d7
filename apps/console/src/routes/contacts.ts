import type { FastifyInstance } from 'fastify';
import type { Contact, ContactEmail } from '@syncfleet/db';
import {
  createContact,
  deleteContact,
  RecordNotFoundError,
  updateContact,
  VersionMismatchError,
} from '@syncfleet/sync';
import { notFound, parse } from '../errors';
import { uuidParam } from '../schemas';
import type { RouteDeps } from '../types';
import { actListQuery, contactCreateSchema, contactUpdateSchema } from './act-schemas';
import {
  ifMatchVersion,
  linksOf,
  linkView,
  ownerFilter,
  preconditionFailed,
  syncOwnerNow,
  withEtag,
  type LinkRow,
} from './act-common';

type ContactRow = Contact & { emails: ContactEmail[] };

function contactView(c: ContactRow, links: ReturnType<typeof linkView>[]) {
  return {
    id: c.id,
    version: c.version,
    owner: c.ownerType && c.ownerId ? { type: c.ownerType, id: c.ownerId } : null,
    displayName: c.fullName,
    givenName: c.givenName,
    middleName: c.middleName,
    surname: c.surname,
    emailAddresses: c.emails.map((e) => ({ address: e.address, name: e.name })),
    businessPhones: c.businessPhones,
    homePhones: c.homePhones,
    mobilePhone: c.mobilePhone,
    companyName: c.accountName,
    jobTitle: c.jobTitle,
    department: c.department,
    businessAddress: c.businessAddress,
    categories: c.categories,
    notes: c.notes,
    changeSequence: c.changeSeq.toString(),
    exchange: links,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** Errors of the package API, as HTTP answers: 404, and 412 for a stale If-Match. */
function mapped(error: unknown): never {
  if (error instanceof VersionMismatchError) throw preconditionFailed(error.message);
  if (error instanceof RecordNotFoundError) throw notFound('Contact', error.id);
  throw error;
}

/** Application contacts (synced with their owner's mailbox by ACT: docs/act-sync.md). */
export function contactRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { prisma } = deps;
  const include = { emails: { orderBy: { position: 'asc' as const } } };
  const links = async (id: string) =>
    (await prisma.actLink.findMany({ where: { kind: 'contact', recordId: id } })).map((l: LinkRow) =>
      linkView(l),
    );

  app.get('/api/contacts', async (request) => {
    const query = parse(actListQuery, request.query);
    const owner = await ownerFilter(deps, query);
    const rows = await prisma.contact.findMany({
      where: { deletedAt: null, ...owner, ...(query.after ? { id: { gt: query.after } } : {}) },
      include,
      orderBy: { id: 'asc' },
      take: query.limit ?? 100,
    });
    const linked = await linksOf(
      deps,
      'contact',
      rows.map((r) => r.id),
    );
    return { contacts: rows.map((r) => contactView(r, linked(r.id))), next: rows.at(-1)?.id ?? null };
  });

  app.post('/api/contacts', async (request, reply) => {
    const { owner, ...body } = parse(contactCreateSchema, request.body);
    const contact = await createContact(prisma, { ownerType: owner.type, ownerId: owner.id }, body);
    await syncOwnerNow(deps, request, contact);
    return reply.status(201).send(withEtag(reply, contactView(contact, [])));
  });

  app.get('/api/contacts/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const contact = await prisma.contact.findFirst({ where: { id, deletedAt: null }, include });
    if (!contact) throw notFound('Contact', id);
    return withEtag(reply, contactView(contact, await links(id)));
  });

  app.patch('/api/contacts/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const { owner, ...body } = parse(contactUpdateSchema, request.body);
    const version = ifMatchVersion(request);
    const contact = await updateContact(
      prisma,
      id,
      { ...body, ...(owner ? { owner: { ownerType: owner.type, ownerId: owner.id } } : {}) },
      version,
    ).catch(mapped);
    await syncOwnerNow(deps, request, contact);
    return withEtag(reply, contactView(contact, await links(id)));
  });

  app.delete('/api/contacts/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const version = ifMatchVersion(request);
    const before = await prisma.contact.findFirst({ where: { id, deletedAt: null } });
    await deleteContact(prisma, id, version).catch(mapped);
    if (before) await syncOwnerNow(deps, request, before);
    return reply.status(204).send();
  });
}
