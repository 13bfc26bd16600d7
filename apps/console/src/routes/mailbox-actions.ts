import type { FastifyInstance } from 'fastify';
import { AlertSeverity, ApprovalState, toDbWorkload } from '@syncfleet/db';
import { WORKLOAD_NAMES } from '@syncfleet/workloads';
import { classifyError } from '@syncfleet/sync';
import { notFound, parse } from '../errors';
import { disableSchema, uuidParam } from '../schemas';
import { mailboxView } from '../serialize';
import type { RouteDeps } from '../types';
import { testAndEnableQuery } from './act-schemas';

/** Approve / reject the email address, Test & Enable, disable. */
export function mailboxActionRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { prisma, clock } = deps;

  async function requireMailbox(id: string) {
    const mailbox = await prisma.mailbox.findUnique({ where: { id } });
    if (!mailbox) throw notFound('Mailbox', id);
    return mailbox;
  }

  async function setApproval(id: string, state: ApprovalState, message: string) {
    const mailbox = await requireMailbox(id);
    return prisma.$transaction(async (tx) => {
      await tx.alert.create({
        data: {
          severity: AlertSeverity.Information,
          code: state === ApprovalState.Approved ? 'EmailApproved' : 'EmailRejected',
          message: `${message} (${mailbox.address}).`,
          mailboxId: id,
          profileId: mailbox.profileId,
          createdAt: clock(),
        },
      });
      return tx.mailbox.update({
        where: { id },
        data: { approvalState: state },
        include: { workloads: true },
      });
    });
  }

  // A mailbox's email address must be approved before email is processed for it
  // (docs/dynamics-server-side-sync.md#approval).
  app.post('/api/mailboxes/:id/approve', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const mailbox = await setApproval(
      id,
      ApprovalState.Approved,
      'Email address approved by an administrator',
    );
    request.log.info({ mailboxId: id }, 'mailbox email approved');
    return mailboxView(mailbox);
  });

  app.post('/api/mailboxes/:id/reject', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const mailbox = await setApproval(
      id,
      ApprovalState.Rejected,
      'Email address rejected by an administrator',
    );
    request.log.info({ mailboxId: id }, 'mailbox email rejected');
    return mailboxView(mailbox);
  });

  // 200 even when checks fail: the body says which did. Only an unknown mailbox is an HTTP error.
  app.post('/api/mailboxes/:id/test-and-enable', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const { overwrite } = parse(testAndEnableQuery, request.query);
    await requireMailbox(id);
    const result = await deps
      .testAndEnable(id, { overwrite: overwrite === 'true' })
      .catch((error: unknown) => {
        // Deleted between our check and the engine's read.
        if (classifyError(error).reason === 'NotFound') throw notFound('Mailbox', id);
        throw error;
      });
    request.log.info(
      { mailboxId: id, ok: result.ok, workloads: result.workloads },
      'test and enable finished',
    );
    return result;
  });

  app.post('/api/mailboxes/:id/disable', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const input = parse(disableSchema, request.body ?? undefined);
    const workloads = input?.workloads ?? [...WORKLOAD_NAMES];
    const mailbox = await requireMailbox(id);
    const updated = await prisma.$transaction(async (tx) => {
      await tx.mailboxWorkload.updateMany({
        where: { mailboxId: id, workload: { in: workloads.map(toDbWorkload) } },
        data: { enabled: false },
      });
      await tx.alert.create({
        data: {
          severity: AlertSeverity.Information,
          code: 'DisabledByAdmin',
          message: `Synchronization disabled by an administrator for ${mailbox.address}: ${workloads.join(', ')}.`,
          mailboxId: id,
          profileId: mailbox.profileId,
          createdAt: clock(),
        },
      });
      return tx.mailbox.findUniqueOrThrow({ where: { id }, include: { workloads: true } });
    });
    request.log.info({ mailboxId: id, workloads }, 'mailbox workloads disabled');
    return mailboxView(updated);
  });
}
