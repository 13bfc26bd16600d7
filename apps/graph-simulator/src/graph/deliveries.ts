import type { Mailbox } from '../store/model';
import type { Store } from '../store/store';
import type { Header, Recipient } from './mail-model';
import { conversationFor, messageFields } from './mail-model';

export interface Delivery {
  internetMessageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  headers: Record<string, string>;
  deliveredAt: string;
  /** Meeting messages (meetings.ts) are logged as meetingRequest / meetingCancellation / meetingResponse. */
  via: 'sendMail' | 'send' | 'reply' | 'meetingRequest' | 'meetingCancellation' | 'meetingResponse';
  senderMailboxId: string;
  /** Recipient mailbox ids in the same tenant that received a copy in their Inbox. */
  deliveredTo: string[];
}

export type DeliveryLog = ReturnType<typeof createDeliveryLog>;

const MAX_LOG = 100_000;

export function createDeliveryLog() {
  const entries: Delivery[] = [];
  return {
    entries,
    add(entry: Delivery) {
      entries.push(entry);
      if (entries.length > MAX_LOG) entries.splice(0, entries.length - MAX_LOG);
    },
    clear: () => void entries.splice(0, entries.length),
  };
}

const addresses = (value: unknown): string[] =>
  ((value as Recipient[] | undefined) ?? []).map((r) => r.emailAddress.address.toLowerCase());

/**
 * Sends a message: recipients that are mailboxes of the sender's tenant get a copy in their Inbox
 * with the same internetMessageId (and thread headers); every send is logged once.
 */
export function deliver(
  store: Store,
  log: DeliveryLog,
  sender: Mailbox,
  fields: Record<string, unknown>,
  via: Delivery['via'],
): Delivery {
  const now = store.stamp();
  const internetMessageId = String(fields.internetMessageId);
  const custom = (fields.internetMessageHeaders as Header[] | undefined) ?? [];
  const inReplyTo = typeof fields._inReplyTo === 'string' ? fields._inReplyTo : undefined;
  const references = typeof fields._references === 'string' ? fields._references : undefined;
  const standard: Header[] = [{ name: 'Message-ID', value: internetMessageId }];
  if (inReplyTo) standard.push({ name: 'In-Reply-To', value: inReplyTo });
  if (references) standard.push({ name: 'References', value: references });
  const headers = [...standard, ...custom];
  const to = addresses(fields.toRecipients);
  const cc = addresses(fields.ccRecipients);
  const bcc = addresses(fields.bccRecipients);
  const deliveredTo: string[] = [];
  for (const address of new Set([...to, ...cc, ...bcc])) {
    const target = store.findMailbox(address);
    if (!target || target.tenantId !== sender.tenantId || !store.isStorageMailbox(target)) continue;
    const inbox = store.container(target, 'inbox', 'mailFolder');
    if (!inbox) continue;
    const conversationId = inReplyTo
      ? conversationFor(store, target, inReplyTo, references)
      : (fields.conversationId as string);
    store.createItem(
      target,
      'message',
      inbox.id,
      messageFields({
        ...fields,
        bccRecipients: [],
        attachments: fields.attachments,
        isDraft: false,
        isRead: false,
        receivedDateTime: now,
        sentDateTime: now,
        conversationId,
        internetMessageHeaders: headers,
      }),
    );
    deliveredTo.push(target.id);
  }
  const entry: Delivery = {
    internetMessageId,
    from: sender.address,
    to,
    cc,
    bcc,
    subject: String(fields.subject ?? ''),
    headers: Object.fromEntries(headers.map((h) => [h.name, h.value])),
    deliveredAt: now,
    via,
    senderMailboxId: sender.id,
    deliveredTo,
  };
  log.add(entry);
  return entry;
}
