import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EmailActivity, EmailParty } from '@syncfleet/db';
import { sqlClientOf } from '@syncfleet/db';
import {
  createOutgoingEmail,
  MAX_INLINE_ATTACHMENT_BYTES,
  OutgoingEmailInputError,
  requestCycles,
} from '@syncfleet/sync';
import { notFound, parse, validationError } from '../errors';
import { uuidParam } from '../schemas';
import type { RouteDeps } from '../types';

const MAX_CONTENT_BYTES_BASE64 = Math.ceil(MAX_INLINE_ATTACHMENT_BYTES / 3) * 4;

const address = z.union([
  z.string().max(320),
  z.strictObject({ address: z.string().max(320), name: z.string().max(256).nullable().optional() }),
]);

/**
 * `POST /api/emails`: an outgoing email for the outgoing workload to send
 * (packages/sync/src/outgoing-email/README.md).
 */
export const emailCreateSchema = z.strictObject({
  /** The sending mailbox; it must be enabled for outgoing email. */
  mailboxId: z.uuid({ error: 'must be a UUID' }),
  subject: z.string().max(10_000),
  bodyText: z.string().max(2_000_000).nullable().optional(),
  bodyHtml: z.string().max(2_000_000).nullable().optional(),
  to: z.array(address).max(500).optional(),
  cc: z.array(address).max(500).optional(),
  bcc: z.array(address).max(500).optional(),
  regarding: z
    .strictObject({ type: z.string().min(1).max(100), id: z.string().min(1).max(200) })
    .nullable()
    .optional(),
  /** fileAttachments, base64; at most 3 MB in all (Graph's inline limit; upload sessions are not supported). */
  attachments: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(255),
        contentType: z.string().max(255).optional(),
        /** Base64; 3 MiB of content is at most 4 MiB of base64 (the total is checked on creation). */
        contentBytes: z.string().max(MAX_CONTENT_BYTES_BASE64, {
          error:
            'attachments are limited to 3 MB (3145728 bytes, 4194304 characters of base64) — larger ones would need a Graph upload session, which is not supported yet',
        }),
      }),
    )
    .max(50)
    .optional(),
});

/**
 * Base64 of 3 MiB of attachments (4 MiB) plus bodies and recipients fits; beyond that Fastify answers
 * 413 before parsing. Concurrent large bodies are bounded by the console's upload budget.
 */
export const EMAIL_BODY_LIMIT = 10 * 1024 * 1024;

type EmailWithParts = EmailActivity & {
  parties: EmailParty[];
  attachments: { id: string; name: string; contentType: string; size: number }[];
};

function emailView(e: EmailWithParts) {
  const role = (r: EmailParty['role']) =>
    e.parties
      .filter((p) => p.role === r)
      .map((p) => ({ address: p.address, name: p.name, contactId: p.contactId }));
  return {
    id: e.id,
    direction: e.direction,
    status: e.status,
    mailboxId: e.ownerMailboxId,
    subject: e.subject,
    bodyText: e.bodyText,
    bodyHtml: e.bodyHtml,
    to: role('To'),
    cc: role('Cc'),
    bcc: role('Bcc'),
    regarding: e.regardingType && e.regardingId ? { type: e.regardingType, id: e.regardingId } : null,
    trackingToken: e.trackingToken,
    internetMessageId: e.internetMessageId,
    conversationId: e.conversationId,
    sentAt: e.sentAt?.toISOString() ?? null,
    failureReason: e.failureReason,
    sendAttemptCount: e.sendAttemptCount,
    attachments: e.attachments.map((a) => ({
      id: a.id,
      name: a.name,
      contentType: a.contentType,
      size: a.size,
    })),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

/** Outgoing emails: create one (status PendingSend) and follow it to Sent or Failed. */
export function emailRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { prisma } = deps;

  app.post(
    '/api/emails',
    { bodyLimit: EMAIL_BODY_LIMIT, onRequest: deps.uploads.hook(EMAIL_BODY_LIMIT) },
    async (request, reply) => {
      const body = parse(emailCreateSchema, request.body);
      try {
        const email = await createOutgoingEmail(prisma, {
          ...body,
          attachments: body.attachments?.map((a) => ({
            name: a.name,
            contentType: a.contentType,
            content: a.contentBytes,
          })),
        });
        request.log.info({ emailId: email.id, mailboxId: body.mailboxId }, 'outgoing email created');
        // The mailbox's outgoing cycle runs now rather than at its next scan; a burst of emails gives
        // one job (engine/wake.ts). Should queueing fail, the scan still sends it: creation stands.
        await requestCycles({ sql: sqlClientOf(prisma), queues: deps.queues, clock: deps.clock }, [
          { mailboxId: body.mailboxId, workload: 'outgoing-email' },
        ]).catch((error: unknown) =>
          request.log.warn({ err: error, mailboxId: body.mailboxId }, 'outgoing cycle not requested'),
        );
        return reply.status(201).send(emailView(email));
      } catch (error) {
        if (error instanceof OutgoingEmailInputError) throw validationError(error.fields);
        throw error;
      }
    },
  );

  app.get('/api/emails/:id', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const email = await prisma.emailActivity.findUnique({
      where: { id },
      include: {
        parties: true,
        attachments: { select: { id: true, name: true, contentType: true, size: true } },
      },
    });
    if (!email) throw notFound('Email', id);
    return emailView(email);
  });
}
