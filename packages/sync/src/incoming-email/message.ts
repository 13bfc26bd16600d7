import { SYNCFLEET_HEADER } from '../message-headers';

/**
 * A Graph `message` from a delta page, checked and reduced to what promotion needs. Anything the
 * workload cannot trust (no id, no internetMessageId, unparsable dates or addresses) makes the item
 * malformed: it fails alone (itemsFailed + alert) and the rest of the page goes on.
 */

export interface Party {
  address: string;
  name: string | null;
}

export interface ParsedMessage {
  graphId: string;
  changeKey: string | null;
  internetMessageId: string;
  conversationId: string | null;
  subject: string;
  bodyText: string | null;
  bodyHtml: string | null;
  from: Party | null;
  to: Party[];
  cc: Party[];
  bcc: Party[];
  receivedAt: Date;
  sentAt: Date | null;
  hasAttachments: boolean;
  inReplyTo: string | null;
  references: string[];
  /** Value of our own `x-syncfleet-id` header: mail the outgoing workload sent. */
  syncfleetId: string | null;
  /** A non-delivery report (bounce) rather than mail: see `isDeliveryReport`. */
  deliveryReport: boolean;
  /** A meeting request, response or cancellation (an eventMessage): see `isMeetingMessage`. */
  meetingMessage: boolean;
}

export type DeltaEntry =
  | { kind: 'removed'; graphId: string }
  | { kind: 'message'; message: ParsedMessage }
  | { kind: 'partial'; graphId: string; changeKey: string | null }
  | { kind: 'malformed'; graphId: string | null; reason: string };

/** Properties a delta page must carry (message: delta, `$select`). */
export const MESSAGE_SELECT = [
  'id',
  'changeKey',
  'internetMessageId',
  'conversationId',
  'subject',
  'body',
  'from',
  'sender',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'receivedDateTime',
  'sentDateTime',
  'hasAttachments',
  'internetMessageHeaders',
].join(',');

class Malformed extends Error {}

const asRecord = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** Postgres TEXT cannot hold NUL; everything else is kept as Graph sent it. */
const clean = (s: string): string => s.replaceAll('\u0000', '');

function optionalString(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Malformed(`${field} is not a string`);
  return clean(v);
}

const ADDRESS = /^[^@\s<>]+@[^@\s<>]+$/;

function party(v: unknown, field: string): Party | null {
  if (v === undefined || v === null) return null;
  const address = asRecord(asRecord(v)?.emailAddress)?.address;
  const name = asRecord(asRecord(v)?.emailAddress)?.name;
  // Exchange may render unresolvable senders (e.g. some system mail) without an address: skip them.
  if (address === undefined || address === null || address === '') return null;
  if (typeof address !== 'string' || !ADDRESS.test(address.trim())) {
    throw new Malformed(`${field} has an invalid address`);
  }
  return { address: address.trim().toLowerCase(), name: typeof name === 'string' ? clean(name) : null };
}

function parties(v: unknown, field: string): Party[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Malformed(`${field} is not a list`);
  return v.map((r) => party(r, field)).filter((p): p is Party => p !== null);
}

function date(v: unknown, field: string, required: boolean): Date | null {
  if (v === undefined || v === null) {
    if (required) throw new Malformed(`${field} is missing`);
    return null;
  }
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new Malformed(`${field} is not a date`);
  return new Date(ms);
}

function headers(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(v)) return out;
  for (const h of v) {
    const r = asRecord(h);
    if (typeof r?.name === 'string' && typeof r.value === 'string' && !out.has(r.name.toLowerCase())) {
      out.set(r.name.toLowerCase(), clean(r.value).trim());
    }
  }
  return out;
}

/**
 * A non-delivery report: Exchange mails it to the sender's Inbox when transport finds an invalid
 * recipient ("Send mail by using the Microsoft Graph API", steps 3, 5 and 7). Recognised by its
 * MIME type — a delivery status notification is `multipart/report; report-type=delivery-status`
 * (RFC 3464, RFC 6522) — or Exchange's own NDR marker header.
 */
