import type { FastifyInstance } from 'fastify';
import { SyncMethod, toDbWorkload, WorkloadStatus } from '@syncfleet/db';
import type { Prisma } from '@syncfleet/db';
import { WORKLOAD_NAMES } from '@syncfleet/workloads';
import { conflict, notFound, parse, validationError } from '../errors';
import { mailboxPage } from '../mailbox-filter';
import { applySettings } from '../mailbox-ops';
import { claimOwner } from '../owner-mapping';
import { mailboxCreateSchema, mailboxListQuery, mailboxUpdateSchema, toDate, uuidParam } from '../schemas';
import { mailboxView } from '../serialize';
import type { RouteDeps } from '../types';

/** Mailboxes: CRUD, with the 1:1 owner mapping enforced (see owner-mapping.ts). */
export function mailboxRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { prisma, clock } = deps;

  async function assertProfileExists(tx: Prisma.TransactionClient, profileId: string) {
    const profile = await tx.emailServerProfile.findUnique({
      where: { id: profileId },
      select: { id: true },
    });
    if (!profile)
      throw validationError([{ path: 'profileId', message: 'no email server profile has this id' }]);
  }

  app.post('/api/mailboxes', async (request, reply) => {
    const input = parse(mailboxCreateSchema, request.body);
    const mailbox = await prisma.$transaction(async (tx) => {
      await assertProfileExists(tx, input.profileId);
      const taken = await tx.mailbox.findUnique({ where: { address: input.address }, select: { id: true } });
      if (taken) throw conflict(`A mailbox with address ${input.address} already exists (${taken.id}).`);
      const unmapped = await claimOwner(tx, {
        owner: input.owner,
        mailboxAddress: input.address,
        remap: input.remap ?? false,
        now: clock(),
      });
      if (unmapped) request.log.warn({ mailboxId: unmapped }, 'owner remapped away from mailbox');
      return tx.mailbox.create({
        data: {
          address: input.address,
          displayName: input.displayName ?? null,
          ownerType: input.owner.type,
          ownerId: input.owner.id,
          profileId: input.profileId,
          processEmailFrom: toDate(input.processEmailFrom),
          incomingFilter: input.incomingFilter ?? null,
          workloads: {
            // All three rows always exist; none is enabled before Test & Enable.
            create: WORKLOAD_NAMES.map((name) => ({
              workload: toDbWorkload(name),
              method: input.workloads?.[name]?.method ?? SyncMethod.None,
              enabled: false,
              status: WorkloadStatus.NotRun,
            })),
          },
        },
        include: { workloads: true },
      });
    });
    if (input.trackedFolders?.length)
      await applySettings(prisma, [mailbox.id], { trackedFolders: input.trackedFolders });
    request.log.info({ mailboxId: mailbox.id }, 'mailbox created');
    return reply.status(201).send(mailboxView(mailbox));
  });

  app.get('/api/mailboxes', async (request) => {
    const { sort, order, limit, offset, ...filter } = parse(mailboxListQuery, request.query);
    const page = await mailboxPage(
      prisma,
      { filter, sort, descending: order === 'desc', limit, offset },
      clock(),
    );
    const rows = await prisma.mailbox.findMany({
      where: { id: { in: page.ids } },
      include: { workloads: true },
    });
    const byId = new Map(rows.map((m) => [m.id, m]));
    const items = page.ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [mailboxView(row)] : [];
    });
    return { items, total: page.total, limit, offset };
  });

  app.get('/api/mailboxes/:id', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const mailbox = await prisma.mailbox.findUnique({
      where: { id },
      include: { workloads: true, folders: { where: { tracked: true }, orderBy: { folderId: 'asc' } } },
    });
    if (!mailbox) throw notFound('Mailbox', id);
    return mailboxView(mailbox);
  });

  app.patch('/api/mailboxes/:id', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const input = parse(mailboxUpdateSchema, request.body ?? {});
    const mailbox = await prisma.$transaction(async (tx) => {
      const current = await tx.mailbox.findUnique({ where: { id } });
      if (!current) throw notFound('Mailbox', id);
      const data: Prisma.MailboxUncheckedUpdateInput = { displayName: input.displayName };
      if (input.profileId !== undefined && input.profileId !== current.profileId) {
        await assertProfileExists(tx, input.profileId);
        data.profileId = input.profileId;
        // Another tenant/app registration: what was tested no longer holds, Test & Enable again.
        await tx.mailboxWorkload.updateMany({ where: { mailboxId: id }, data: { enabled: false } });
      }
      if (input.owner) {
        await claimOwner(tx, {
          owner: input.owner,
          mailboxId: id,
          mailboxAddress: current.address,
          remap: input.remap ?? false,
          now: clock(),
        });
        data.ownerType = input.owner.type;
        data.ownerId = input.owner.id;
      }
      await applySettings(tx, [id], input);
      return tx.mailbox.update({
        where: { id },
        data,
        include: { workloads: true, folders: { where: { tracked: true }, orderBy: { folderId: 'asc' } } },
      });
    });
    request.log.info({ mailboxId: id }, 'mailbox updated');
    return mailboxView(mailbox);
  });

  app.delete('/api/mailboxes/:id', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const { count } = await prisma.mailbox.deleteMany({ where: { id } });
    if (count === 0) throw notFound('Mailbox', id);
    request.log.info({ mailboxId: id }, 'mailbox deleted');
    return reply.status(204).send();
  });
}
