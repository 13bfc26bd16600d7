import type { Item, Mailbox } from '../store/model';
import type { Store } from '../store/store';

export interface Recipient {
  emailAddress: { name?: string; address: string };
}

export interface Header {
  name: string;
  value: string;
}

export function recipient(address: string, name?: string): Recipient {
  return { emailAddress: { name: name ?? address, address } };
}

export function recipientsOf(value: unknown): Recipient[] {
  if (!Array.isArray(value)) return [];
  return value
    .map((r) => (typeof r === 'string' ? recipient(r) : (r as Recipient)))
    .filter((r) => typeof r?.emailAddress?.address === 'string');
}

export function newInternetMessageId(store: Store, domain: string): string {
  return `<${store.ids.next('SIM', 24)}@${domain}>`;
}

export function domainOf(address: string): string {
  return address.split('@')[1] ?? 'sim.test';
}

function preview(body: { content?: string } | undefined): string {
  return (body?.content ?? '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 255);
}

/** Graph message properties with defaults (resource type "message"). */
export function messageFields(input: Record<string, unknown>): Record<string, unknown> {
  const body = (input.body as { contentType?: string; content?: string } | undefined) ?? {
    contentType: 'text',
    content: '',
  };
  const attachments = Array.isArray(input.attachments) ? input.attachments : [];
  return {
    receivedDateTime: input.receivedDateTime ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    sentDateTime: input.sentDateTime ?? input.receivedDateTime ?? null,
    hasAttachments: attachments.length > 0,
    internetMessageId: input.internetMessageId,
    subject: input.subject ?? '',
    bodyPreview: preview(body),
    importance: input.importance ?? 'normal',
    conversationId: input.conversationId,
    conversationIndex: input.conversationIndex ?? null,
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: input.isRead ?? false,
    isDraft: input.isDraft ?? false,
    webLink: 'https://outlook.office365.com/owa/?ItemID=sim&exvsurl=1&viewmodel=ReadMessageItem',
    inferenceClassification: 'focused',
    body,
    sender: input.sender ?? input.from ?? null,
    from: input.from ?? null,
    toRecipients: recipientsOf(input.toRecipients),
    ccRecipients: recipientsOf(input.ccRecipients),
    bccRecipients: recipientsOf(input.bccRecipients),
    replyTo: recipientsOf(input.replyTo),
    categories: Array.isArray(input.categories) ? input.categories : [],
    flag: input.flag ?? { flagStatus: 'notFlagged' },
    internetMessageHeaders: Array.isArray(input.internetMessageHeaders) ? input.internetMessageHeaders : [],
    attachments,
    // Internal bookkeeping (thread headers) travels with the message but is never serialised.
    ...Object.fromEntries(Object.entries(input).filter(([k]) => k.startsWith('_'))),
  };
}

export function findByInternetMessageId(store: Store, mailbox: Mailbox, imid: string): Item | undefined {
  for (const item of store.dataOf(mailbox).items.values()) {
    if (item.kind === 'message' && item.fields.internetMessageId === imid) return item;
  }
  return undefined;
}

/** Threading: a reply joins the conversation of the message it answers, when that message is known. */
export function conversationFor(
  store: Store,
  mailbox: Mailbox,
  inReplyTo: string | undefined,
  references: string | undefined,
): string {
  const candidates = [inReplyTo, ...(references ?? '').split(/\s+/).reverse()].filter(
    (x): x is string => !!x,
  );
  for (const imid of candidates) {
    const known = findByInternetMessageId(store, mailbox, imid);
    if (known && typeof known.fields.conversationId === 'string') return known.fields.conversationId;
  }
  return store.ids.next('AAQkAG', 60);
}

export function fileAttachment(
  store: Store,
  input: { name?: unknown; contentType?: unknown; contentBytes?: unknown; isInline?: unknown },
): Record<string, unknown> {
  const bytes = typeof input.contentBytes === 'string' ? input.contentBytes : '';
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    id: store.ids.next('AAMkAGat', 60),
    lastModifiedDateTime: store.stamp(),
    name: typeof input.name === 'string' ? input.name : 'attachment',
    contentType: typeof input.contentType === 'string' ? input.contentType : 'application/octet-stream',
    size: Buffer.from(bytes, 'base64').length,
    isInline: input.isInline === true,
    contentBytes: bytes,
  };
}

/** Graph sends fileAttachments inline up to 3 MB; larger ones need an upload session. */
export const MAX_INLINE_ATTACHMENT_BYTES = 3 * 1024 * 1024;