function isDeliveryReport(h: Map<string, string>): boolean {
  const type = h.get('content-type')?.toLowerCase() ?? '';
  return (
    (type.startsWith('multipart/report') && /report-type\s*=\s*"?delivery-status/.test(type)) ||
    h.has('x-ms-exchange-message-is-ndr')
  );
}

/** RFC 5322 msg-ids in a References / In-Reply-To value, in order. */
export function messageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  const ids = value.match(/<[^<>\s]+>/g);
  return ids ?? value.split(/\s+/).filter(Boolean);
}

function parseMessage(raw: Record<string, unknown>, graphId: string): ParsedMessage {
  const internetMessageId = optionalString(raw.internetMessageId, 'internetMessageId')?.trim();
  if (!internetMessageId) throw new Malformed('internetMessageId is missing');
  const h = headers(raw.internetMessageHeaders);
  const body = asRecord(raw.body);
  const content = optionalString(body?.content, 'body.content');
  const isHtml = typeof body?.contentType === 'string' && body.contentType.toLowerCase() === 'html';
  return {
    graphId,
    changeKey: optionalString(raw.changeKey, 'changeKey'),
    internetMessageId,
    conversationId: optionalString(raw.conversationId, 'conversationId'),
    subject: optionalString(raw.subject, 'subject') ?? '',
    bodyText: isHtml ? null : content,
    bodyHtml: isHtml ? content : null,
    from: party(raw.from, 'from') ?? party(raw.sender, 'sender'),
    to: parties(raw.toRecipients, 'toRecipients'),
    cc: parties(raw.ccRecipients, 'ccRecipients'),
    bcc: parties(raw.bccRecipients, 'bccRecipients'),
    receivedAt: date(raw.receivedDateTime, 'receivedDateTime', true)!,
    sentAt: date(raw.sentDateTime, 'sentDateTime', false),
    hasAttachments: raw.hasAttachments === true,
    inReplyTo: messageIds(h.get('in-reply-to'))[0] ?? null,
    references: messageIds(h.get('references')),
    syncfleetId: h.get(SYNCFLEET_HEADER) || null,
    deliveryReport: isDeliveryReport(h),
    meetingMessage: isMeetingMessage(raw),
  };
}

/**
 * Meeting requests, responses and cancellations reach the Inbox as `eventMessage`s (eventMessage
 * resource: "A message that represents a meeting request, cancellation, or response"), and a
 * message collection names such an entry by its type: `@odata.type` `#microsoft.graph.eventMessage`
 * or one of its kinds (`eventMessageRequest`, `eventMessageResponse`).
 */
function isMeetingMessage(raw: Record<string, unknown>): boolean {
  const type = raw['@odata.type'];
  return typeof type === 'string' && type.startsWith('#microsoft.graph.eventMessage');
}

/**
 * "Updated instances are represented by their id with *at least* the properties that have been
 * updated" ("Use delta query to track changes in Microsoft Graph data", Resource representation):
 * a read or flag change may come back as id, changeKey, parentFolderId, isRead — whatever $select
 * asked for. Such an entry carries neither of the properties set once when a message is created
 * (internetMessageId, receivedDateTime): it updates a message we may know, it is not a broken one.
 */
function isPartialUpdate(r: Record<string, unknown>): boolean {
  return r.internetMessageId === undefined && r.receivedDateTime === undefined;
}

/** Classifies one entry of a delta page's `value`. */
export function parseDeltaEntry(raw: unknown): DeltaEntry {
  const r = asRecord(raw);
  const graphId = typeof r?.id === 'string' && r.id.length > 0 ? r.id : null;
  if (!r || !graphId) return { kind: 'malformed', graphId, reason: 'entry has no id' };
  if (r['@removed'] !== undefined) return { kind: 'removed', graphId };
  if (isPartialUpdate(r)) {
    return { kind: 'partial', graphId, changeKey: typeof r.changeKey === 'string' ? r.changeKey : null };
  }
  try {
    return { kind: 'message', message: parseMessage(r, graphId) };
  } catch (error) {
    if (error instanceof Malformed) return { kind: 'malformed', graphId, reason: error.message };
    throw error;
  }
}
