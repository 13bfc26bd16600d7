import { stampChanges } from '../act/changes';
import { EmailDirection, EmailStatus, PartyRole, SyncMethod, Workload, type Db } from '@syncfleet/db';

/**
 * Graph sends file attachments inline up to 3 MB per request (user: sendMail, message: send,
 * "Attachments"); larger ones need an upload session, which Syncfleet does not implement yet, so
 * they are refused when the email is created rather than failing later in the outbox.
 */
export const MAX_INLINE_ATTACHMENT_BYTES = 3 * 1024 * 1024;

export type EmailAddressInput = string | { address: string; name?: string | null };

export interface OutgoingAttachmentInput {
  name: string;
  contentType?: string;
  /** Base64 text (as Graph's fileAttachment.contentBytes) or raw bytes. */
  content: string | Uint8Array;
}

export interface OutgoingEmailInput {
  /** The sending mailbox: it must have outgoing email enabled (server-side sync). */
  mailboxId: string;
  subject: string;
  bodyText?: string | null;
  bodyHtml?: string | null;
  to?: EmailAddressInput[];
  cc?: EmailAddressInput[];
  bcc?: EmailAddressInput[];
  /** The application record this email is about; replies inherit it (incoming correlation). */
  regarding?: { type: string; id: string } | null;
  attachments?: OutgoingAttachmentInput[];
}

export interface OutgoingFieldError {
  path: string;
  message: string;
}

/** The input cannot become an email: every problem is named; nothing was stored. */
export class OutgoingEmailInputError extends Error {
  override name = 'OutgoingEmailInputError';
  constructor(readonly fields: OutgoingFieldError[]) {
    super(`Invalid email: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`);
  }
}

// Deliberately simple (RFC 5321 local@domain.tld, no spaces/brackets); Exchange has the last word.
const ADDRESS = /^[^\s@<>()[\]",;:\\]+@[^\s@<>()[\]",;:\\]+\.[^\s@<>()[\]",;:\\.]{2,}$/;
const ROLES = [
  ['to', PartyRole.To],
  ['cc', PartyRole.Cc],
  ['bcc', PartyRole.Bcc],
] as const;

function normaliseAddress(input: EmailAddressInput): { address: string; name: string | null } {
  if (typeof input === 'string') return { address: input.trim(), name: null };
  return { address: String(input?.address ?? '').trim(), name: input?.name?.trim() || null };
}

function attachmentBytes(content: string | Uint8Array): Buffer | null {
  if (typeof content !== 'string') return Buffer.from(content);
  const compact = content.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return null;
  return Buffer.from(compact, 'base64');
}

/** Validates the input against the database; throws OutgoingEmailInputError listing every problem. */
async function validate(prisma: Db, input: OutgoingEmailInput) {
  const problems: OutgoingFieldError[] = [];
  const parties: { role: PartyRole; address: string; name: string | null }[] = [];
  for (const [key, role] of ROLES) {
    for (const [i, raw] of (input[key] ?? []).entries()) {
      const party = normaliseAddress(raw);
      if (!ADDRESS.test(party.address) || party.address.length > 320)
        problems.push({ path: `${key}.${i}`, message: `"${party.address}" is not a valid email address` });
      parties.push({ role, ...party, address: party.address.toLowerCase() });
    }
  }
  if (parties.length === 0)
    problems.push({ path: 'to', message: 'at least one recipient (to, cc or bcc) is required' });
  if (typeof input.subject !== 'string') problems.push({ path: 'subject', message: 'must be a string' });

  const attachments: { name: string; contentType: string; size: number; content: Buffer }[] = [];
  let total = 0;
  for (const [i, a] of (input.attachments ?? []).entries()) {
    const content = attachmentBytes(a.content);
    if (!content) {
      problems.push({ path: `attachments.${i}.content`, message: 'must be base64' });
      continue;
    }
    total += content.length;
    if (content.length > MAX_INLINE_ATTACHMENT_BYTES)
      problems.push({
        path: `attachments.${i}`,
        message: `"${a.name}" is ${content.length} bytes; attachments are limited to 3 MB (3145728 bytes) — larger ones would need a Graph upload session, which is not supported yet`,
      });
    attachments.push({
      name: a.name,
      contentType: a.contentType ?? 'application/octet-stream',
      size: content.length,
      content,
    });
  }
  if (total > MAX_INLINE_ATTACHMENT_BYTES && !problems.some((p) => p.path.startsWith('attachments.')))
    problems.push({
      path: 'attachments',
      message: `attachments total ${total} bytes; one email carries at most 3 MB (3145728 bytes) of attachments`,
    });

  const mailbox = await prisma.mailbox.findUnique({
    where: { id: input.mailboxId },
    select: {
      id: true,
      address: true,
      workloads: { where: { workload: Workload.OutgoingEmail }, select: { method: true, enabled: true } },
    },
  });
  if (!mailbox) {
    problems.push({ path: 'mailboxId', message: `mailbox ${input.mailboxId} does not exist` });
  } else {
    const outgoing = mailbox.workloads[0];
    if (outgoing?.method !== SyncMethod.ServerSideSync || !outgoing.enabled)
      problems.push({
        path: 'mailboxId',
        message: `mailbox ${mailbox.address} is not enabled for outgoing email (set its outgoing-email method to ServerSideSync, then Test & Enable)`,
      });
  }
  if (problems.length > 0) throw new OutgoingEmailInputError(problems);
  return { parties, attachments };
}

/**
 * The package API behind `POST /api/emails`: stores an outgoing email activity with status
 * PendingSend, owned by (= sent from) `input.mailboxId`. The outgoing workload sends it. Recipients
 * are matched to contacts by address, case-insensitively. Invalid input stores nothing.
 */
export async function createOutgoingEmail(prisma: Db, input: OutgoingEmailInput) {
  const { parties, attachments } = await validate(prisma, input);
  const known = await prisma.contactEmail.findMany({
    where: { address: { in: [...new Set(parties.map((p) => p.address))] } },
    select: { address: true, contactId: true },
  });
  const contactOf = new Map(known.map((c) => [c.address, c.contactId]));
  // Created and stamped on the change sequence together (GET /api/changes).
  return prisma.$transaction(
    async (tx) => {
      const email = await tx.emailActivity.create({
        data: {
          direction: EmailDirection.Outgoing,
          status: EmailStatus.PendingSend,
          subject: input.subject,
          bodyText: input.bodyText ?? null,
          bodyHtml: input.bodyHtml ?? null,
          regardingType: input.regarding?.type ?? null,
          regardingId: input.regarding?.id ?? null,
          ownerMailboxId: input.mailboxId,
          parties: {
            create: parties.map((p) => ({ ...p, contactId: contactOf.get(p.address) ?? null })),
          },
          attachments: {
            create: attachments.map((a) => ({ ...a, content: new Uint8Array(a.content) })),
          },
        },
        include: {
          parties: true,
          attachments: { select: { id: true, name: true, contentType: true, size: true } },
        },
      });
      await stampChanges(tx, [
        { kind: 'email', recordId: email.id, operation: 'create', source: 'app', mailboxId: input.mailboxId },
      ]);
      return email;
    },
    { timeout: 30_000 },
  );
}
